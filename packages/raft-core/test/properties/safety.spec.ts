/**
 * Property test: random schedules of ticks, proposals, message loss, partitions, restarts and
 * compactions on 3- and 5-node clusters never violate Raft's safety properties (Figure 3):
 * election safety, log matching, leader completeness and state machine safety.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { Network, text, untext } from '../helpers/network.js'
import type { Entry } from '../../src/types.js'

type Action =
  | { kind: 'tick'; times: number }
  | { kind: 'tickOne'; node: number; times: number }
  | { kind: 'propose'; node: number }
  | { kind: 'drop'; rate: number }
  | { kind: 'reorder'; on: boolean }
  | { kind: 'partition'; mask: number }
  | { kind: 'heal' }
  | { kind: 'restart'; node: number }
  | { kind: 'compact'; node: number }
  | { kind: 'read'; node: number }

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      times: fc.integer({ min: 1, max: 25 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('tickOne' as const),
      node: fc.nat(4),
      times: fc.integer({ min: 1, max: 25 }),
    }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('propose' as const), node: fc.nat(4) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('drop' as const),
      rate: fc.constantFrom(0, 0, 0.1, 0.3),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reorder' as const), on: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('partition' as const), mask: fc.nat(31) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('heal' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), node: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), node: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read' as const), node: fc.nat(4) }) },
)

const same = (a: Entry, b: Entry): boolean =>
  a.term === b.term && untext(a.data) === untext(b.data) && a.kind === b.kind

class Checker {
  private readonly leaderOfTerm = new Map<number, string>()
  /** index -> the applied entry and the highest term any node had when it was first seen. */
  private readonly committed = new Map<number, { entry: Entry; term: number }>()

  constructor(private readonly net: Network) {}

  check(): void {
    const { net } = this
    const maxTerm = Math.max(...net.ids.map((id) => net.node(id).status().term))
    // Election safety: at most one leader per term.
    for (const id of net.leaders()) {
      const term = net.node(id).getState().term
      const known = this.leaderOfTerm.get(term)
      expect(known ?? id, `two leaders in term ${term}`).to.equal(id)
      this.leaderOfTerm.set(term, id)
    }
    // State machine safety: no two different entries applied at one index.
    for (const id of net.ids) {
      for (const [index, e] of net.applied.get(id)?.entries ?? []) {
        const known = this.committed.get(index)
        if (known)
          expect(same(known.entry, e), `different entries applied at ${index}`).to.equal(true)
        else this.committed.set(index, { entry: e, term: maxTerm })
      }
    }
    // Log matching: same index and term -> identical prefixes.
    const logs = net.ids.map((id) => {
      const st = net.node(id).status()
      return {
        id,
        first: st.firstIndex,
        log: net.node(id).entries(st.firstIndex, st.lastIndex + 1),
      }
    })
    for (const a of logs)
      for (const b of logs) {
        if (a.id >= b.id) continue
        const lo = Math.max(a.first, b.first)
        let matchedFrom: number | undefined
        for (let i = Math.min(a.first + a.log.length, b.first + b.log.length) - 1; i >= lo; i--) {
          const ea = a.log[i - a.first]!
          const eb = b.log[i - b.first]!
          if (matchedFrom === undefined && ea.term === eb.term) matchedFrom = i
          if (matchedFrom !== undefined)
            expect(same(ea, eb), `log matching broken at ${i} between ${a.id}, ${b.id}`).to.equal(
              true,
            )
        }
      }
    // Leader completeness: a leader of a later term holds every committed entry.
    for (const id of net.leaders()) {
      const st = net.node(id).status()
      for (const [index, { entry, term }] of this.committed) {
        if (st.term <= term || index < st.firstIndex) continue
        expect(index, `leader ${id} lacks committed index ${index}`).to.be.at.most(st.lastIndex)
        const [mine] = net.node(id).entries(index, index + 1)
        expect(
          same(mine!, entry),
          `leader ${id} has a different entry at committed ${index}`,
        ).to.equal(true)
      }
    }
  }
}

function run(
  size: number,
  seed: number,
  modes: { preVote: boolean; checkQuorum: boolean },
  actions: readonly Action[],
): void {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'].slice(0, size)
  const net = new Network(ids, { seed, config: modes })
  const checker = new Checker(net)
  let counter = 0
  for (const a of actions) {
    const id = ids[('node' in a ? a.node : 0) % size]!
    switch (a.kind) {
      case 'tick':
        net.tick(ids, a.times)
        break
      case 'tickOne':
        net.tick([id], a.times)
        break
      case 'propose': {
        // To one of the nodes that believe they lead (stale leaders included).
        const leaders = net.leaders()
        const leader = leaders[a.node % Math.max(1, leaders.length)]
        if (leader !== undefined) net.node(leader).propose(text(`cmd${counter++}`))
        break
      }
      case 'drop':
        net.dropRate = a.rate
        break
      case 'partition':
        net.heal()
        net.partition(
          ids.filter((_, i) => (a.mask >> i) & 1),
          ids.filter((_, i) => !((a.mask >> i) & 1)),
        )
        break
      case 'reorder':
        net.reorder = a.on
        break
      case 'heal':
        net.heal()
        break
      case 'restart':
        net.restart(id)
        break
      case 'compact': {
        const st = net.node(id).status()
        if (st.appliedIndex > st.snapshotIndex) net.compact(id, st.appliedIndex)
        break
      }
      case 'read':
        if (net.node(id).getState().isLeader) net.node(id).readIndex(counter++)
        break
    }
    net.settle()
    checker.check()
  }
  // Liveness sanity: once healed and lossless, the cluster elects a leader and commits.
  net.heal()
  net.dropRate = 0
  net.reorder = false
  net.tick(ids, 120)
  const leaders = net.leaders()
  expect(leaders.length, 'a leader after healing').to.equal(1)
  const leader = leaders[0]!
  const { index } = net.node(leader).propose(text('final'))
  net.tick(ids, 10)
  for (const id of ids) expect(net.node(id).status().commitIndex).to.be.at.least(index)
  checker.check()
}

describe('safety properties over random schedules', function () {
  this.timeout(60_000)
  for (const size of [3, 5]) {
    it(`${size} nodes: election safety, log matching, leader completeness, state machine safety`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 2 ** 30 }),
          fc.record({ preVote: fc.boolean(), checkQuorum: fc.boolean() }),
          fc.array(action, { minLength: 30, maxLength: 80 }),
          (seed, modes, actions) => run(size, seed, modes, actions),
        ),
        { numRuns: Number(process.env.RAFT_PROPERTY_RUNS ?? 100) },
      )
    })
  }
})
