/**
 * Received packed segments kept instead of copied: copyEntriesPacked (what the copying network
 * hands a follower) makes entries that view one private buffer; the follower's RaftLog packs them
 * by keeping that segment, hands them to storage described as it, and MemoryStorage keeps it.
 * A leader's own new entries are packed once, when handed out for storage, and kept the same way.
 * Each step must give exactly what copying gives (the differential properties in
 * log-rules.spec.ts and below); these tests pin that the segment is in fact kept.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { RaftLog } from '../src/log.js'
import { MemoryStorage } from '../src/memory-storage.js'
import type { PackedEntries } from '../src/packed-entries.js'
import {
  NotConsecutiveError,
  copyEntriesPacked,
  describePacked,
  packedSegmentsOf,
} from '../src/packed-entries.js'
import type { PackedSegments } from '../src/packed-segments.js'
import type { Entry, Snapshot } from '../src/types.js'

const e = (index: number, term: number, size = 3): Entry => ({
  index,
  term,
  kind: index % 5 === 0 ? 'noop' : 'command',
  data: new Uint8Array(size).fill((index * 31 + term) & 0xff),
})
const run = (lo: number, hi: number, term: number): Entry[] =>
  Array.from({ length: hi - lo + 1 }, (_, i) => e(lo + i, term))
const plain = (es: readonly Entry[]) =>
  es.map((x) => `${x.index}@${x.term}/${x.kind}:${[...x.data].join('.')}`)

/** The log's packed segments (private; read here to see whether a segment was kept). */
const packedOf = (l: RaftLog) => (l as unknown as { packed: PackedSegments }).packed.list
/** MemoryStorage's stored segments (private). */
const storedOf = (s: MemoryStorage) =>
  (s as unknown as { log: { segments: PackedEntries[] } }).log.segments

/** Runs `fn` (to its end, awaited) with RaftLog.packMin and adoptMin set. */
async function withMins(packMin: number, adoptMin: number, fn: () => unknown): Promise<void> {
  const saved = [RaftLog.packMin, RaftLog.adoptMin] as const
  RaftLog.packMin = packMin
  RaftLog.adoptMin = adoptMin
  try {
    await fn()
  } finally {
    ;[RaftLog.packMin, RaftLog.adoptMin] = saved
  }
}

/** A follower log given `received` after entry 0, made durable and applied through `upTo`. */
function follower(received: readonly Entry[], upTo: number): RaftLog {
  const l = new RaftLog(undefined, [], 0)
  expect(l.maybeAppend(0, 0, received)).to.equal(received.length)
  l.stableTo(upTo, l.term(upTo) as number)
  l.commitTo(upTo)
  l.acceptApplying(upTo)
  l.appliedTo(upTo)
  return l
}

describe('copyEntriesPacked', () => {
  it('copies entries into one buffer that shares no memory with the originals', () => {
    const original = run(1, 9, 2)
    const copy = copyEntriesPacked(original)
    expect(plain(copy)).to.deep.equal(plain(original))
    const buffers = new Set(copy.map((x) => x.data.buffer))
    expect(buffers.size).to.equal(1)
    for (const x of original) expect(buffers.has(x.data.buffer)).to.equal(false)
    for (const x of original) x.data.fill(0xee)
    expect(copy.every((x) => x.data.every((b) => b !== 0xee))).to.equal(true)
    expect(packedSegmentsOf(copy)).to.have.length(1)
    expect(packedSegmentsOf(original)).to.equal(undefined)
    expect(copyEntriesPacked([])).to.deep.equal([])
  })

  it('refuses entries whose indexes are not consecutive', () => {
    const es = run(1, 4, 1)
    es[2] = e(7, 1)
    expect(() => copyEntriesPacked(es)).to.throw(NotConsecutiveError)
  })

  it('an array changed in length after the copy is no longer described', () => {
    const copy = copyEntriesPacked(run(1, 4, 1))
    copy.pop()
    expect(packedSegmentsOf(copy)).to.equal(undefined)
  })
})

describe('RaftLog keeps received packed segments', () => {
  it('packs a follower’s received entries by keeping the segment they view, not by copying', async () => {
    await withMins(8, 8, () => {
      const received = copyEntriesPacked(run(1, 40, 1))
      const l = follower(received, 30)
      const segs = packedOf(l)
      expect(segs.length).to.be.greaterThan(0)
      for (const s of segs) expect(s.buf.buffer).to.equal(received[0]?.data.buffer)
      expect(plain(l.slice(1, 41))).to.deep.equal(plain(run(1, 40, 1)))
    })
  })

  it('copies runs shorter than adoptMin, and entries that were not received packed', async () => {
    await withMins(8, 64, () => {
      const received = copyEntriesPacked(run(1, 40, 1))
      const l = follower(received, 30)
      for (const s of packedOf(l)) expect(s.buf.buffer).to.not.equal(received[0]?.data.buffer)
      expect(plain(l.slice(1, 41))).to.deep.equal(plain(run(1, 40, 1)))
    })
    await withMins(8, 1, () => {
      const l = follower(run(1, 40, 1), 30)
      expect(packedOf(l).length).to.be.greaterThan(0)
      expect(plain(l.slice(1, 41))).to.deep.equal(plain(run(1, 40, 1)))
    })
  })

  it('forgets the part of a kept segment that a conflicting append replaced', async () => {
    await withMins(4, 4, () => {
      const l = new RaftLog(undefined, [], 0)
      l.maybeAppend(0, 0, copyEntriesPacked(run(1, 20, 1)))
      l.commitTo(10)
      // A new leader replaces 13.. with entries of term 2 (plain objects this time).
      expect(l.maybeAppend(12, 1, run(13, 16, 2))).to.equal(16)
      l.stableTo(16, 2)
      l.commitTo(16)
      l.acceptApplying(16)
      l.appliedTo(16)
      const want = [...run(1, 12, 1), ...run(13, 16, 2)]
      expect(plain(l.slice(1, 17))).to.deep.equal(plain(want))
      expect(l.term(13)).to.equal(2)
    })
  })

  it('describes unstable entries covered by received segments, so storage keeps them', async () => {
    await withMins(1024, 4, async () => {
      const l = new RaftLog(undefined, [], 0)
      const a = copyEntriesPacked(run(1, 10, 1))
      const b = copyEntriesPacked(run(11, 20, 1))
      l.maybeAppend(0, 0, a)
      l.maybeAppend(10, 1, b)
      const out = l.unstableEntries()
      const segs = packedSegmentsOf(out)
      expect(segs?.map((s) => s.buf.buffer)).to.have.ordered.members([
        a[0]?.data.buffer,
        b[0]?.data.buffer,
      ]) // the same buffers, not equal copies
      const storage = new MemoryStorage()
      await storage.write({ entries: out, sync: true })
      expect(storedOf(storage).map((s) => s.buf.buffer)).to.have.ordered.members([
        a[0]?.data.buffer,
        b[0]?.data.buffer,
      ])
      const loaded = await storage.load()
      expect(plain(loaded.entries)).to.deep.equal(plain(run(1, 20, 1)))
      loaded.entries[0]?.data.fill(0x55) // load() still returns copies
      expect(plain((await storage.load()).entries)).to.deep.equal(plain(run(1, 20, 1)))
      // A leader's own entries after them: not covered, so not described (storage copies).
      l.append(run(21, 22, 1))
      l.acceptInProgress(20)
      expect(packedSegmentsOf(l.unstableEntries())).to.equal(undefined)
    })
  })

  it('packs a leader’s own new entries once when handing them out, for storage and for itself', async () => {
    await withMins(8, 8, async () => {
      const own = run(1, 20, 1)
      const l = new RaftLog(undefined, [], 0)
      l.append(own)
      const out = l.unstableEntries()
      const segs = packedSegmentsOf(out) as PackedEntries[]
      expect(segs).to.have.length(1)
      const buf = segs[0]?.buf.buffer
      for (const x of own) expect(x.data.buffer).to.not.equal(buf) // a copy, not the caller's bytes
      const storage = new MemoryStorage()
      await storage.write({ entries: out, sync: true })
      expect(storedOf(storage).map((s) => s.buf.buffer)).to.have.ordered.members([buf])
      l.acceptInProgress(20)
      l.stableTo(20, 1)
      l.commitTo(20)
      l.acceptApplying(20)
      l.appliedTo(20)
      expect(packedOf(l).map((s) => s.buf.buffer)).to.have.ordered.members([buf])
      expect(plain(l.slice(1, 21))).to.deep.equal(plain(run(1, 20, 1)))
      expect(plain((await storage.load()).entries)).to.deep.equal(plain(run(1, 20, 1)))
    })
  })
})

// --- MemoryStorage: a batch kept as its segments reads back exactly as a copied one -------------

type SOp =
  | { kind: 'write'; back: number; n: number; termUp: number; packed: boolean; skip: number }
  | { kind: 'compact'; at: number }
  | { kind: 'snapshot'; at: number; matching: boolean }

const sopArb: fc.Arbitrary<SOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      back: fc.nat(5),
      n: fc.integer({ min: 1, max: 6 }),
      termUp: fc.integer({ min: 0, max: 1 }),
      packed: fc.boolean(),
      skip: fc.nat(2),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), at: fc.nat(30) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('snapshot' as const),
      at: fc.nat(30),
      matching: fc.boolean(),
    }),
  },
)

describe('MemoryStorage keeps described batches as their segments', () => {
  it('answers exactly as when every batch is copied, through truncation, compaction and snapshots', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(sopArb, { minLength: 10, maxLength: 40 }), async (ops) => {
        // kept and twin are handed the same described arrays: neither may change the other.
        const kept = new MemoryStorage()
        const twin = new MemoryStorage()
        const copied = new MemoryStorage()
        let term = 1
        for (const op of ops) {
          const state = await copied.load()
          const offset = state.snapshot?.meta.index ?? 0
          const last = state.entries.at(-1)?.index ?? offset
          const all = async (fn: (s: MemoryStorage, packed: boolean) => Promise<void>) => {
            const r = await Promise.allSettled([fn(kept, true), fn(twin, true), fn(copied, false)])
            expect(r.map((x) => x.status)).to.deep.equal([r[2]?.status, r[2]?.status, r[2]?.status])
          }
          if (op.kind === 'write') {
            term += op.termUp
            const from = Math.max(offset + 1, last + 1 - op.back)
            const es = run(from, from + op.n - 1, term)
            // Described as the tail of a longer segment (lo > 0), as the log describes pieces.
            const longer = copyEntriesPacked([...run(from - op.skip, from - 1, term), ...es])
            const c = longer.slice(op.skip)
            const seg = packedSegmentsOf(longer)?.[0] as PackedEntries
            describePacked(c, [{ ...seg, lo: seg.lo + op.skip }])
            await all((s, packed) => s.write({ entries: packed && op.packed ? c : es, sync: true }))
          } else if (last > offset) {
            const at = offset + 1 + (op.at % (last - offset))
            const t = state.entries.find((x) => x.index === at)?.term as number
            const snap: Snapshot = {
              meta: { index: at, term: op.kind === 'snapshot' && !op.matching ? term + 1 : t },
              data: new Uint8Array([at]),
            }
            if (op.kind === 'compact') await all((s) => s.compact(snap))
            else await all((s) => s.write({ snapshot: snap, sync: true }))
          }
          const b = await copied.load()
          for (const s of [kept, twin]) {
            const a = await s.load()
            expect(plain(a.entries)).to.deep.equal(plain(b.entries))
            expect(a.snapshot?.meta).to.deep.equal(b.snapshot?.meta)
            expect(s.size()).to.deep.equal(copied.size())
          }
          const [ca, cb] = [await kept.clone().load(), await copied.clone().load()]
          expect(plain(ca.entries)).to.deep.equal(plain(cb.entries))
        }
      }),
      { numRuns: 150 },
    )
  })
})
