// The FileStorage harness the Raft scenarios run on (crash = close + reopen the same
// directory) and the IoSequencer that keeps real file I/O in step with a simulated clock.
import { access } from 'node:fs/promises'
import { expect } from 'chai'
import { SimulatedClock, StoppedError } from '@raftkit/raft-core'
import type { Entry, HardState } from '@raftkit/raft-core'
import { IoSequencer, StorageIoTimeoutError } from '../../src/raft/index.js'
import type { StorageHarness } from '../../src/raft/index.js'
import { fileStorage } from '../../src/storage-fs/index.js'
import type { FileStorageHarness } from '../../src/storage-fs/index.js'

const entry = (index: number, term: number): Entry => ({
  index,
  term,
  kind: 'command',
  data: new Uint8Array([index]),
})
const hs = (term: number, commit: number): HardState => ({ term, votedFor: '1', commit })

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (e) {
    return e
  }
  return expect.fail('expected a rejection')
}

describe('FileStorage cluster harness', function () {
  const harnesses: StorageHarness[] = []
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.destroy()
  })

  async function harness(): Promise<FileStorageHarness> {
    const h = (await fileStorage()('n1')) as FileStorageHarness
    harnesses.push(h)
    return h
  }

  it('crash() keeps what was written, refuses the killed instance, and reopens the same dir', async () => {
    const h = await harness()
    const s1 = await h.open()
    await s1.write({ entries: [entry(1, 1), entry(2, 1)], hardState: hs(1, 1), sync: true })
    await h.crash()
    // the crashed instance can no longer change what the restarted node will see
    expect(await rejection(s1.write({ entries: [entry(3, 1)], sync: true }))).to.be.instanceOf(
      StoppedError,
    )
    const s2 = await h.open()
    const state = await s2.load()
    expect(state.entries.map((e) => e.index)).to.deep.equal([1, 2])
    expect(state.hardState).to.deep.equal(hs(1, 1))
    expect(s2.size().raftStateBytes).to.be.greaterThan(0)
  })

  it('crash() finishes the writes already handed to the storage; the reopened node sees them', async () => {
    const h = await harness()
    const s1 = await h.open()
    const pending = s1.write({ entries: [entry(1, 2)], hardState: hs(2, 0), sync: true })
    await h.crash()
    await pending // close() finishes the writes already handed to the storage
    const state = await (await h.open()).load()
    expect(state.entries.map((e) => [e.index, e.term])).to.deep.equal([[1, 2]])
    expect(state.hardState.term).to.equal(2)
  })

  it('open() without a crash closes the storage still open (its lock would block the reopen)', async () => {
    const h = await harness()
    const s1 = await h.open()
    await s1.write({ entries: [entry(1, 1)], sync: true })
    const s2 = await h.open()
    expect((await s2.load()).entries).to.have.length(1)
  })

  it('destroy() removes the directory and is final', async () => {
    const h = await harness()
    await h.open()
    await h.destroy()
    harnesses.length = 0
    expect(await exists(h.dir)).to.equal(false)
    expect(await rejection(h.open())).to.be.instanceOf(Error)
  })
})

describe('IoSequencer', function () {
  /** An operation that finishes after `ms` of real time. */
  const op =
    <T>(ms: number, value: T, fail = false) =>
    () =>
      new Promise<T>((resolve, reject) =>
        setTimeout(() => (fail ? reject(new Error(String(value))) : resolve(value)), ms),
      )

  it('unattached, outcomes reach callers on their own', async () => {
    const io = new IoSequencer()
    expect(await io.run(op(1, 'a'))).to.equal('a')
    expect(io.pending).to.equal(0)
  })

  it('attached, releases outcomes in issue order however fast each operation was', async () => {
    const io = new IoSequencer()
    const clock = new SimulatedClock()
    const gate = io.attach()
    clock.waitBeforeAdvancing(() => gate.next())
    const seen: string[] = []
    const track = (p: Promise<string>) =>
      p.then(
        (v) => seen.push(`${v}@${clock.now()}`),
        (e: Error) => seen.push(`!${e.message}@${clock.now()}`),
      )
    await clock.run(async () => {
      await Promise.all([
        track(io.run(op(30, 'slow'))),
        track(io.run(op(1, 'fast'))),
        track(io.run(op(5, 'failed', true))),
        track(io.run(() => Promise.resolve('instant'))),
      ])
      await clock.sleep(10)
    })
    expect(seen).to.deep.equal(['slow@0', 'fast@0', '!failed@0', 'instant@0'])
    expect(io.pending).to.equal(0)
    gate.detach()
    expect(() => io.attach()).not.to.throw()
  })

  it('refuses a second simulated run on the same factory at the same time', () => {
    const io = new IoSequencer()
    io.attach()
    expect(() => io.attach()).to.throw(/already attached/)
  })

  it('detach() releases what it still holds', async () => {
    const io = new IoSequencer()
    const gate = io.attach()
    const p = io.run(op(1, 'x'))
    gate.detach()
    expect(await p).to.equal('x')
  })

  it('gives up with StorageIoTimeoutError when an operation never finishes', async () => {
    const io = new IoSequencer(20)
    const gate = io.attach()
    void io.run(() => new Promise<never>(() => undefined))
    const next = gate.next()
    expect(next).to.be.instanceOf(Promise)
    expect(await rejection(next as Promise<void>)).to.be.instanceOf(StorageIoTimeoutError)
    gate.detach()
  })
})
