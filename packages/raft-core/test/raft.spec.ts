import { expect } from 'chai'
import type { ApplyMsg } from '../src/apply.js'
import { SimulatedClock } from '../src/clock.js'
import { ConfigError, NotLeaderError, StorageError, StoppedError } from '../src/errors.js'
import { MemoryLogger } from '../src/logger.js'
import { MemoryStorage } from '../src/memory-storage.js'
import type { Message } from '../src/messages.js'
import { Raft } from '../src/runtime.js'
import type { RaftOptions } from '../src/runtime-options.js'
import { createRng } from '../src/rng.js'
import type { Storage, StorageBatch } from '../src/storage.js'
import type { Transport } from '../src/transport.js'
import { TestCluster, bytes } from './cluster.js'
import { rejection } from './helpers/rejection.js'

/** A transport that records what is sent and lets the test inject inbound messages. */
class FakeTransport implements Transport {
  sent: Message[] = []
  handler: ((m: Message) => void) | null = null
  closed = 0
  constructor(readonly id: string) {}
  send(m: Message): void {
    this.sent.push(m)
  }
  listen(h: (m: Message) => void): void {
    this.handler = h
  }
  async close(): Promise<void> {
    this.closed++
  }
}

describe('Raft runtime', function () {
  let cluster: TestCluster
  afterEach(async () => {
    await cluster?.shutdown()
  })

  /** Runs `fn` in the cluster's simulated time. */
  function sim<T>(fn: () => Promise<T>, limitMs = 120_000): Promise<T> {
    return cluster.clock.run(fn, limitMs)
  }

  it('elects exactly one leader among 3 nodes in simulated time; all agree on its term', async () => {
    cluster = new TestCluster({ seed: 1 })
    await sim(async () => {
      await cluster.startAll()
      const leader = await cluster.leader(5_000)
      const { term } = leader.getState()
      expect(term).to.be.greaterThan(0)
      await cluster.waitFor(() =>
        cluster.ids.every((id) => cluster.node(id).status().leader === leader.id),
      )
      for (const id of cluster.ids) expect(cluster.node(id).getState().term).to.equal(term)
      // the leader stays leader while the network is reliable
      await cluster.clock.sleep(3_000)
      expect(cluster.leaders()).to.deep.equal([leader.id])
      expect(leader.getState().term).to.equal(term)
    })
  })

  it('onStateChange tells a leader it was deposed, and its successor that it leads, with the new term, in the turn the change is handled', async () => {
    cluster = new TestCluster({ seed: 21 })
    await sim(async () => {
      await cluster.startAll()
      const leader = await cluster.leader(5_000)
      const { term } = leader.getState()
      const target = cluster.ids.find((id) => id !== leader.id)!
      const seen: Record<string, Array<{ term: number; isLeader: boolean }>> = {}
      for (const id of cluster.ids) {
        seen[id] = []
        cluster.node(id).onStateChange((s) => seen[id]!.push(s))
      }
      await leader.transferLeadership(target)
      // No time passes between the change and the listeners: each one's last call is the state now.
      for (const id of cluster.ids) {
        const now = cluster.node(id).getState()
        expect(now.term).to.be.greaterThan(term)
        expect(seen[id]!.at(-1)).to.deep.equal(now)
      }
      expect(seen[leader.id]!.at(-1)!.isLeader).to.equal(false)
      expect(seen[target]!.at(-1)!.isLeader).to.equal(true)
    })
  })

  it('start() on the leader replicates; every node applies each command once, in order', async () => {
    cluster = new TestCluster({ seed: 2 })
    await sim(async () => {
      await cluster.startAll()
      const leader = await cluster.leader()
      const indexes: number[] = []
      for (let i = 1; i <= 10; i++) {
        const r = leader.start(bytes(`cmd${i}`))
        expect(r.isLeader).to.equal(true)
        expect(r.term).to.equal(leader.getState().term)
        indexes.push(r.index)
      }
      expect(indexes).to.deep.equal(indexes.map((_, i) => indexes[0]! + i)) // consecutive
      const last = indexes[indexes.length - 1]!
      await cluster.waitFor(() =>
        cluster.ids.every((id) => cluster.node(id).appliedIndex() >= last),
      )
      const expected = Array.from({ length: 10 }, (_, i) => `cmd${i + 1}`)
      for (const id of cluster.ids) {
        expect(cluster.commands(id)).to.deep.equal(expected)
        const seen = cluster.applied.get(id)!.map((m) => m.index)
        expect(seen).to.deep.equal(seen.map((_, i) => i + 1)) // 1, 2, 3, ... no gaps, no repeats
        const cmd = cluster.applied
          .get(id)!
          .find((m) => m.kind === 'command' && m.index === indexes[0])
        expect(cmd).to.include({ kind: 'command', index: indexes[0] })
      }
    })
  })

  it('start() on a follower returns isLeader false and appends nothing', async () => {
    cluster = new TestCluster({ seed: 3 })
    await sim(async () => {
      await cluster.startAll()
      const leader = await cluster.leader()
      const follower = cluster.node(cluster.ids.find((id) => id !== leader.id)!)
      const before = follower.status().lastIndex
      const r = follower.start(bytes('nope'))
      expect(r).to.deep.equal({ index: -1, term: follower.getState().term, isLeader: false })
      await cluster.clock.sleep(1_000)
      expect(follower.status().lastIndex).to.equal(before)
      expect(cluster.commands(follower.id)).to.deep.equal([])
    })
  })

  it('kill() stops everything: no timers left, start/getState report not leader, the apply stream ends', async () => {
    cluster = new TestCluster({ seed: 4 })
    await sim(async () => {
      await cluster.startAll()
      const leader = await cluster.leader()
      const read = leader.readIndex() // pending when killed
      await leader.kill()
      await leader.kill() // idempotent
      expect(await rejection(read)).to.be.instanceOf(StoppedError)
      expect(await rejection(leader.readIndex())).to.be.instanceOf(StoppedError)
      expect(leader.start(bytes('x')).isLeader).to.equal(false)
      expect(leader.getState().isLeader).to.equal(false)
      expect(await rejection(leader.snapshot(1, bytes('s')))).to.be.instanceOf(StoppedError)
      for (const id of cluster.ids) await cluster.node(id).kill()
    })
    // every node killed: every tick timer and every in-flight delivery is gone
    expect(cluster.clock.pending()).to.equal(0)
  })

  it('applied() is an async iterator that ends after kill()', async () => {
    const clock = new SimulatedClock()
    const transport = new FakeTransport('a')
    const raft = await Raft.create({
      id: 'a',
      peers: ['a'],
      transport,
      storage: new MemoryStorage(),
      clock,
      rng: createRng(1),
    })
    const got: ApplyMsg[] = []
    const consumed = (async () => {
      for await (const msg of raft.applied()) got.push(msg)
    })()
    expect(() => raft.onApply(() => undefined)).to.throw(/already has a consumer/)
    await clock.run(async () => {
      while (!raft.getState().isLeader) await clock.sleep(10)
      const { index } = raft.start(bytes('solo'))
      while (raft.appliedIndex() < index) await clock.sleep(10)
      await raft.kill()
    })
    await consumed // the for-await loop finished
    expect(got.some((m) => m.kind === 'command')).to.equal(true)
    expect(transport.closed).to.equal(1)
    expect(clock.pending()).to.equal(0)
  })

  it('a node restarted from a copy of its storage resumes with the same term and log', async () => {
    cluster = new TestCluster({ seed: 5 })
    await sim(async () => {
      await cluster.startAll()
      const leader = await cluster.leader()
      let last = 0
      for (let i = 1; i <= 5; i++) last = leader.start(bytes(`v${i}`)).index
      await cluster.waitFor(() =>
        cluster.ids.every((id) => cluster.node(id).appliedIndex() >= last),
      )
      const before = new Map(
        cluster.ids.map((id) => [
          id,
          { term: cluster.node(id).getState().term, log: cluster.node(id).entries(1, last + 1) },
        ]),
      )
      for (const id of cluster.ids) {
        const copy = await cluster.crash(id)
        const raft = await cluster.start(id, copy)
        expect(raft.getState().term).to.equal(before.get(id)!.term)
        expect(raft.entries(1, last + 1)).to.deep.equal(before.get(id)!.log)
      }
      // the restarted cluster elects a leader again and keeps committing on top of the old log
      const next = await cluster.leader()
      const r = next.start(bytes('after'))
      await cluster.waitFor(() =>
        cluster.ids.every((id) => cluster.node(id).appliedIndex() >= r.index),
      )
      for (const id of cluster.ids) {
        // applied before the crash, re-applied after it, then the new command
        const cmds = cluster.commands(id)
        expect(cmds.slice(0, 5)).to.deep.equal(['v1', 'v2', 'v3', 'v4', 'v5'])
        expect(cmds.slice(5)).to.deep.equal(['v1', 'v2', 'v3', 'v4', 'v5', 'after'])
      }
    })
  })

  it('readIndex resolves on the leader at a commit index covering its writes, and rejects on a follower', async () => {
    cluster = new TestCluster({ seed: 6 })
    await sim(async () => {
      await cluster.startAll()
      const leader = await cluster.leader()
      const w = leader.start(bytes('w'))
      await cluster.waitFor(() => leader.appliedIndex() >= w.index)
      const index = await leader.readIndex()
      expect(index).to.be.at.least(w.index)
      const follower = cluster.node(cluster.ids.find((id) => id !== leader.id)!)
      const err = await rejection(follower.readIndex())
      expect(err).to.be.instanceOf(NotLeaderError)
      expect((err as NotLeaderError).leaderHint).to.equal(leader.id)
    })
  })

  it('readIndex calls made before the pump runs share one request; a later call starts a new one covering newer writes', async () => {
    cluster = new TestCluster({ seed: 8 })
    await sim(async () => {
      await cluster.startAll()
      const leader = await cluster.leader()
      const w = leader.start(bytes('w'))
      await cluster.waitFor(() => leader.appliedIndex() >= w.index)
      const first = leader.readIndex()
      const second = leader.readIndex()
      expect(second).to.equal(first) // one ReadIndex request, one heartbeat round
      expect(await first).to.be.at.least(w.index)
      const w2 = leader.start(bytes('w2'))
      await cluster.waitFor(() => leader.appliedIndex() >= w2.index)
      const later = leader.readIndex()
      expect(later).to.not.equal(first)
      expect(await later).to.be.at.least(w2.index)
    })
  })

  it('a pending read is rejected with NotLeaderError when the leader loses leadership', async () => {
    cluster = new TestCluster({ seed: 7 })
    await sim(async () => {
      await cluster.startAll()
      const leader = await cluster.leader()
      const w = leader.start(bytes('w'))
      await cluster.waitFor(() => leader.appliedIndex() >= w.index)
      cluster.net.disconnect(leader.id) // the heartbeat round can never be confirmed
      const err = await rejection(leader.readIndex())
      expect(err).to.be.instanceOf(NotLeaderError)
    })
  })

  it('persists term and vote before any message of that Ready leaves the node', async () => {
    const clock = new SimulatedClock()
    const transport = new FakeTransport('a')
    const storage = new MemoryStorage()
    const writes: StorageBatch[] = []
    let release: (() => void) | undefined
    const gated: Storage = {
      capabilities: storage.capabilities,
      load: () => storage.load(),
      write: async (batch) => {
        writes.push(batch)
        await new Promise<void>((resolve) => (release = resolve))
        return storage.write(batch)
      },
      compact: (snapshot) => storage.compact(snapshot),
      size: () => storage.size(),
      close: () => storage.close(),
    }
    const raft = await Raft.create({
      id: 'a',
      peers: ['a', 'b', 'c'],
      transport,
      storage: gated,
      clock,
      rng: createRng(3),
      config: { preVote: false }, // without pre-vote, the first campaign changes term and vote
    })
    await clock.run(async () => {
      while (writes.length === 0) await clock.sleep(10) // the election timeout fires: term+1, vote for self
      await clock.sleep(50)
      expect(transport.sent).to.deep.equal([]) // RequestVote waits for the write
      expect(writes[0]!.hardState?.term).to.be.greaterThan(0)
      release!()
      while (transport.sent.length === 0) await clock.sleep(1)
      expect((await storage.load()).hardState.term).to.be.greaterThan(0)
      await raft.kill()
    }, 60_000)
    release?.()
  })

  it('a storage failure stops the node and rejects pending reads with StorageError', async () => {
    cluster = new TestCluster({ seed: 8 })
    await sim(async () => {
      await cluster.startAll()
      const leader = await cluster.leader()
      const w = leader.start(bytes('w'))
      await cluster.waitFor(() => leader.appliedIndex() >= w.index)
      const storage = cluster.storages.get(leader.id)!
      storage.write = () => Promise.reject(new Error('disk on fire'))
      const read = leader.readIndex()
      leader.start(bytes('doomed'))
      const err = await rejection(read)
      expect(err).to.be.instanceOf(StorageError)
      expect(leader.getState().isLeader).to.equal(false)
      // status() agrees with getState(): a stopped node leads nothing and tracks no peers.
      const st = leader.status()
      expect(st.stopReason).to.equal(err)
      expect(st).to.include({ role: 'follower', leader: null })
      expect(st.progress).to.equal(undefined)
      expect(
        cluster.warnings.some((w) => w.id === leader.id && w.msg === 'stopping the node'),
      ).to.equal(true)
    })
  })

  it('service snapshots from inside the apply handler compact the log without deadlock', async () => {
    cluster = new TestCluster({
      seed: 9,
      onApply: async (_id, msg, raft) => {
        if (msg.index % 5 === 0 && msg.kind !== 'snapshot')
          await raft.snapshot(msg.index, bytes(`state@${msg.index}`))
      },
    })
    await sim(async () => {
      await cluster.startAll()
      const leader = await cluster.leader()
      let last = 0
      for (let i = 1; i <= 23; i++) last = leader.start(bytes(`c${i}`)).index
      await cluster.waitFor(() =>
        cluster.ids.every((id) => cluster.node(id).appliedIndex() >= last),
      )
      for (const id of cluster.ids) {
        const st = cluster.node(id).status()
        expect(st.snapshotIndex).to.be.at.least(20)
        expect(st.firstIndex).to.equal(st.snapshotIndex + 1)
        const persisted = await cluster.storages.get(id)!.load()
        expect(persisted.snapshot?.meta.index).to.equal(st.snapshotIndex)
      }
      // a restart delivers the snapshot first, then the entries after it
      const id = cluster.ids[0]!
      const copy = await cluster.crash(id)
      const before = cluster.applied.get(id)!.length
      await cluster.start(id, copy)
      await cluster.waitFor(() => cluster.node(id).appliedIndex() >= last)
      const after = cluster.applied.get(id)!.slice(before)
      expect(after[0]!.kind).to.equal('snapshot')
      const rest = after.slice(1).map((m) => m.index)
      expect(rest).to.deep.equal(rest.map((_, i) => after[0]!.index + 1 + i))
    })
  })

  it('a follower that fell behind a compacted log catches up through a snapshot', async () => {
    cluster = new TestCluster({
      seed: 10,
      onApply: async (_id, msg, raft) => {
        if (msg.index % 10 === 0 && msg.kind !== 'snapshot')
          await raft.snapshot(msg.index, bytes(`state@${msg.index}`))
      },
    })
    await sim(async () => {
      await cluster.startAll()
      const leader = await cluster.leader()
      const lagging = cluster.ids.find((id) => id !== leader.id)!
      cluster.net.disconnect(lagging)
      let last = 0
      for (let i = 1; i <= 30; i++) last = leader.start(bytes(`c${i}`)).index
      await cluster.waitFor(() => leader.status().snapshotIndex >= 20)
      cluster.net.connect(lagging)
      await cluster.waitFor(() => cluster.node(lagging).appliedIndex() >= last)
      const msgs = cluster.applied.get(lagging)!
      expect(msgs.some((m) => m.kind === 'snapshot')).to.equal(true)
    })
  })

  it('drops malformed, misaddressed and self-addressed messages from the transport with a warning', async () => {
    const clock = new SimulatedClock()
    const transport = new FakeTransport('a')
    const logger = new MemoryLogger()
    const raft = await Raft.create({
      id: 'a',
      peers: ['a', 'b', 'c'],
      transport,
      storage: new MemoryStorage(),
      clock,
      logger,
      rng: createRng(1),
    })
    const vote = {
      type: 'RequestVote',
      from: 'b',
      to: 'a',
      term: 5,
      lastLogIndex: 0,
      lastLogTerm: 0,
      preVote: false,
    }
    transport.handler!({ ...vote, term: -3 } as Message)
    transport.handler!({ type: 'Gossip', from: 'b', to: 'a', term: 9 } as unknown as Message)
    transport.handler!({ ...vote, to: 'b' } as Message)
    transport.handler!({ ...vote, from: 'a' } as Message)
    await clock.advance(1)
    expect(logger.records.filter((r) => r.level === 'warn')).to.have.length(4)
    expect(raft.getState().term).to.equal(0) // none of the term-5 messages reached the core
    transport.handler!(vote as Message) // a good one does
    await clock.advance(1)
    expect(raft.getState().term).to.equal(5)
    await raft.kill()
  })

  describe('configuration', () => {
    const base = (over: Partial<RaftOptions> = {}): RaftOptions => ({
      id: 'a',
      peers: ['a', 'b', 'c'],
      transport: new FakeTransport('a'),
      storage: new MemoryStorage(),
      clock: new SimulatedClock(),
      ...over,
    })
    async function configError(options: RaftOptions): Promise<ConfigError> {
      const err = await rejection(Raft.create(options))
      expect(err).to.be.instanceOf(ConfigError)
      return err as ConfigError
    }

    it('names electionTimeoutMinMs when it is too close to the heartbeat', async () => {
      const err = await configError(
        base({ config: { electionTimeoutMinMs: 50, heartbeatIntervalMs: 100 } }),
      )
      expect(err.field).to.equal('electionTimeoutMinMs')
    })
    it('rejects unknown settings and bad numbers', async () => {
      expect((await configError(base({ config: { tickMS: 5 } as never }))).field).to.equal('tickMS')
      expect((await configError(base({ config: { tickMs: 0 } }))).field).to.equal('tickMs')
    })
    it('rejects peers without this node, duplicates, and a transport of another node', async () => {
      expect((await configError(base({ peers: ['b', 'c'] }))).field).to.equal('peers')
      expect((await configError(base({ peers: ['a', 'b', 'b'] }))).field).to.equal('peers')
      expect((await configError(base({ peers: [] }))).field).to.equal('peers')
      expect((await configError(base({ transport: new FakeTransport('b') }))).field).to.equal(
        'transport',
      )
    })
    it('a rejected configuration starts nothing', async () => {
      const clock = new SimulatedClock()
      const transport = new FakeTransport('a')
      await configError(base({ clock, transport, config: { electionTimeoutMaxMs: 1 } }))
      expect(clock.pending()).to.equal(0)
      expect(transport.handler).to.equal(null)
    })
  })

  describe('determinism', () => {
    /** A scenario with elections, a partition and commands; returns its trace. */
    async function scenario(seed: number): Promise<string[]> {
      const c = new TestCluster({ seed })
      try {
        await c.clock.run(async () => {
          await c.startAll()
          const leader = await c.leader()
          for (let i = 0; i < 5; i++) leader.start(bytes(`a${i}`))
          await c.clock.sleep(500)
          c.net.disconnect(leader.id)
          await c.waitFor(() => c.leaders().filter((id) => id !== leader.id).length === 1)
          const second = c.node(c.leaders().find((id) => id !== leader.id)!)
          for (let i = 0; i < 5; i++) second.start(bytes(`b${i}`))
          c.net.connect(leader.id)
          await c.clock.sleep(2_000)
        }, 60_000)
        return c.trace
      } finally {
        await c.shutdown()
      }
    }

    it('the same seed gives the same run; different seeds give different runs', async () => {
      cluster = new TestCluster() // for afterEach
      const first = await scenario(11)
      expect(first.filter((l) => l.includes(' leader '))).to.have.length.at.least(2)
      expect(first.filter((l) => l.includes('apply command'))).to.have.length.at.least(10)
      expect(await scenario(11)).to.deep.equal(first)
      const others = [await scenario(12), await scenario(13)]
      expect(others.some((t) => JSON.stringify(t) !== JSON.stringify(first))).to.equal(true)
    })
  })
})
