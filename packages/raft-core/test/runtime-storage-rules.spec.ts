/**
 * The runtime's storage chain (runtime-storage.ts): what a leader may send while its own write
 * is in flight (pipelineLeaderAppends: nothing that depends on a term or vote not yet durable),
 * and how stopping ends the chain (queued operations never reach the storage; the storage is
 * closed after the write in flight). Found by mutation testing (TESTING.md "raft-core's runtime
 * (session 20)").
 */
import { expect } from 'chai'
import { SimulatedClock } from '../src/clock.js'
import type { RaftConfig } from '../src/config.js'
import { StoppedError } from '../src/errors.js'
import type { Message } from '../src/messages.js'
import { Raft } from '../src/runtime.js'
import { createRng } from '../src/rng.js'
import type { PersistedState } from '../src/storage.js'
import { text } from './helpers/network.js'
import { aeReply, ofType } from './helpers/fixture.js'
import { FakeTransport } from './helpers/fake-transport.js'
import { HeldStorage } from './helpers/held-storage.js'
import { rejection } from './helpers/rejection.js'

/** Node `a` alone (a single voter), on a disk the test holds, fed by hand. */
async function solo(storage: HeldStorage, config: Partial<RaftConfig> = {}) {
  const clock = new SimulatedClock()
  const transport = new FakeTransport('a')
  const raft = await Raft.create({
    id: 'a',
    peers: ['a'],
    transport,
    storage,
    clock,
    rng: createRng(1),
    config,
  })
  raft.onApply(() => undefined)
  const until = async (pred: () => boolean): Promise<void> => {
    for (let i = 0; !pred(); i++) {
      if (i > 5_000) throw new Error('condition not met within 5 s')
      await clock.advance(1)
    }
  }
  return { clock, transport, raft, until }
}

/** A new HeldStorage holding `state` (a restart from that disk). */
async function restartDisk(state: PersistedState): Promise<HeldStorage> {
  const { snapshot, entries, hardState } = state
  const disk = new HeldStorage()
  if (snapshot) await disk.compact(snapshot)
  await disk.write({ entries, hardState, sync: true })
  disk.batches.length = 0
  return disk
}

describe('Raft runtime: the storage chain', () => {
  it('with pipelineLeaderAppends, a leader sends nothing of a term that is not durable here yet', async () => {
    // A single voter with a learner: elected in the Ready that writes its new term and vote, it
    // would otherwise replicate in that term at once. Were it to crash before the write, it
    // would restart in the old term and could lead the same term again with another log.
    const config = { pipelineLeaderAppends: true }
    const first = new HeldStorage()
    const before = await solo(first, config)
    await before.until(() => before.raft.getState().isLeader)
    await before.clock.run(() => before.raft.addLearner('b'))
    const oldTerm = before.raft.getState().term
    const state = await first.load()
    await before.raft.kill()

    const disk = await restartDisk(state)
    const after = await solo(disk, config)
    disk.hold()
    await after.until(() => disk.batches.some((b) => (b.hardState?.term ?? 0) > oldTerm))
    const term = after.raft.getState().term
    expect(after.raft.getState()).to.deep.equal({ term, isLeader: true })
    await after.clock.advance(5)
    // The new term's write is held: no message of that term has left.
    expect(after.transport.sent.filter((m: Message) => m.term >= term)).to.deep.equal([])
    disk.release()
    await after.until(() => ofType(after.transport.sent, 'AppendEntries').length > 0)
    expect((await disk.load()).hardState.term).to.equal(term)
    await after.raft.kill()
  })

  it('with pipelineLeaderAppends, a leader’s Ready that also moves the commit index replicates before its write', async () => {
    const config = { pipelineLeaderAppends: true }
    const disk = new HeldStorage()
    const n = await solo(disk, config)
    await n.until(() => n.raft.getState().isLeader)
    await n.clock.run(() => n.raft.addLearner('b'))
    const { term } = n.raft.getState()
    const appends = () => ofType(n.transport.sent, 'AppendEntries').filter((m) => m.to === 'b')
    // The learner has everything so far.
    const last = n.raft.status().lastIndex
    n.transport.deliver(aeReply({ from: 'b', to: 'a', term, matchIndex: last }))
    await n.clock.advance(1)
    // 'x' is written (held); it commits on this single voter only once durable, so the Ready
    // after it carries 'y' and the commit index of 'x'.
    disk.hold()
    const x = n.raft.start(text('x')).index
    await n.until(() => appends().some((m) => m.entries.some((e) => e.index === x)))
    const y = n.raft.start(text('y')).index
    disk.release()
    disk.hold() // the write of 'y' waits
    await n.until(() => disk.batches.some((b) => (b.entries ?? []).some((e) => e.index === y)))
    const withY = disk.batches.find((b) => (b.entries ?? []).some((e) => e.index === y))!
    expect(withY.hardState?.commit).to.equal(x)
    await n.clock.advance(5)
    // The learner was sent 'y' while its write is still held.
    expect(disk.held).to.equal(true)
    expect(appends().some((m) => m.entries.some((e) => e.index === y))).to.equal(true)
    disk.release()
    await n.raft.kill()
  })

  it('kill() closes the storage only after the write in flight has finished', async () => {
    const disk = new HeldStorage()
    const events: string[] = []
    const write = disk.write.bind(disk)
    disk.write = async (b) => {
      await write(b)
      events.push('write')
    }
    const close = disk.close.bind(disk)
    disk.close = async () => {
      events.push('close')
      await close()
    }
    const n = await solo(disk)
    await n.until(() => n.raft.getState().isLeader)
    disk.hold()
    n.raft.start(text('x'))
    await n.clock.advance(1)
    events.length = 0
    const killed = n.raft.kill()
    await n.clock.advance(5)
    expect(events).to.deep.equal([])
    disk.release()
    await killed
    expect(events).to.deep.equal(['write', 'close'])
  })

  it('a compaction queued behind a write in flight when the node is killed never reaches the storage', async () => {
    const disk = new HeldStorage()
    let compactions = 0
    const compact = disk.compact.bind(disk)
    disk.compact = async (snap) => {
      compactions++
      await compact(snap)
    }
    const n = await solo(disk)
    await n.until(() => n.raft.getState().isLeader)
    const a = n.raft.start(text('a')).index
    await n.until(() => n.raft.appliedIndex() >= a)
    disk.hold()
    n.raft.start(text('b'))
    await n.clock.advance(1)
    // 'a' is durable: the compaction only waits for its turn behind the held write.
    const compacting = n.raft.snapshot(a, text('state@a'))
    await n.clock.advance(1)
    const killed = n.raft.kill()
    disk.release()
    await killed
    expect(await rejection(compacting)).to.be.instanceOf(StoppedError)
    expect(compactions).to.equal(0)
  })
})
