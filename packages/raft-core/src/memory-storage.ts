/**
 * Storage kept in memory: not durable, but every batch is applied all-or-nothing, and reads
 * and writes copy, so the caller never shares objects with what is "persisted" (except the
 * never-written packed segments of a batch made by copyEntriesPacked, kept as they are). The lab
 * harness simulates a crash by cloning a node's storage (what was persisted at that moment)
 * and starting a new node on the clone.
 *
 * The log is kept as one segment per written batch: the batch's payloads copied into a single
 * buffer, with terms, kinds and offsets in typed arrays. A write therefore costs one copy per
 * batch and no object per entry; Entry objects are made only by load() (a restart). A batch whose
 * entries are views of packed segments (see copyEntriesPacked: what the copying network delivers,
 * passed on by the log) is kept as those segments, without a copy: their arrays are never written.
 */
import { packValue } from './codec.js'
import { StorageError, StoppedError } from './errors.js'
import type {
  PersistedState,
  Storage,
  StorageBatch,
  StorageCapabilities,
  StorageSize,
} from './storage.js'
import type { Entry, HardState, Index, Snapshot } from './types.js'
import { EMPTY_HARD_STATE } from './types.js'
import type { PackedEntries } from './packed-entries.js'
import {
  NotConsecutiveError,
  findPacked,
  kindOf,
  pack,
  packedSegmentsOf,
} from './packed-entries.js'
import { copyMembership } from './membership.js'

/** A fresh copy (not `slice`: on a Node Buffer that returns a view of the same memory). */
function copyBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b)
}
function copySnapshot(s: Snapshot): Snapshot {
  const { index, term, membership } = s.meta
  return {
    meta: membership ? { index, term, membership: copyMembership(membership) } : { index, term },
    data: copyBytes(s.data),
  }
}
function copyHardState(h: HardState): HardState {
  return { term: h.term, votedFor: h.votedFor, commit: h.commit }
}

/**
 * Bytes an entry counts for in size(): its payload plus the ~40 bytes its index, term and kind
 * take in msgpack with field names. Computed without encoding (the hot path appends millions).
 */
function entrySize(e: Entry): number {
  return e.data.length + ENTRY_OVERHEAD_BYTES
}
const ENTRY_OVERHEAD_BYTES = 40

/** One written batch, copied (see packed-entries.ts). */
type Segment = PackedEntries

/** The stored log: entries consecutive from `offset + 1`, in segments. */
interface Log {
  offset: Index
  segments: Segment[]
  /** Sum of the entries' size() contributions. */
  bytes: number
}

/** size() bytes of positions [lo, hi) of `s`. */
function spanBytes(s: Segment, lo: number, hi: number): number {
  return (s.offsets[hi] as number) - (s.offsets[lo] as number) + (hi - lo) * ENTRY_OVERHEAD_BYTES
}

function lastIndex(log: Log): Index {
  const s = log.segments[log.segments.length - 1]
  return s === undefined ? log.offset : s.base + s.hi - 1
}

/** Position in log.segments of the segment holding `index` (which must be in the log). */
function findSegment(log: Log, index: Index): number {
  return findPacked(log.segments, index)
}

function termAt(log: Log, index: number): number | undefined {
  if (index <= log.offset || index > lastIndex(log)) return undefined
  const s = log.segments[findSegment(log, index)] as Segment
  return s.terms[index - s.base]
}

/** Fresh Entry objects for the whole log; their payloads are views of one new buffer. */
function materialize(log: Log): Entry[] {
  let total = 0
  let count = 0
  for (const s of log.segments) {
    total += (s.offsets[s.hi] as number) - (s.offsets[s.lo] as number)
    count += s.hi - s.lo
  }
  const buf = new Uint8Array(total)
  const out = new Array<Entry>(count)
  let at = 0
  let k = 0
  for (const s of log.segments) {
    const from = s.offsets[s.lo] as number
    const to = s.offsets[s.hi] as number
    buf.set(s.buf.subarray(from, to), at)
    for (let p = s.lo; p < s.hi; p++) {
      const start = at + (s.offsets[p] as number) - from
      const len = (s.offsets[p + 1] as number) - (s.offsets[p] as number)
      out[k++] = {
        index: s.base + p,
        term: s.terms[p] as number,
        kind: kindOf(s, p),
        data: buf.subarray(start, start + len),
      }
    }
    at += to - from
  }
  return out
}

/**
 * Throws StorageError unless `entries` start in range and follow `log` (appendTo checks that
 * they are consecutive while it packs them).
 */
function checkEntries(log: Log, entries: readonly Entry[]): void {
  const first = entries[0]
  if (!first) return
  if (first.index <= log.offset)
    throw new StorageError(
      `cannot write entry ${first.index}: indexes up to ${log.offset} are compacted`,
    )
  if (first.index > lastIndex(log) + 1)
    throw new StorageError(
      `cannot write entry ${first.index}: the log ends at ${lastIndex(log)} (gap)`,
    )
}

/** pack(), with a StorageError for entries that are not consecutive. */
function packBatch(entries: readonly Entry[]): Segment {
  try {
    return pack(entries)
  } catch (error) {
    if (error instanceof NotConsecutiveError) throw new StorageError(error.message)
    throw error
  }
}

/** Drops the log's entries from `index` on (index > log.offset), in place. */
function truncateFrom(log: Log, index: Index): void {
  const segs = log.segments
  while (segs.length > 0) {
    const s = segs[segs.length - 1] as Segment
    if (s.base + s.hi <= index) return
    const cut = Math.max(s.lo, index - s.base)
    log.bytes -= spanBytes(s, cut, s.hi)
    if (cut === s.lo) segs.pop()
    else s.hi = cut
  }
}

/**
 * Writes `entries` over the log's suffix from entries[0].index on, in place. Callers validate
 * with checkEntries first, and the batch is packed (which checks that it is consecutive)
 * before anything changes, so a bad batch changes nothing. O(entries), one copy per batch.
 */
function appendTo(log: Log, entries: readonly Entry[]): Log {
  const first = entries[0]
  if (!first) return log
  const segs = packedSegmentsOf(entries) ?? [packBatch(entries)]
  truncateFrom(log, first.index)
  for (const s of segs) {
    log.segments.push({ ...s })
    log.bytes += spanBytes(s, s.lo, s.hi)
  }
  return log
}

/**
 * The log after installing `snapshot`: entries after it are kept only if the log matches it.
 * Returns a new Log; `log` is not modified.
 */
function applySnapshot(log: Log, current: Snapshot | undefined, snapshot: Snapshot): Log {
  const { index, term } = snapshot.meta
  if (current && index < current.meta.index)
    throw new StorageError(
      `snapshot at ${index} is older than the stored one at ${current.meta.index}`,
    )
  const termThere = index === log.offset ? (current?.meta.term ?? 0) : termAt(log, index)
  if (termThere !== term) return { offset: index, segments: [], bytes: 0 }
  if (index === log.offset) return { offset: index, segments: [...log.segments], bytes: log.bytes }
  const at = findSegment(log, index)
  const s = log.segments[at] as Segment
  const cut = index - s.base + 1
  const kept: Segment[] = []
  let bytes = log.bytes
  for (let i = 0; i < at; i++) {
    const dropped = log.segments[i] as Segment
    bytes -= spanBytes(dropped, dropped.lo, dropped.hi)
  }
  bytes -= spanBytes(s, s.lo, cut)
  if (cut < s.hi) kept.push({ ...s, lo: cut })
  for (let i = at + 1; i < log.segments.length; i++) kept.push(log.segments[i] as Segment)
  return { offset: index, segments: kept, bytes }
}

/** A copy of `log` that shares the (never written) arrays but owns its Segment objects. */
function cloneLog(log: Log): Log {
  return { offset: log.offset, segments: log.segments.map((s) => ({ ...s })), bytes: log.bytes }
}

export class MemoryStorage implements Storage {
  /** The bytes one entry counts for in size().raftStateBytes. */
  static entryBytes(entry: Entry): number {
    return entrySize(entry)
  }

  readonly capabilities: StorageCapabilities = Object.freeze({ durable: false, atomicBatch: true })
  private hardState: HardState
  private snapshot: Snapshot | undefined
  private log: Log
  private closed = false

  /** Starts empty, or with a copy of `initial` (throws StorageError if it is inconsistent). */
  constructor(initial?: PersistedState) {
    this.hardState = copyHardState(initial?.hardState ?? EMPTY_HARD_STATE)
    this.snapshot = initial?.snapshot ? copySnapshot(initial.snapshot) : undefined
    const offset = this.snapshot?.meta.index ?? 0
    const entries = initial?.entries ?? []
    if (entries[0] && entries[0].index !== offset + 1)
      throw new StorageError(`initial entries must start at ${offset + 1}, not ${entries[0].index}`)
    const log: Log = { offset, segments: [], bytes: 0 }
    checkEntries(log, entries)
    this.log = appendTo(log, entries)
  }

  async load(): Promise<PersistedState> {
    this.checkOpen()
    return this.persisted()
  }

  async write(batch: StorageBatch): Promise<void> {
    this.checkOpen()
    // Compute the whole new state first, so that a bad batch changes nothing.
    let log = this.log
    let snapshot = this.snapshot
    if (batch.snapshot) {
      log = applySnapshot(log, snapshot, batch.snapshot)
      snapshot = copySnapshot(batch.snapshot)
    }
    if (batch.entries) checkEntries(log, batch.entries)
    // appendTo throws (not consecutive) before it changes anything; after it nothing throws, so
    // mutating in place keeps the batch all-or-nothing.
    if (batch.entries) log = appendTo(log, batch.entries)
    this.log = log
    this.snapshot = snapshot
    if (batch.hardState) this.hardState = copyHardState(batch.hardState)
  }

  async compact(snapshot: Snapshot): Promise<void> {
    this.checkOpen()
    if (snapshot.meta.index > lastIndex(this.log))
      throw new StorageError(
        `cannot compact at ${snapshot.meta.index}: the log ends at ${lastIndex(this.log)}`,
      )
    this.log = applySnapshot(this.log, this.snapshot, snapshot)
    this.snapshot = copySnapshot(snapshot)
  }

  size(): StorageSize {
    return {
      raftStateBytes: packValue(this.hardState).byteLength + this.log.bytes,
      snapshotBytes: this.snapshot?.data.byteLength ?? 0,
    }
  }

  /**
   * A new storage holding a copy of what is persisted here now. Later writes to either do not
   * affect the other. Works after close (it reads what was persisted).
   */
  clone(): MemoryStorage {
    const c = new MemoryStorage({
      hardState: this.hardState,
      ...(this.snapshot ? { snapshot: this.snapshot } : {}),
      entries: [],
    })
    c.log = cloneLog(this.log)
    return c
  }

  async close(): Promise<void> {
    this.closed = true
  }

  private persisted(): PersistedState {
    return {
      hardState: copyHardState(this.hardState),
      ...(this.snapshot ? { snapshot: copySnapshot(this.snapshot) } : {}),
      entries: materialize(this.log),
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StoppedError('the storage is closed')
  }
}
