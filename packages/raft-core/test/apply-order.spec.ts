/**
 * The runtime's apply stream with a received snapshot while a write is in flight (issue 10,
 * bug 1): nothing past a snapshot that has not reached the service yet is handed out before
 * it, and a gap or a reordering in the stream stops the node (ApplyOrderError) instead of
 * corrupting the service's state.
 */
import { expect } from 'chai'
import type { ApplyMsg } from '../src/apply.js'
import { SimulatedClock } from '../src/clock.js'
import { ApplyOrderError } from '../src/errors.js'
import type { RaftLog } from '../src/log.js'
import { MemoryLogger } from '../src/logger.js'
import { Raft } from '../src/runtime.js'
import { RawNode } from '../src/raw-node.js'
import { createRng } from '../src/rng.js'
import { text } from './helpers/network.js'
import { ae, entry, snap } from './helpers/fixture.js'
import { FakeTransport } from './helpers/fake-transport.js'
import { HeldStorage } from './helpers/held-storage.js'
import { rejection } from './helpers/rejection.js'

const range = (lo: number, hi: number): number[] =>
  Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)
const entries = (lo: number, hi: number) => range(lo, hi).map((i) => entry(i, 1))

describe('Raft runtime: a received snapshot and the apply stream', () => {
  interface Follower {
    readonly clock: SimulatedClock
    readonly transport: FakeTransport
    readonly storage: HeldStorage
    readonly logger: MemoryLogger
    readonly raft: Raft
    /** What the service was handed, in order. */
    readonly got: ApplyMsg[]
    /** With `iterate`: resolves with what the for-await loop over applied() threw, if anything. */
    readonly iteration: Promise<unknown>
    /** Lets the node handle what it was given (1 ms of simulated time). */
    readonly settle: () => Promise<void>
  }

  /** Follower `a` of leader `b` (term 1), fed by hand, with a disk the test holds. */
  async function follower(o: { iterate?: boolean } = {}): Promise<Follower> {
    const clock = new SimulatedClock()
    const transport = new FakeTransport('a')
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
    })
    const got: ApplyMsg[] = []
    let iteration: Promise<unknown> = Promise.resolve(undefined)
    if (o.iterate)
      iteration = (async () => {
        try {
          for await (const m of raft.applied()) got.push(m)
        } catch (e) {
          return e
        }
        return undefined
      })()
    else
      raft.onApply((m) => {
        got.push(m)
      })
    const settle = (): Promise<void> => clock.advance(1)
    return { clock, transport, storage, logger, raft, got, iteration, settle }
  }

  /**
   * Entries 1..5 applied; a write (entry 6, no snapshot) held; a snapshot at 20 arrives; then,
   * during the same write, an older reordered AppendEntries whose entries run to 25, commit 25.
   */
  async function snapshotDuringWrite(f: Follower): Promise<void> {
    const { transport, storage, got, settle } = f
    transport.deliver(ae({ from: 'b', to: 'a', term: 1, entries: entries(1, 5), leaderCommit: 5 }))
    await settle()
    expect(got.map((m) => m.index)).to.deep.equal(range(1, 5))
    storage.hold()
    const after5 = { from: 'b', to: 'a', term: 1, prevLogIndex: 5, prevLogTerm: 1 }
    transport.deliver(ae({ ...after5, entries: entries(6, 6), leaderCommit: 5 }))
    await settle()
    expect(storage.held).to.equal(true)
    const data = text('state@20')
    transport.deliver(
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
    transport.deliver(ae({ ...after5, entries: entries(6, 25), leaderCommit: 25 }))
    await settle()
    storage.release()
    await settle()
    await settle()
  }

  it('hands out no entry past a snapshot received during a write before that snapshot', async () => {
    const f = await follower()
    await snapshotDuringWrite(f)
    // The service sees 1..5, then the snapshot at 20, then 21..25: it lost nothing.
    expect(f.got.map((m) => `${m.kind}:${m.index}`)).to.deep.equal([
      ...range(1, 5).map((i) => `command:${i}`),
      'snapshot:20',
      ...range(21, 25).map((i) => `command:${i}`),
    ])
    expect(f.raft.appliedIndex()).to.equal(25)
    expect(f.raft.status().stopReason).to.equal(undefined)
    await f.raft.kill()
  })

  it('a gap in the apply stream stops the node with ApplyOrderError, and the user sees it', async () => {
    // Put back the old takeApplicable, which ignored a snapshot waiting for the next Ready.
    const original = Object.getOwnPropertyDescriptor(RawNode.prototype, 'takeApplicable')!
    RawNode.prototype.takeApplicable = function (this: RawNode) {
      const { log } = (this as unknown as { core: { log: RaftLog } }).core
      const committed = log.nextCommitted()
      const last = committed[committed.length - 1]
      if (last) {
        log.acceptApplying(last.index)
        log.appliedTo(last.index)
      }
      return { committed, readStates: [] }
    }
    let f: Follower
    try {
      f = await follower({ iterate: true })
      await snapshotDuringWrite(f)
    } finally {
      Object.defineProperty(RawNode.prototype, 'takeApplicable', original)
    }
    const { raft, got, logger, transport } = f
    // The service got 1..5 and nothing else: neither 21..25 nor the snapshot behind them.
    expect(got.map((m) => m.index)).to.deep.equal(range(1, 5))
    const reason = raft.status().stopReason
    expect(reason).to.be.instanceOf(ApplyOrderError)
    expect(reason).to.include({ code: 'RAFT_APPLY_ORDER', expected: 6, kind: 'command', index: 21 })
    expect(await f.iteration).to.equal(reason) // the for-await loop threw it
    expect(await rejection(raft.readIndex())).to.equal(reason)
    expect(await rejection(raft.snapshot(5, text('s')))).to.equal(reason)
    expect(raft.start(text('x')).isLeader).to.equal(false)
    expect(
      logger.records.some((r) => r.level === 'error' && r.msg === 'stopping the node'),
    ).to.equal(true)
    await raft.kill() // already stopped: resolves once transport and storage are closed
    expect(transport.closed).to.equal(1)
    expect(raft.status().stopReason).to.equal(reason)
  })
})
