/**
 * The checker against a brute-force oracle: for small random histories (at most 7 operations on
 * up to two keys, integer times so that intervals often touch, some outcomes unknown) every
 * sequential order that respects real time is enumerated, with each unknown-outcome operation
 * either placed somewhere or left out. The checker's verdict must match, and its witness must be
 * valid. Written from the mutation run of the checker group (TESTING.md "linearizability").
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { checkOperations, isPending, kvModel } from '../src/index.js'
import { append, expectLegalPrefix, expectWitness, get, put, type KvOperation } from './helpers.js'

/**
 * Enumerates every sequential order of `ops` that respects real time (an operation can go next
 * once every operation that returned strictly before its call is placed), unknown-outcome ones
 * optional. Returns whether one places every operation with a known outcome (the definition of
 * linearizable) and the most operations any legal order places: when the history is not
 * linearizable, the length of the longest prefix the checker must report.
 */
export function bruteForce(ops: readonly KvOperation[]): { ok: boolean; deepest: number } {
  const used = new Array<boolean>(ops.length).fill(false)
  const mustPlace = ops.filter((op) => !isPending(op)).length
  let deepest = 0
  const search = (state: Map<string, string>, placed: number, depth: number): boolean => {
    deepest = Math.max(deepest, depth)
    if (placed === mustPlace) return true
    for (let b = 0; b < ops.length; b++) {
      if (used[b]) continue
      const op = ops[b]!
      if (ops.some((a, i) => !used[i] && a.return < op.call)) continue
      const r = kvModel.step(state.get(op.input.key) ?? '', op.input, op.output)
      if (!r.ok) continue
      used[b] = true
      const next = new Map(state).set(op.input.key, r.state)
      if (search(next, placed + (isPending(op) ? 0 : 1), depth + 1)) return true
      used[b] = false
    }
    return false
  }
  return { ok: search(new Map(), 0, 0), deepest }
}

const VALUES = ['', 'a', 'b', 'ab', 'ba', 'x', 'xa', 'xb']

const smallOp: fc.Arbitrary<KvOperation> = fc
  .record({
    kind: fc.constantFrom('get', 'get', 'put', 'append'),
    key: fc.constantFrom('k', 'k', 'k', 'j'),
    client: fc.nat({ max: 3 }),
    call: fc.nat({ max: 8 }),
    length: fc.nat({ max: 5 }),
    unknown: fc.nat({ max: 4 }),
    value: fc.constantFrom('a', 'b'),
    observed: fc.constantFrom(...VALUES),
  })
  .map((p) => {
    const ret = p.unknown === 0 ? Infinity : p.call + p.length
    if (p.kind === 'get') return get(p.client, p.call, ret, p.key, p.observed)
    if (p.kind === 'put') return put(p.client, p.call, ret, p.key, p.value === 'a' ? 'x' : 'a')
    return append(p.client, p.call, ret, p.key, p.value)
  })

describe('linearizability: the checker agrees with a brute-force oracle (property)', () => {
  // kvModel hashes its states; with a constant hash every configuration with the same set of
  // operations shares a cache bucket, so the cache must tell them apart by state (the hash
  // collisions a long history meets).
  for (const [name, model] of [
    ['kvModel', kvModel],
    ['kvModel with a constant state hash', { ...kvModel, hash: () => 0 }],
  ] as const) {
    it(`${name}: gives the verdict of enumerating every real-time order, a valid witness when ok, the longest legal prefix when not`, () => {
      let ok = 0
      let illegal = 0
      fc.assert(
        fc.property(fc.array(smallOp, { minLength: 1, maxLength: 7 }), (history) => {
          const expected = bruteForce(history).ok
          const r = checkOperations(model, history, { verbose: true })
          expect(r.result, r.explanation).to.equal(expected ? 'ok' : 'illegal')
          if (expected) ok++
          else illegal++
          for (const p of r.partitions) {
            if (p.verdict === 'ok') {
              expectWitness(p.operations, p.linearization!)
              continue
            }
            expect(p.verdict).to.equal('illegal')
            const prefix = p.longestPrefix!
            expectLegalPrefix(p.operations, prefix)
            expect(prefix.length, 'the longest prefix').to.equal(bruteForce(p.operations).deepest)
          }
        }),
        { seed: 20261206, numRuns: 2000 },
      )
      // Both verdicts are well represented, so neither half of the comparison is vacuous.
      expect(ok).to.be.greaterThan(400)
      expect(illegal).to.be.greaterThan(400)
    })
  }
})
