/**
 * The placement rule (lab 4A): every shard on a live gid, counts within one of each other,
 * minimal movement on Join and Leave, independent of the order gids are listed in.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { NSHARDS, rebalance } from '../src/index.js'

const SEED = Number(process.env.FUZZ_SEED ?? 4242)
const RUNS = Number(process.env.FUZZ_RUNS ?? 300)
const gidsArb = fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 0, maxLength: 14 })

/** A reachable starting assignment: balanced over `gids` from an arbitrary earlier one. */
const startArb = fc
  .tuple(
    gidsArb,
    fc.array(fc.integer({ min: 0, max: 40 }), { minLength: NSHARDS, maxLength: NSHARDS }),
  )
  .map(([gids, raw]) => ({ gids, shards: rebalance(raw, gids) }))

function counts(shards: readonly number[], gids: readonly number[]): number[] {
  return gids.map((g) => shards.filter((s) => s === g).length)
}

function balanced(shards: readonly number[], gids: readonly number[]): void {
  if (gids.length === 0) {
    expect(shards).to.deep.equal(new Array(NSHARDS).fill(0))
    return
  }
  for (const g of shards) expect(gids).to.include(g)
  const c = counts(shards, gids)
  expect(Math.max(...c) - Math.min(...c)).to.be.at.most(1)
}

/** The fewest shards any balanced assignment over `gids` must move away from `from`. */
function minimalMoves(from: readonly number[], gids: readonly number[]): number {
  const n = gids.length
  if (n === 0) return 0
  const base = Math.floor(NSHARDS / n)
  const extra = NSHARDS % n
  const held = gids.map((g) => from.filter((s) => s === g).length).sort((a, b) => b - a)
  let kept = 0
  held.forEach((h, i) => (kept += Math.min(h, base + (i < extra ? 1 : 0))))
  return NSHARDS - kept
}

const moved = (a: readonly number[], b: readonly number[]): number =>
  a.filter((g, s) => b[s] !== g).length

describe('rebalance (shard placement)', () => {
  it('configuration with no groups puts every shard on gid 0', () => {
    expect(rebalance([1, 1, 2, 2, 3, 3, 1, 2, 3, 1], [])).to.deep.equal(new Array(NSHARDS).fill(0))
  })

  it('every shard lands on a live gid and counts differ by at most one (any input)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: NSHARDS, maxLength: NSHARDS }),
        gidsArb,
        (shards, gids) => balanced(rebalance(shards, gids), gids),
      ),
      { seed: SEED, numRuns: RUNS },
    )
  })

  it('moves no more shards than any balanced placement must', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: NSHARDS, maxLength: NSHARDS }),
        gidsArb,
        (shards, gids) => {
          const out = rebalance(shards, gids)
          if (gids.length > 0) expect(moved(shards, out)).to.equal(minimalMoves(shards, gids))
        },
      ),
      { seed: SEED, numRuns: RUNS },
    )
  })

  it('a join moves shards only to the joining gids, a leave only from the leaving ones', () => {
    fc.assert(
      fc.property(startArb, gidsArb, ({ gids, shards }, more) => {
        const joining = more.filter((g) => !gids.includes(g))
        const after = rebalance(shards, [...gids, ...joining])
        for (let s = 0; s < NSHARDS; s++)
          if (after[s] !== shards[s] && gids.length > 0) expect(joining).to.include(after[s])
        const leaving = gids.filter((g) => more.includes(g))
        const rest = gids.filter((g) => !leaving.includes(g))
        const left = rebalance(shards, rest)
        for (let s = 0; s < NSHARDS; s++)
          if (left[s] !== shards[s] && rest.length > 0) expect(leaving).to.include(shards[s])
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })

  it('is deterministic: the order (and repetition) of the gid list does not matter', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: NSHARDS, maxLength: NSHARDS }),
        gidsArb,
        fc.integer(),
        (shards, gids, salt) => {
          const shuffled = [...gids, ...gids.slice(0, 2)].sort(
            (a, b) => ((a * 2654435761) ^ salt) - ((b * 2654435761) ^ salt),
          )
          expect(rebalance(shards, shuffled)).to.deep.equal(rebalance(shards, gids))
        },
      ),
      { seed: SEED, numRuns: RUNS },
    )
  })
})
