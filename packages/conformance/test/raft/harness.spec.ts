// The harness must be able to fail: each test feeds it a deliberately broken node (or a real
// Raft with a corrupted apply stream) and checks that the right check catches it.
import { expect } from 'chai'
import { MemoryStorage, Raft, SimulatedClock, packValue, unpackValue } from '@raftkit/raft-core'
import type { ApplyMsg } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import {
  Cluster,
  MemoryStorageHarness,
  TraceHasher,
  memoryStorage,
  raftScenarios,
  runScenario,
  selectScenarios,
} from '../../src/raft/index.js'
import type { ClusterOptions, NodeFactory, RaftNode } from '../../src/raft/index.js'
import { FakeNode } from './fake-node.js'

const memoryNetwork: ClusterOptions['createNetwork'] = (_ids, { seed, clock }) =>
  createMemoryNetwork({ seed, clock })

/** Runs `body` on a cluster of FakeNodes in simulated time; resolves with the outcome. */
async function withFakes(
  body: (c: Cluster, fakes: Map<string, FakeNode>) => Promise<void>,
  options: Partial<ClusterOptions> = {},
): Promise<{ error: Error | undefined; simMs: number }> {
  const clock = new SimulatedClock()
  const fakes = new Map<string, FakeNode>()
  let error: Error | undefined
  await clock.run(async () => {
    const c = await Cluster.create({
      servers: 3,
      seed: 7,
      clock,
      createNetwork: memoryNetwork,
      createStorage: memoryStorage,
      createNode: async (o) => {
        const f = new FakeNode(o)
        fakes.set(o.id, f)
        return f
      },
      ...options,
    })
    try {
      await c.guard(() => body(c, fakes))
    } catch (e) {
      error = e as Error
    } finally {
      await c.cleanup()
    }
  }, 300_000)
  return { error, simMs: clock.now() }
}

const fake = (fakes: Map<string, FakeNode>, id: string): FakeNode => fakes.get(id)!

describe('cluster harness', function () {
  describe('leader checks', function () {
    it('checkOneLeader fails when one term has two leaders', async function () {
      const { error } = await withFakes(
        async (c, fakes) => {
          for (const id of ['0', '1']) Object.assign(fake(fakes, id), { term: 3, leader: true })
          await c.checkOneLeader()
        },
        { invariants: false },
      )
      expect(error?.message).to.equal('term 3 has 2 (>1) leaders')
    })

    it('checkOneLeader returns the leader of the highest term and tolerates stale ones', async function () {
      let leader = -1
      const { error } = await withFakes(async (c, fakes) => {
        Object.assign(fake(fakes, '0'), { term: 2, leader: true })
        Object.assign(fake(fakes, '2'), { term: 5, leader: true })
        leader = await c.checkOneLeader()
      })
      expect(error).to.equal(undefined)
      expect(leader).to.equal(2)
    })

    it('checkOneLeader gives up after ten empty rounds (~5 s)', async function () {
      const { error, simMs } = await withFakes(async (c) => {
        await c.checkOneLeader()
      })
      expect(error?.message).to.equal('expected one leader, got none')
      expect(simMs).to.be.within(4500, 5500)
    })

    it('ignores a disconnected leader, and checkNoLeader sees only connected servers', async function () {
      const { error } = await withFakes(async (c, fakes) => {
        Object.assign(fake(fakes, '1'), { term: 1, leader: true })
        c.disconnect(1)
        c.checkNoLeader()
        c.connect(1)
        c.checkNoLeader()
      })
      expect(error?.message).to.equal(
        'expected no leader among connected servers, but 1 claims to be leader',
      )
    })

    it('checkTerms fails when connected servers disagree', async function () {
      const { error } = await withFakes(async (c, fakes) => {
        fake(fakes, '0').term = 2
        fake(fakes, '1').term = 2
        fake(fakes, '2').term = 3
        c.checkTerms()
      })
      expect(error?.message).to.equal('servers disagree on term')
    })

    it('the election-safety invariant catches two leaders in a term between the checks', async function () {
      const { error } = await withFakes(async (c, fakes) => {
        fake(fakes, '0').term = 4
        fake(fakes, '0').leader = true
        await c.sleep(100)
        fake(fakes, '0').leader = false
        fake(fakes, '2').term = 4
        fake(fakes, '2').leader = true
        await c.sleep(100) // the harness must notice before the scenario looks again
        expect.fail('the run should have been failed by the invariant check')
      })
      expect(error?.message).to.match(
        /election safety violated: term 4 has two leaders \(servers 0 and 2\)/,
      )
    })
  })

  describe('apply checker', function () {
    it('fails the run at once on a conflicting apply', async function () {
      const { error } = await withFakes(async (c, fakes) => {
        await fake(fakes, '0').apply(1, 'x')
        await fake(fakes, '1').apply(1, 'y')
        await c.sleep(10_000)
      })
      expect(error?.message).to.equal('commit index=1 server=1 "y" != server=0 "x"')
    })

    it('fails on an apply out of order (a gap)', async function () {
      const { error } = await withFakes(async (c, fakes) => {
        await fake(fakes, '0').apply(1, 10)
        await fake(fakes, '0').apply(3, 30)
        await c.sleep(10)
      })
      expect(error?.message).to.equal('server 0 apply out of order 3')
    })

    it('fails when a restarted server re-applies a different value', async function () {
      const { error } = await withFakes(async (c, fakes) => {
        await fake(fakes, '2').apply(1, 10)
        await c.start1(2)
        c.connect(2)
        await fake(fakes, '2').apply(1, 11)
        await c.sleep(10)
      })
      expect(error?.message).to.equal('commit index=1 server=2 11 != server=2 10')
    })

    it('nCommitted counts servers and wait() reports who decided', async function () {
      const { error } = await withFakes(async (c, fakes) => {
        await fake(fakes, '0').apply(1, 'a')
        await fake(fakes, '2').apply(1, 'a')
        expect(c.nCommitted(1)).to.deep.equal({ count: 2, value: 'a' })
        expect(c.nCommitted(2)).to.deep.equal({ count: 0, value: undefined })
        expect(await c.wait(1, 2, -1)).to.equal('a')
        await c.wait(1, 3, -1)
      })
      expect(error?.message).to.equal('only 2 decided for index 1; wanted 3')
    })

    it('wait() returns -1 once a term passes startTerm', async function () {
      let got: unknown
      const { error } = await withFakes(async (c, fakes) => {
        fake(fakes, '1').term = 6
        got = await c.wait(1, 3, 5)
      })
      expect(error).to.equal(undefined)
      expect(got).to.equal(-1)
    })

    it('applierSnap: requires consecutive applies and snapshots every 10th index', async function () {
      let snapshots: FakeNode['snapshots'] = []
      const { error } = await withFakes(
        async (c, fakes) => {
          const f = fake(fakes, '0')
          for (let i = 1; i <= 9; i++) await f.apply(i, i * 10)
          snapshots = [...f.snapshots]
          await f.apply(11, 110)
          await c.sleep(10)
        },
        { snapshot: true },
      )
      expect(snapshots).to.have.length(1)
      expect(snapshots[0]!.index).to.equal(9)
      expect(unpackValue(snapshots[0]!.data)).to.deep.equal([
        9,
        [null, 10, 20, 30, 40, 50, 60, 70, 80, 90],
      ])
      expect(error?.message).to.equal('server 0 apply out of order, expected index 10, got 11')
    })

    it('applierSnap: a snapshot ApplyMsg replaces the record, and its index must match', async function () {
      const { error } = await withFakes(
        async (c, fakes) => {
          const f = fake(fakes, '1')
          await f.applySnapshot(3, packValue([3, [null, 'a', 'b', 'c']]))
          await f.apply(4, 'd') // continues after the snapshot
          expect(c.nCommitted(2)).to.deep.equal({ count: 1, value: 'b' })
          await f.applySnapshot(9, packValue([8, [null]]))
          await c.sleep(10)
        },
        { snapshot: true },
      )
      expect(error?.message).to.equal("server 1: snapshot doesn't match m.SnapshotIndex (8 != 9)")
    })
  })

  describe('one()', function () {
    it('fails after 2 s when a command never commits (retry=false)', async function () {
      const { error, simMs } = await withFakes(async (c, fakes) => {
        Object.assign(fake(fakes, '1'), { term: 1, leader: true })
        await c.one(5, 3, false)
      })
      expect(error?.message).to.equal('one(5) failed to reach agreement')
      expect(simMs).to.be.within(2000, 2100)
      // it was proposed on the only leader
    })

    it('retries for 10 s, then fails', async function () {
      let proposed = 0
      const { error, simMs } = await withFakes(async (c, fakes) => {
        const f = Object.assign(fake(fakes, '1'), { term: 1, leader: true })
        try {
          await c.one(5, 3, true)
        } finally {
          proposed = f.log.length
        }
      })
      expect(error?.message).to.equal('one(5) failed to reach agreement')
      expect(simMs).to.be.within(10_000, 12_100)
      expect(proposed).to.equal(5) // a fresh Start() every 2 s
    })

    it('succeeds once enough servers applied the command, returning its index', async function () {
      let index = -1
      const { error } = await withFakes(async (c, fakes) => {
        Object.assign(fake(fakes, '0'), { term: 1, leader: true })
        const pending = c.one('v', 2, false)
        await c.sleep(100)
        await fake(fakes, '0').apply(1, 'v')
        await fake(fakes, '2').apply(1, 'v')
        index = await pending
      })
      expect(error).to.equal(undefined)
      expect(index).to.equal(1)
    })
  })

  describe('invariants', function () {
    it('leader completeness: a later leader missing a committed entry fails the run', async function () {
      const { error } = await withFakes(async (c, fakes) => {
        for (const id of ['0', '1', '2']) fake(fakes, id).setLog(['a'], 1)
        await fake(fakes, '0').apply(1, 'a', 1)
        await c.sleep(10)
        const f = fake(fakes, '2')
        f.setLog([], 1)
        Object.assign(f, { term: 2, leader: true })
        await c.sleep(10)
      })
      expect(error?.message).to.match(
        /leader completeness violated: leader 2 of term 2 has no entry at index 1/,
      )
    })

    it('log matching: same index and term but different earlier entries fail the run', async function () {
      const { error } = await withFakes(async (c, fakes) => {
        fake(fakes, '0').setLog(['a', 'b'], 1)
        fake(fakes, '1').setLog(['x', 'b'], 1)
        await c.sleep(200)
      })
      expect(error?.message).to.match(
        /log matching violated: servers 0 and 1 agree on index 2 \(term 1\) but differ at index 1/,
      )
    })

    it('state machine safety: an index applied from two different terms fails the run', async function () {
      const { error } = await withFakes(async (c, fakes) => {
        await fake(fakes, '0').apply(1, 'a', 1)
        await fake(fakes, '1').apply(1, 'a', 2)
        await c.sleep(10)
      })
      expect(error?.message).to.match(/server 1 applied index 1 from term 2/)
    })
  })

  describe('crash and restart', function () {
    it('crash1 kills the node; start1 makes a new one on the frozen storage, disconnected', async function () {
      const { error } = await withFakes(async (c, fakes) => {
        const old = fake(fakes, '1')
        await c.crash1(1)
        expect(old.killed).to.equal(true)
        expect(c.isLive(1)).to.equal(false)
        expect(c.start(1, 5).isLeader).to.equal(false)
        await c.start1(1)
        expect(fake(fakes, '1')).to.not.equal(old)
        expect(c.isLive(1)).to.equal(true)
        expect(c.isConnected(1)).to.equal(false)
      })
      expect(error).to.equal(undefined)
    })

    it('MemoryStorageHarness: writes after crash() are not seen by the restarted node', async function () {
      const h = new MemoryStorageHarness()
      const s1 = await h.open()
      const entry = (index: number) => ({
        index,
        term: 1,
        kind: 'command' as const,
        data: new Uint8Array([index]),
      })
      await s1.write({ entries: [entry(1)], sync: true })
      await h.crash()
      await s1.write({ entries: [entry(2)], sync: true }) // the killed instance keeps writing
      const s2 = await h.open()
      expect(s2).to.not.equal(s1)
      expect((await s2.load()).entries.map((e) => e.index)).to.deep.equal([1])
      expect(s2).to.be.instanceOf(MemoryStorage)
      await h.destroy()
    })
  })

  describe('with a real Raft', function () {
    const basicAgree = selectScenarios('^TestBasicAgree2B$')[0]!

    it('catches a node whose apply stream is corrupted (TestBasicAgree2B fails)', async function () {
      const corrupting: NodeFactory = async (o) => {
        const raft = await Raft.create(o)
        if (o.id !== '2') return raft
        const node: RaftNode = {
          start: (cmd) => raft.start(cmd),
          getState: () => raft.getState(),
          snapshot: (i, d) => raft.snapshot(i, d),
          status: () => raft.status(),
          entries: (lo, hi) => raft.entries(lo, hi),
          kill: () => raft.kill(),
          onApply: (handler) =>
            raft.onApply((msg: ApplyMsg) =>
              handler(msg.kind === 'command' ? { ...msg, command: packValue(999) } : msg),
            ),
        }
        return node
      }
      let failure: unknown
      try {
        await runScenario(basicAgree, {
          seed: 3,
          clock: 'sim',
          createNetwork: memoryNetwork,
          createStorage: memoryStorage,
          createNode: corrupting,
        })
      } catch (e) {
        failure = e
      }
      expect(String(failure)).to.match(
        /commit index=1 server=2 999 != server=\d 100|commit index=1 server=\d 100 != server=2 999/,
      )
    })

    it('a simulated run is a pure function of its seed (same trace hash twice)', async function () {
      const hash = async (seed: number) => {
        const h = new TraceHasher()
        await runScenario(selectScenarios('^TestReElection2A$')[0]!, {
          seed,
          clock: 'sim',
          createNetwork: memoryNetwork,
          createStorage: memoryStorage,
          trace: h.sink,
        })
        return h.digest()
      }
      const a = await hash(11)
      expect(await hash(11)).to.equal(a)
      expect(await hash(12)).to.not.equal(a)
    })
  })

  describe('raftScenarios() options', function () {
    const base = {
      name: 'x',
      clock: 'sim' as const,
      createNetwork: memoryNetwork,
      createStorage: memoryStorage,
    }

    it('rejects a missing factory with a hint', function () {
      expect(() => raftScenarios({ ...base, createNetwork: undefined as never })).to.throw(
        TypeError,
        /createNetwork\(ids, \{ seed, clock \}\)" is required/,
      )
    })

    it('rejects an unknown capability', function () {
      expect(() => raftScenarios({ ...base, capabilities: { teleport: true } as never })).to.throw(
        TypeError,
        /unknown capability "teleport"/,
      )
    })

    it('rejects a bad clock kind', function () {
      expect(() => raftScenarios({ ...base, clock: 'fast' as never })).to.throw(
        TypeError,
        /"clock" must be 'sim' or 'real'/,
      )
    })
  })
})
