/**
 * The controller answers Query with a linearizable read without a log entry (ReadIndex):
 * polling adds nothing to its log, and a leader that has been deposed (cut off from the
 * majority, which then moved on) never answers from its stale state.
 */
import { expect } from 'chai'
import type { Raft } from '@raftkit/raft-core'
import { MemoryStorage, SimulatedClock, createRng } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { MultiRaftNode } from '@raftkit/multiraft'
import { CtrlerClient, MemoryShardRpc, ShardCtrlerServer } from '../src/index.js'
import type { CtrlerReply } from '../src/index.js'

const IDS = ['n0', 'n1', 'n2']

async function withCtrlers(
  body: (c: {
    clock: SimulatedClock
    net: ReturnType<typeof createMemoryNetwork>
    rafts: Raft[]
    servers: ShardCtrlerServer[]
    admin: (servers: string[]) => CtrlerClient
  }) => Promise<void>,
): Promise<void> {
  const clock = new SimulatedClock()
  await clock.run(async () => {
    const net = createMemoryNetwork({ seed: 3, clock })
    const rpc = new MemoryShardRpc({ clock, seed: 3 })
    const nodes = IDS.map((id) => new MultiRaftNode({ transport: net.endpoint(id), clock }))
    const rafts: Raft[] = []
    const servers: ShardCtrlerServer[] = []
    for (const [i, node] of nodes.entries()) {
      const storage = new MemoryStorage()
      // No CheckQuorum: a cut-off leader keeps believing it leads (the case ReadIndex must handle).
      const raft = await node.startGroup('ctrler', {
        peers: IDS,
        storage,
        rng: createRng(10 + i),
        config: { checkQuorum: false },
      })
      const server = new ShardCtrlerServer({ raft, clock, storageSize: () => storage.size() })
      rpc.register(`ctrler-${i}`, (req) => server.handle(req))
      rafts.push(raft)
      servers.push(server)
    }
    const clients: CtrlerClient[] = []
    const admin = (names: string[]): CtrlerClient => {
      const n = clients.length
      const c = new CtrlerClient({
        rpc,
        servers: names,
        clock,
        name: `admin${n}`,
        rng: createRng(n),
      })
      clients.push(c)
      return c
    }
    try {
      await body({ clock, net, rafts, servers, admin })
    } finally {
      for (const c of clients) c.close()
      for (const s of servers) await s.kill()
      for (const node of nodes) await node.close()
      await net.close()
    }
  })
}

const leaderOf = (servers: ShardCtrlerServer[]): number => servers.findIndex((s) => s.isLeader())

describe('shard controller Query (ReadIndex, no log entry)', () => {
  it('polling the configuration adds no entry to the controller log', async () => {
    await withCtrlers(async ({ rafts, servers, admin }) => {
      const clerk = admin(IDS.map((_, i) => `ctrler-${i}`))
      await clerk.join({ 100: ['a'] })
      const leader = leaderOf(servers)
      expect(leader).to.be.at.least(0)
      const before = rafts[leader]!.status().lastIndex
      for (let i = 0; i < 20; i++) {
        const c = await clerk.query(-1)
        expect(c.num).to.equal(1)
      }
      expect(await clerk.tryQuery(0)).to.deep.include({ num: 0 })
      expect(rafts[leader]!.status().lastIndex).to.equal(before)
    })
  })

  it('a deposed leader does not answer a Query from its stale state', async () => {
    await withCtrlers(async ({ clock, net, servers, admin }) => {
      const all = IDS.map((_, i) => `ctrler-${i}`)
      await admin(all).join({ 100: ['a'] })
      const old = leaderOf(servers)
      net.disconnect(IDS[old]!)
      const rest = all.filter((_, i) => i !== old)
      await admin(rest).join({ 101: ['b'] }) // the majority elects a leader and moves on
      expect(servers[old]!.isLeader()).to.equal(true) // still believes it leads
      expect(servers[old]!.stateMachine.latest().num).to.equal(1)
      const reply: CtrlerReply = await servers[old]!.handle({ op: 'query', num: -1 })
      expect(reply.ok).to.equal(false)
      // once reconnected it learns it was deposed; the configuration it then serves is fresh
      net.connect(IDS[old]!)
      await clock.sleep(2000)
      const fresh = await admin(all).query(-1)
      expect(fresh.num).to.equal(2)
    })
  })
})
