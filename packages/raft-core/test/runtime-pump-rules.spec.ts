/**
 * The Ready pump's rules (runtime-pump.ts, and runtime-reads.ts's hand-off), each at a node fed
 * by hand: a snapshot from the leader reaches the service only once it is durable, and entries
 * after it only after it; a node stopped mid-write sends nothing of that Ready and ignores what
 * arrives; a message the transport refuses, or one the core fails on, is logged and dropped
 * without stopping the node; what arrives in one turn costs one pump turn; a follower's read
 * fails in that turn. Found by mutation testing (TESTING.md "raft-core's runtime (session 20)").
 */
import { expect } from 'chai'
import type { ApplyMsg } from '../src/apply.js'
import { SimulatedClock } from '../src/clock.js'
import { NotLeaderError } from '../src/errors.js'
import { MemoryLogger } from '../src/logger.js'
import type { Message } from '../src/messages.js'
import { RawNode } from '../src/raw-node.js'
import { Raft } from '../src/runtime.js'
import { createRng } from '../src/rng.js'
import { text } from './helpers/network.js'
import { ae, entry, ofType, snap, voteReply } from './helpers/fixture.js'
import { FakeTransport } from './helpers/fake-transport.js'
import { HeldStorage } from './helpers/held-storage.js'

const range = (lo: number, hi: number): number[] =>
  Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)
const entries = (lo: number, hi: number) => range(lo, hi).map((i) => entry(i, 1))
const shown = (got: readonly ApplyMsg[]): string[] => got.map((m) => `${m.kind}:${m.index}`)

interface Node {
  readonly transport: FakeTransport
  readonly storage: HeldStorage
  readonly logger: MemoryLogger
  readonly raft: Raft
  /** What the service was handed, in order. */
  readonly got: ApplyMsg[]
  /** Lets the node handle what it was given (1 ms of simulated time). */
  readonly settle: () => Promise<void>
}

/** Node `a` of a three-node cluster, fed by hand, with a disk the test holds. */
async function node(transport = new FakeTransport('a'), preVote = true): Promise<Node> {
  const clock = new SimulatedClock()
  const storage = new HeldStorage()
  const logger = new MemoryLogger()
  const raft = await Raft.create({
    id: 'a',
    peers: ['a', 'b', 'c'],
    transport,
    storage,
    clock,
    logger,
    rng: createRng(1),
    config: { preVote },
  })
  const got: ApplyMsg[] = []
  raft.onApply((m) => {
    got.push(m)
  })
  return { transport, storage, logger, raft, got, settle: () => clock.advance(1) }
}

/** Entries 1..5 applied at follower `a` of leader `b` (term 1); then a snapshot at 20 arrives. */
async function snapshotArrives(n: Node): Promise<void> {
  n.transport.deliver(ae({ from: 'b', to: 'a', term: 1, entries: entries(1, 5), leaderCommit: 5 }))
  await n.settle()
  expect(shown(n.got)).to.deep.equal(range(1, 5).map((i) => `command:${i}`))
  n.storage.hold()
  const data = text('state@20')
  n.transport.deliver(
    snap({
      from: 'b',
      to: 'a',
      term: 1,
      lastIncludedIndex: 20,
      lastIncludedTerm: 1,
      data,
      totalBytes: data.length,
    }),
  )
  await n.settle()
  expect(n.storage.held).to.equal(true)
}

describe('Raft runtime: the Ready pump’s rules', () => {
  it('hands a snapshot received from the leader to the service only once it is durable here', async () => {
    const n = await node()
    await snapshotArrives(n)
    // Its write is held: the service still has 1..5 only, and the disk has no snapshot.
    expect(shown(n.got)).to.deep.equal(range(1, 5).map((i) => `command:${i}`))
    expect((await n.storage.load()).snapshot).to.equal(undefined)
    n.storage.release()
    await n.settle()
    expect(shown(n.got).slice(5)).to.deep.equal(['snapshot:20'])
    expect((await n.storage.load()).snapshot?.meta.index).to.equal(20)
    await n.raft.kill()
  })

  it('hands entries committed while a received snapshot is being written to the service after the snapshot', async () => {
    const n = await node()
    await snapshotArrives(n)
    // During the snapshot's write, the leader sends 21..25 and commits them.
    const after20 = { from: 'b', to: 'a', term: 1, prevLogIndex: 20, prevLogTerm: 1 }
    n.transport.deliver(ae({ ...after20, entries: entries(21, 25), leaderCommit: 25 }))
    await n.settle()
    expect(shown(n.got)).to.deep.equal(range(1, 5).map((i) => `command:${i}`))
    n.storage.release()
    await n.settle()
    await n.settle()
    expect(shown(n.got)).to.deep.equal([
      ...range(1, 5).map((i) => `command:${i}`),
      'snapshot:20',
      ...range(21, 25).map((i) => `command:${i}`),
    ])
    expect(n.raft.status().stopReason).to.equal(undefined)
    await n.raft.kill()
  })

  it('sends nothing of a Ready whose write was in flight when the node was killed', async () => {
    const n = await node()
    n.storage.hold()
    n.transport.deliver(ae({ from: 'b', to: 'a', term: 1, entries: entries(1, 3) }))
    await n.settle()
    // The reply acknowledges the entries: it waits for their write.
    expect(ofType(n.transport.sent, 'AppendEntriesReply')).to.deep.equal([])
    const killed = n.raft.kill()
    n.storage.release() // the write completes after the kill
    await killed
    await n.settle()
    expect(n.transport.sent).to.deep.equal([])
  })

  it('ignores messages that arrive once the node was killed: its term stays', async () => {
    const n = await node()
    await n.raft.kill()
    n.transport.deliver(
      ae({ from: 'b', to: 'a', term: 5, entries: entries(1, 1), leaderCommit: 1 }),
    )
    await n.settle()
    expect(n.raft.getState().term).to.equal(0)
    expect(n.raft.status()).to.include({ term: 0, lastIndex: 0 })
    expect(n.got).to.deep.equal([])
  })

  it('logs a message the transport refuses to send and drops it; the other messages leave and the node goes on', async () => {
    class RefusesC extends FakeTransport {
      override send(m: Message): void {
        if (m.to === 'c') throw new Error('c is unreachable')
        super.send(m)
      }
    }
    const n = await node(new RefusesC('a'), false)
    // The election timeout fires: a RequestVote to b and one to c (refused).
    while (ofType(n.transport.sent, 'RequestVote').length === 0) await n.settle()
    const refused = n.logger.records.filter((r) => r.msg === 'transport refused a message')
    expect(refused).to.deep.equal([
      {
        level: 'error',
        msg: 'transport refused a message',
        fields: { type: 'RequestVote', to: 'c', error: 'Error: c is unreachable' },
      },
    ])
    expect(ofType(n.transport.sent, 'RequestVote').map((m) => m.to)).to.deep.equal(['b'])
    // b's vote makes `a` leader: it goes on sending.
    const { term } = n.raft.getState()
    n.transport.deliver(voteReply({ from: 'b', to: 'a', term }))
    await n.settle()
    expect(n.raft.getState()).to.deep.equal({ term, isLeader: true })
    expect(ofType(n.transport.sent, 'AppendEntries').map((m) => m.to)).to.include('b')
    expect(n.raft.status().stopReason).to.equal(undefined)
    await n.raft.kill()
  })

  it('logs and drops a message the core fails on; the node handles the next one', async () => {
    const n = await node()
    const original = Object.getOwnPropertyDescriptor(RawNode.prototype, 'step')!
    const step = original.value as RawNode['step']
    let failures = 1
    RawNode.prototype.step = function (this: RawNode, m: Message): void {
      if (failures-- > 0) throw new Error('core bug')
      step.call(this, m)
    }
    try {
      n.transport.deliver(ae({ from: 'b', to: 'a', term: 1, entries: entries(1, 1) }))
      n.transport.deliver(ae({ from: 'b', to: 'a', term: 1, entries: entries(1, 2) }))
    } finally {
      Object.defineProperty(RawNode.prototype, 'step', original)
    }
    await n.settle()
    expect(n.logger.records.filter((r) => r.level === 'error')).to.deep.equal([
      {
        level: 'error',
        msg: 'the core failed to handle a message',
        fields: { type: 'AppendEntries', error: 'Error: core bug' },
      },
    ])
    expect(n.raft.status()).to.include({ term: 1, lastIndex: 2 })
    expect(n.raft.status().stopReason).to.equal(undefined)
    await n.raft.kill()
  })
  it('gathers proposals and reads that arrive in one turn into one pump turn: one timer, one write', async () => {
    const disk = new HeldStorage()
    const clock = new SimulatedClock()
    const raft = await Raft.create({
      id: 'a',
      peers: ['a'],
      transport: new FakeTransport('a'),
      storage: disk,
      clock,
      rng: createRng(1),
    })
    raft.onApply(() => undefined)
    while (!raft.getState().isLeader) await clock.advance(1)
    await clock.advance(1)
    const timers = clock.pending()
    const writes = disk.batches.length
    const indexes = [raft.start(text('x')), raft.start(text('y')), raft.start(text('z'))].map(
      (r) => r.index,
    )
    const read = raft.readIndex()
    expect(clock.pending()).to.equal(timers + 1)
    await clock.advance(1)
    expect(
      disk.batches.slice(writes).map((b) => (b.entries ?? []).map((e) => e.index)),
    ).to.deep.equal([indexes])
    expect(await read).to.be.at.least(indexes[0]! - 1)
    await raft.kill()
  })
  it('rejects a follower’s readIndex in the pump turn that hands it to the core, naming the leader', async () => {
    const n = await node()
    n.transport.deliver(ae({ from: 'b', to: 'a', term: 1 }))
    await n.settle()
    // Nothing more arrives, so no Ready follows for a whole election timeout.
    const read = n.raft.readIndex().then(
      () => 'resolved',
      (e: unknown) => e,
    )
    await n.settle()
    const outcome = await Promise.race([read, Promise.resolve('pending')])
    expect(outcome).to.be.instanceOf(NotLeaderError)
    expect((outcome as NotLeaderError).leaderHint).to.equal('b')
    await n.raft.kill()
  })
})
