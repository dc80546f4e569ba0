/**
 * Log entries packed into flat arrays: payloads copied into one buffer, terms, kinds and
 * payload offsets in typed arrays. A long log kept this way costs the garbage collector
 * nothing per entry (an Entry object and its Uint8Array per entry, kept for the life of the
 * log, is what made long runs spend most of their time in GC). Entry objects are made again
 * only when an old entry is read.
 */
import type { Entry, EntryKind, Index, Term } from './types.js'

const KIND_COMMAND = 0
const KIND_NOOP = 1
const KIND_CONFIG = 2

/**
 * Copies the payloads of `entries[from, to)` one after another into `dst` (sized to fit).
 * (Hot loops read a Uint8Array's `length`, equal to its `byteLength`, because V8 inlines the
 * former and not the latter.)
 */
export function copyPayloads(
  entries: readonly Entry[],
  from: number,
  to: number,
  dst: Uint8Array,
): void {
  let at = 0
  for (let i = from; i < to; i++) {
    const d = (entries[i] as Entry).data
    dst.set(d, at)
    at += d.length
  }
}

/**
 * Consecutive entries. Position p holds index `base + p`; positions [lo, hi) are live (dropping
 * a prefix raises lo, dropping a suffix lowers hi). The arrays are never written after
 * creation, so two owners may share them as long as each has its own PackedEntries object.
 */
export interface PackedEntries {
  readonly base: Index
  lo: number
  hi: number
  readonly terms: Float64Array
  readonly kinds: Uint8Array
  /** Entry at position p is buf[offsets[p], offsets[p + 1]). */
  readonly offsets: Float64Array
  readonly buf: Uint8Array
}

/**
 * Packs `entries[from, to)`, which must be non-empty; the payloads are copied. Throws
 * NotConsecutiveError (a RangeError) unless their indexes are consecutive.
 * (Referencing payloads that already lie back to back in one buffer, e.g. the copying network's,
 * was tried: checking that they do costs a `buffer` and a `byteOffset` read per entry, and V8
 * runs the `buffer` getter in C++, which made the check slower than the copy.)
 */
export function pack(entries: readonly Entry[], from = 0, to = entries.length): PackedEntries {
  const n = to - from
  const terms = new Float64Array(n)
  const kinds = new Uint8Array(n)
  const offsets = new Float64Array(n + 1)
  const base = (entries[from] as Entry).index
  const total = fillColumns(entries, from, to, base, terms, kinds, offsets)
  if (total < 0) throw new NotConsecutiveError(-1 - total)
  const buf = new Uint8Array(total)
  copyPayloads(entries, from, to, buf)
  return { base, lo: 0, hi: n, terms, kinds, offsets, buf }
}

/** pack() was given entries whose indexes are not consecutive. */
export class NotConsecutiveError extends RangeError {
  constructor(readonly position: number) {
    super(`entries are not consecutive at position ${position}`)
    this.name = 'NotConsecutiveError'
  }
}

/**
 * Fills terms, kinds and payload offsets of `entries[from, to)` in one pass and checks that
 * their indexes run from `base`; returns the payloads' total size, or -1 - p when the entry at
 * position p is out of place. (A function of its own, like copyPayloads: a long loop inside pack()
 * got optimized on-stack before pack's later branches had run, then deoptimized on every call.)
 */
function fillColumns(
  entries: readonly Entry[],
  from: number,
  to: number,
  base: Index,
  terms: Float64Array,
  kinds: Uint8Array,
  offsets: Float64Array,
): number {
  let at = 0
  for (let i = from; i < to; i++) {
    const e = entries[i] as Entry
    const p = i - from
    if (e.index !== base + p) return -1 - p
    terms[p] = e.term
    kinds[p] = e.kind === 'noop' ? KIND_NOOP : e.kind === 'config' ? KIND_CONFIG : KIND_COMMAND
    offsets[p] = at
    at += e.data.length
  }
  offsets[to - from] = at
  return at
}

export function firstOf(s: PackedEntries): Index {
  return s.base + s.lo
}

export function lastOf(s: PackedEntries): Index {
  return s.base + s.hi - 1
}

export function termOf(s: PackedEntries, index: Index): Term {
  return s.terms[index - s.base] as number
}

/** Payload bytes of positions [lo, hi). */
export function payloadBytes(s: PackedEntries, lo = s.lo, hi = s.hi): number {
  return (s.offsets[hi] as number) - (s.offsets[lo] as number)
}

export function kindOf(s: PackedEntries, p: number): EntryKind {
  const k = s.kinds[p]
  return k === KIND_NOOP ? 'noop' : k === KIND_CONFIG ? 'config' : 'command'
}

/** The entry at `index` as a new Entry whose payload is a view of the packed buffer. */
export function entryOf(s: PackedEntries, index: Index): Entry {
  const p = index - s.base
  return {
    index,
    term: s.terms[p] as number,
    kind: kindOf(s, p),
    data: s.buf.subarray(s.offsets[p], s.offsets[p + 1]),
  }
}

// --- entries that are views of packed segments ----------------------------------------------

/**
 * Entry arrays whose entries are views of packed segments: `entries` is exactly the live
 * positions of the listed segments, in order (entries[i] holds the payload bytes, index, term and
 * kind of that position). Only this module and the log add to it, from segments made by pack();
 * nobody writes a segment's arrays after that. A log or MemoryStorage handed such an array keeps
 * the segments instead of copying every payload again.
 */
const described = new WeakMap<readonly Entry[], readonly PackedEntries[]>()

/** The segments `entries` views (see describePacked), or undefined. */
export function packedSegmentsOf(entries: readonly Entry[]): readonly PackedEntries[] | undefined {
  const segs = described.get(entries)
  return segs !== undefined && liveCount(segs) === entries.length ? segs : undefined
}

/** Records that `entries` is exactly the live positions of `segs` (own objects, not shared). */
export function describePacked(entries: readonly Entry[], segs: readonly PackedEntries[]): void {
  described.set(entries, segs)
}

function liveCount(segs: readonly PackedEntries[]): number {
  let n = 0
  for (const s of segs) n += s.hi - s.lo
  return n
}

/**
 * A copy of consecutive `entries` that shares no memory with them: the payloads copied into one
 * buffer, and new Entry objects viewing it. The array is described as that packed segment, so a
 * log or MemoryStorage that receives it keeps the buffer instead of copying the payloads again
 * (the copying in-process network hands every AppendEntries over this way). Throws
 * NotConsecutiveError unless the indexes are consecutive.
 */
export function copyEntriesPacked(entries: readonly Entry[]): Entry[] {
  if (entries.length === 0) return []
  const s = pack(entries)
  const out = new Array<Entry>(entries.length)
  viewCopies(entries, s.buf, s.offsets, out)
  described.set(out, [s])
  return out
}

/**
 * Fills `out` with entries like `entries` whose payloads are views of `buf` at `offsets`. (Index,
 * term and kind come from the originals, not from the typed columns: a term read from a
 * Float64Array would be stored as a boxed double, a second Entry shape and an allocation more.)
 */
function viewCopies(
  entries: readonly Entry[],
  buf: Uint8Array,
  offsets: Float64Array,
  out: Entry[],
): void {
  const ab = buf.buffer
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as Entry
    const at = offsets[i] as number
    out[i] = {
      index: e.index,
      term: e.term,
      kind: e.kind,
      data: new Uint8Array(ab, at, (offsets[i + 1] as number) - at),
    }
  }
}

/** Position in `segs` (sorted, consecutive, non-empty) of the one holding `index`. */
export function findPacked(segs: readonly PackedEntries[], index: Index): number {
  let lo = 0
  let hi = segs.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (firstOf(segs[mid] as PackedEntries) <= index) lo = mid
    else hi = mid - 1
  }
  return lo
}
