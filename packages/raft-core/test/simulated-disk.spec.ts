/**
 * The simulated disk: storage takes simulated time (data phase, then fsync), operations run in
 * issue order, and a crash leaves exactly what the Storage durability contract allows.
 */
import { expect } from 'chai'
import { SimulatedClock } from '../src/clock.js'
import { drawDiskLatency, drawOpTiming, type DiskLatency } from '../src/disk-latency.js'
import { DiskModel } from '../src/disk-model.js'
import { StoppedError } from '../src/errors.js'
import { MemoryStorage } from '../src/memory-storage.js'
import { createRng, type Rng } from '../src/rng.js'
import { SimulatedDisk } from '../src/simulated-disk.js'
import type { StorageBatch, StorageCapabilities } from '../src/storage.js'
import type { Entry } from '../src/types.js'

const FIXED: DiskLatency = {
  dataMs: 2,
  fsyncMs: 3,
  jitter: 0,
  outlierProbability: 0,
  outlierMaxMs: 0,
  slowFactor: 1,
}

/** next() is constant (no jitter, no outliers); int() answers from a script (crash outcomes). */
function scripted(ints: number[] = []): Rng {
  return {
    next: () => 0.5,
    int: (n: number) => {
      const v = ints.shift()
      if (v === undefined) throw new Error('the test did not script this draw')
      if (v >= n) throw new Error(`scripted ${v} is out of range [0, ${n})`)
      return v
    },
    fork: () => scripted(),
  }
}

class TornMemoryStorage extends MemoryStorage {
  override readonly capabilities: StorageCapabilities = { durable: false, atomicBatch: false }
}

const entry = (index: number, term = 1): Entry => ({
  index,
  term,
  kind: 'command',
  data: new TextEncoder().encode(`e${index}`),
})
const batch = (from: number, to: number, sync = true): StorageBatch => ({
  entries: Array.from({ length: to - from + 1 }, (_, i) => entry(from + i)),
  hardState: { term: 1, votedFor: 'a', commit: 0 },
  sync,
})

async function indexes(s: MemoryStorage): Promise<number[]> {
  return (await s.load()).entries.map((e) => e.index)
}

function setup(ints: number[] = [], inner: MemoryStorage = new MemoryStorage()) {
  const clock = new SimulatedClock()
  const disk = new SimulatedDisk(inner, { clock, rng: scripted(ints), latency: FIXED })
  const done: string[] = []
  const track = (name: string, p: Promise<void>): Promise<void> =>
    p.then(
      () => void done.push(`${name}@${clock.now()}`),
      (e: Error) => void done.push(`${name} ${e.name}@${clock.now()}`),
    )
  return { clock, disk, inner, done, track }
}

describe('SimulatedDisk', () => {
  it('makes a write durable only after its data phase and its fsync have taken clock time', async () => {
    const { clock, disk, inner, done, track } = setup()
    void track('w', disk.write(batch(1, 2)))
    await clock.advance(4)
    expect(done).to.deep.equal([])
    expect(await indexes(inner)).to.deep.equal([])
    await clock.advance(1)
    expect(done).to.deep.equal(['w@5'])
    expect(await indexes(inner)).to.deep.equal([1, 2])
  })

  it('lets timers (messages, ticks) fire while a write is in flight', async () => {
    const { clock, disk, done, track } = setup()
    void track('w', disk.write(batch(1, 1)))
    clock.setTimeout(() => done.push(`message@${clock.now()}, in flight ${disk.inFlight}`), 1)
    await clock.advance(10)
    expect(done).to.deep.equal(['message@1, in flight 1', 'w@5'])
  })

  it('runs operations one at a time, in the order they were issued', async () => {
    const { clock, disk, inner, done, track } = setup()
    void track('w1', disk.write(batch(1, 2)))
    void track('w2', disk.write(batch(3, 3)))
    void track('compact', disk.compact({ meta: { index: 2, term: 1 }, data: new Uint8Array([1]) }))
    await clock.advance(20)
    expect(done).to.deep.equal(['w1@5', 'w2@10', 'compact@15'])
    const state = await inner.load()
    expect(state.snapshot?.meta.index).to.equal(2)
    expect(state.entries.map((e) => e.index)).to.deep.equal([3])
  })

  it('loses a write whose data was still being transferred at the crash', async () => {
    const { clock, disk, inner, done, track } = setup()
    const w = track('w', disk.write(batch(1, 2)))
    await clock.advance(1)
    expect(await disk.crash()).to.deep.equal({ kept: 0, torn: 0, lost: 1 })
    await w
    expect(done).to.deep.equal(['w StoppedError@1'])
    expect(await indexes(inner)).to.deep.equal([])
  })

  it('keeps a transferred but unsynced atomic batch whole when the seed says it survived', async () => {
    const { clock, disk, inner, track } = setup([1])
    void track('w', disk.write(batch(1, 3)))
    await clock.advance(3)
    expect(await disk.crash()).to.deep.equal({ kept: 1, torn: 0, lost: 0 })
    const state = await inner.load()
    expect(state.entries.map((e) => e.index)).to.deep.equal([1, 2, 3])
    expect(state.hardState.votedFor).to.equal('a')
  })

  it('loses a transferred but unsynced atomic batch whole when the seed says so', async () => {
    const { clock, disk, inner, track } = setup([0])
    void track('w', disk.write(batch(1, 3)))
    await clock.advance(3)
    expect(await disk.crash()).to.deep.equal({ kept: 0, torn: 0, lost: 1 })
    const state = await inner.load()
    expect(state.entries).to.deep.equal([])
    expect(state.hardState.votedFor).to.equal(null)
  })

  it('tears an unsynced batch on storage without atomic batches: a prefix, hard state last', async () => {
    // 3 entries + hard state = 4 parts; the seed keeps 2.
    const { clock, disk, inner, track } = setup([2], new TornMemoryStorage())
    void track('w', disk.write(batch(1, 3)))
    await clock.advance(3)
    expect(await disk.crash()).to.deep.equal({ kept: 0, torn: 1, lost: 0 })
    const state = await inner.load()
    expect(state.entries.map((e) => e.index)).to.deep.equal([1, 2])
    expect(state.hardState.votedFor).to.equal(null)
  })

  it('never keeps a non-atomic batch whole while its data is still being transferred', async () => {
    // Mid-transfer the seed may keep a strict prefix: at most 3 of the 4 parts.
    const { clock, disk, inner, track } = setup([3], new TornMemoryStorage())
    void track('w', disk.write(batch(1, 3)))
    await clock.advance(1)
    expect(await disk.crash()).to.deep.equal({ kept: 0, torn: 1, lost: 0 })
    expect(await indexes(inner)).to.deep.equal([1, 2, 3])
    expect((await inner.load()).hardState.votedFor).to.equal(null)
  })

  it('keeps what was synced, and survivors are a prefix of the issued operations', async () => {
    const { clock, disk, inner, done, track } = setup([0])
    const all = [
      track('w1', disk.write(batch(1, 1))),
      track('w2', disk.write(batch(2, 2))),
      track('w3', disk.write(batch(3, 3))),
    ]
    await clock.advance(8) // w1 durable at 5; w2 transferred at 7, unsynced; w3 queued
    expect(await disk.crash()).to.deep.equal({ kept: 0, torn: 0, lost: 2 })
    await Promise.all(all)
    expect(done).to.deep.equal(['w1@5', 'w2 StoppedError@8', 'w3 StoppedError@8'])
    expect(await indexes(inner)).to.deep.equal([1])
  })

  it('resolves a sync: false write after its data phase; it is durable only after a later sync', async () => {
    const { clock, disk, inner, done, track } = setup()
    void track('async', disk.write(batch(1, 1, false)))
    await clock.advance(2)
    expect(done).to.deep.equal(['async@2'])
    expect(await indexes(inner)).to.deep.equal([])
    void track('sync', disk.write(batch(2, 2)))
    await clock.advance(5)
    expect(done).to.deep.equal(['async@2', 'sync@7'])
    expect(await indexes(inner)).to.deep.equal([1, 2])
  })

  it('can lose a resolved sync: false write in a crash', async () => {
    const { clock, disk, inner, track } = setup([0])
    void track('async', disk.write(batch(1, 1, false)))
    await clock.advance(3)
    expect(await disk.crash()).to.deep.equal({ kept: 0, torn: 0, lost: 1 })
    expect(await indexes(inner)).to.deep.equal([])
  })

  it('refuses every operation after a crash', async () => {
    const { disk } = setup()
    await disk.crash()
    let error: unknown
    await disk.write(batch(1, 1)).catch((e: unknown) => (error = e))
    expect(error).to.be.instanceOf(StoppedError)
    error = undefined
    await disk.load().catch((e: unknown) => (error = e))
    expect(error).to.be.instanceOf(StoppedError)
  })

  it('finishes queued operations at once on a clean close', async () => {
    const { clock, disk, inner, done, track } = setup()
    const all = [track('w1', disk.write(batch(1, 1))), track('w2', disk.write(batch(2, 2)))]
    await clock.advance(1)
    await disk.close()
    await Promise.all(all)
    expect(done).to.deep.equal(['w1@1', 'w2@1'])
    expect(await indexes(inner.clone())).to.deep.equal([1, 2])
  })
})

describe('disk latency model', () => {
  it('draws the same profiles and operation timings from the same seed', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed)
      const l = drawDiskLatency(rng)
      return [l, Array.from({ length: 50 }, () => drawOpTiming(l, rng))]
    }
    expect(draw(42)).to.deep.equal(draw(42))
    expect(draw(42)).to.not.deep.equal(draw(43))
  })

  it('gives every synced operation at least 1 ms and whole milliseconds', () => {
    const rng = createRng(5)
    for (let i = 0; i < 20; i++) {
      const l = drawDiskLatency(rng, i % 2 === 0)
      for (let k = 0; k < 50; k++) {
        const t = drawOpTiming(l, rng)
        expect(t.fsyncMs).to.be.at.least(1)
        expect(Number.isInteger(t.dataMs) && Number.isInteger(t.fsyncMs)).to.equal(true)
      }
    }
  })

  it('makes one disk persistently slow in about half of the seeds, and only that one', () => {
    const clock = new SimulatedClock()
    const ids = ['n1', 'n2', 'n3']
    let slowRuns = 0
    for (let seed = 1; seed <= 200; seed++) {
      const m = new DiskModel({ seed, clock, ids })
      if (m.slowNode) slowRuns++
      for (const id of ids)
        expect(m.latency(id).slowFactor > 1, `seed ${seed} ${id}`).to.equal(id === m.slowNode)
    }
    expect(slowRuns).to.be.within(70, 130)
    expect(new DiskModel({ seed: 1, clock, ids, slowDisk: false }).slowNode).to.equal(undefined)
    expect(new DiskModel({ seed: 1, clock, ids, slowDisk: true }).slowNode).to.be.oneOf(ids)
  })

  it('keeps a node’s profile across incarnations (the same disk after a restart)', () => {
    const m = new DiskModel({ seed: 9, clock: new SimulatedClock(), ids: ['a', 'b'] })
    const first = m.wrap('a', new MemoryStorage())
    const second = m.wrap('a', new MemoryStorage())
    expect(m.disk('a')).to.equal(second)
    expect(first).to.not.equal(second)
    expect(m.latency('a')).to.deep.equal(
      new DiskModel({ seed: 9, clock: new SimulatedClock(), ids: ['a', 'b'] }).latency('a'),
    )
  })
})
