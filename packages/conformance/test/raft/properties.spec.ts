// Property: under any schedule of faults (disconnect, connect, crash, restart, partition,
// unreliable network) and proposals, Raft's safety invariants hold throughout (the harness
// checks them after every simulated step), and once the faults stop the cluster agrees again.
import { expect } from 'chai'
import fc from 'fast-check'
import { SimulatedClock } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { Cluster, memoryStorage } from '../../src/raft/index.js'

type Action =
  | { kind: 'disconnect' | 'connect' | 'crash' | 'restart'; server: number }
  | { kind: 'partition'; groupOf: number[] }
  | { kind: 'heal' }
  | { kind: 'unreliable'; on: boolean }
  | { kind: 'propose'; value: number }
  | { kind: 'sleep'; ms: number }

function actionArb(n: number): fc.Arbitrary<Action> {
  const server = fc.integer({ min: 0, max: n - 1 })
  return fc.oneof(
    fc.record({ kind: fc.constantFrom('disconnect' as const, 'connect' as const), server }),
    fc.record({ kind: fc.constantFrom('crash' as const, 'restart' as const), server }),
    fc.record({
      kind: fc.constant('partition' as const),
      groupOf: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }),
    }),
    fc.record({ kind: fc.constant('heal' as const) }),
    fc.record({ kind: fc.constant('unreliable' as const), on: fc.boolean() }),
    fc.record({
      kind: fc.constant('propose' as const),
      value: fc.integer({ min: 0, max: 1_000_000 }),
    }),
    fc.record({ kind: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 1500 }) }),
  )
}

async function apply(c: Cluster, a: Action): Promise<void> {
  switch (a.kind) {
    case 'disconnect':
      return c.disconnect(a.server)
    case 'connect':
      return c.connect(a.server)
    case 'crash':
      return c.crash1(a.server)
    case 'restart':
      await c.start1(a.server)
      return c.connect(a.server)
    case 'partition': {
      const groups: number[][] = [[], [], []]
      a.groupOf.forEach((g, server) => groups[g]!.push(server))
      return c.partition(groups)
    }
    case 'heal':
      return c.healPartition()
    case 'unreliable':
      return c.setUnreliable(a.on)
    case 'propose':
      for (let i = 0; i < c.n; i++) c.start(i, a.value)
      return
    case 'sleep':
      return c.sleep(a.ms)
  }
}

/** Runs a schedule, then repairs everything and requires agreement on all n servers. */
async function runSchedule(n: number, seed: number, actions: readonly Action[]): Promise<void> {
  const clock = new SimulatedClock()
  await clock.run(async () => {
    const c = await Cluster.create({
      servers: n,
      seed,
      clock,
      createNetwork: (_ids, o) => createMemoryNetwork(o),
      createStorage: memoryStorage,
    })
    try {
      await c.guard(async () => {
        for (const a of actions) {
          await apply(c, a)
          await c.sleep(50) // every step lets the cluster run a little
        }
        c.healPartition()
        c.setUnreliable(false)
        for (let i = 0; i < n; i++) {
          if (!c.isLive(i)) await c.start1(i)
          c.connect(i)
        }
        const index = await c.one(-1, n, true)
        expect(c.nCommitted(index).value).to.equal(-1)
        c.checkInvariants()
      })
    } finally {
      await c.cleanup()
    }
  }, 600_000)
}

const numRuns = Number(process.env['RAFTKIT_PROPERTY_RUNS'] ?? 25)
const fcSeed = Number(process.env['RAFTKIT_SEED'] ?? 20240601)

describe('cluster properties (random fault schedules, simulated time)', function () {
  this.timeout(120_000)
  for (const n of [3, 5]) {
    it(`${n} nodes: invariants hold under any fault schedule, and agreement returns after repair`, async function () {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 0x7fffffff }),
          fc.array(actionArb(n), { maxLength: 25 }),
          (seed, actions) => runSchedule(n, seed, actions),
        ),
        { numRuns, seed: fcSeed + n },
      )
    })
  }
})
