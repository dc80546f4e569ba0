/**
 * Multi-Raft rules: groups share one endpoint per node yet replicate independently; a group id
 * routes every message; node-level faults hit every group of the node; all groups share one
 * tick timer.
 */
import { expect } from 'chai'
import { MemoryStorage, SimulatedClock, createRng } from '@raftkit/raft-core'
import type { ApplyMsg, Raft } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import type { MemoryNetwork } from '@raftkit/transport-memory'
import { MultiRaftNode } from '../src/index.js'

const NODES = ['n1', 'n2', 'n3']
const enc = new TextEncoder()
const dec = new TextDecoder()

interface Cluster {
  readonly net: MemoryNetwork
  readonly nodes: MultiRaftNode[]
  readonly applied: Map<string, string[]>
}

async function cluster(
  clock: SimulatedClock,
  groups: string[],
  seed = 1,
  staggerMs = 0,
): Promise<Cluster> {
  const net = createMemoryNetwork({ seed, clock })
  const nodes = NODES.map((id) => new MultiRaftNode({ transport: net.endpoint(id), clock }))
  const applied = new Map<string, string[]>()
  let s = seed
  for (const node of nodes)
    for (const g of groups) {
      if (staggerMs > 0) await clock.sleep(staggerMs)
      const raft = await node.startGroup(g, {
        peers: NODES,
        storage: new MemoryStorage(),
        rng: createRng(s++ * 7919),
      })
      const key = `${g}/${node.id}`
      applied.set(key, [])
      raft.onApply((m: ApplyMsg) => {
        if (m.kind === 'command') applied.get(key)!.push(dec.decode(m.command))
      })
    }
  return { net, nodes, applied }
}

function leaderOf(c: Cluster, g: string): Raft | undefined {
  return c.nodes.map((n) => n.group(g)).find((r) => r?.getState().isLeader)
}

async function waitLeader(clock: SimulatedClock, c: Cluster, g: string): Promise<Raft> {
  for (let i = 0; i < 100; i++) {
    const l = leaderOf(c, g)
    if (l) return l
    await clock.sleep(100)
  }
  throw new Error(`no leader in group ${g}`)
}

async function close(c: Cluster): Promise<void> {
  for (const n of c.nodes) await n.close()
  await c.net.close()
}

describe('multiraft: many groups over one transport per node', () => {
  it('two groups replicate independently over one network, each applying only its own commands', async () => {
    const clock = new SimulatedClock()
    await clock.run(async () => {
      const c = await cluster(clock, ['a', 'b'])
      const la = await waitLeader(clock, c, 'a')
      const lb = await waitLeader(clock, c, 'b')
      la.start(enc.encode('a1'))
      lb.start(enc.encode('b1'))
      la.start(enc.encode('a2'))
      await clock.sleep(1000)
      for (const id of NODES) {
        expect(c.applied.get(`a/${id}`)).to.deep.equal(['a1', 'a2'])
        expect(c.applied.get(`b/${id}`)).to.deep.equal(['b1'])
      }
      // every message went through the one endpoint of each node, tagged with its group
      const stats = c.nodes[0]!.mux.stats()
      expect(stats.delivered['a']).to.be.greaterThan(0)
      expect(stats.delivered['b']).to.be.greaterThan(0)
      await close(c)
    })
  })

  it('a group stopped on a majority of nodes stops committing while the other group goes on', async () => {
    const clock = new SimulatedClock()
    await clock.run(async () => {
      const c = await cluster(clock, ['a', 'b'], 2)
      await waitLeader(clock, c, 'a')
      await waitLeader(clock, c, 'b')
      await c.nodes[0]!.stopGroup('a')
      await c.nodes[1]!.stopGroup('a')
      await clock.sleep(2000)
      const la = c.nodes[2]!.group('a')!
      la.start(enc.encode('lost'))
      const lb = await waitLeader(clock, c, 'b')
      lb.start(enc.encode('b-ok'))
      await clock.sleep(2000)
      expect(c.applied.get('a/n3')).to.deep.equal([])
      for (const id of NODES) expect(c.applied.get(`b/${id}`)).to.deep.equal(['b-ok'])
      // messages for the stopped group are dropped at n1/n2, not handed to group b
      expect(c.nodes[0]!.mux.stats().dropped).to.be.greaterThan(0)
      await close(c)
    })
  })

  it('disconnecting a node cuts off every group it hosts; the others elect leaders elsewhere', async () => {
    const clock = new SimulatedClock()
    await clock.run(async () => {
      const c = await cluster(clock, ['a', 'b', 'c'], 3)
      for (const g of ['a', 'b', 'c']) await waitLeader(clock, c, g)
      c.net.disconnect('n1')
      await clock.sleep(3000)
      for (const g of ['a', 'b', 'c']) {
        const l = await waitLeader(clock, c, g)
        expect(l.id).to.not.equal('n1')
        l.start(enc.encode(`${g}-x`))
      }
      await clock.sleep(1000)
      for (const g of ['a', 'b', 'c']) {
        expect(c.applied.get(`${g}/n1`)).to.deep.equal([])
        expect(c.applied.get(`${g}/n2`)).to.deep.equal([`${g}-x`])
      }
      c.net.connect('n1')
      await clock.sleep(2000)
      for (const g of ['a', 'b', 'c']) expect(c.applied.get(`${g}/n1`)).to.deep.equal([`${g}-x`])
      await close(c)
    })
  })

  it('all groups of a node share one tick timer per tick (no per-group timer storm)', async () => {
    const clock = new SimulatedClock()
    await clock.run(async () => {
      const groups = Array.from({ length: 20 }, (_, i) => `g${i}`)
      // groups started 3 ms apart: their own tick deadlines would all differ
      const c = await cluster(clock, groups, 4, 3)
      const before = c.nodes[0]!.clock.stats()
      await clock.sleep(1000)
      const after = c.nodes[0]!.clock.stats()
      const ticks = after.timers - before.timers
      const buckets = after.bucketTimers - before.bucketTimers
      // 20 groups × 100 ticks per second asked for, one underlying timer per 10 ms tick
      expect(ticks).to.be.at.least(20 * 95)
      expect(buckets).to.be.at.most(101)
      await close(c)
    })
  })

  it('refuses a group twice on one node and a group whose buffers exceed the per-group bound', async () => {
    const clock = new SimulatedClock()
    await clock.run(async () => {
      const net = createMemoryNetwork({ seed: 1, clock })
      const node = new MultiRaftNode({
        transport: net.endpoint('n1'),
        clock,
        maxGroupBufferBytes: 1024 * 1024,
      })
      await node.startGroup('a', {
        peers: ['n1'],
        storage: new MemoryStorage(),
        config: { maxInflightAppends: 4, maxBytesPerAppend: 256 * 1024 },
      })
      let err: unknown
      await node.startGroup('a', { peers: ['n1'], storage: new MemoryStorage() }).catch((e) => {
        err = e
      })
      expect(String(err)).to.match(/already runs/)
      err = undefined
      await node
        .startGroup('b', {
          peers: ['n1'],
          storage: new MemoryStorage(),
          config: { maxInflightAppends: 8, maxBytesPerAppend: 256 * 1024 },
        })
        .catch((e) => {
          err = e
        })
      expect(String(err)).to.match(/maxGroupBufferBytes/)
      await node.close()
      await net.close()
    })
  })
})
