/**
 * The log as recovery replays it: LogState's rules (the same checkOp, the same snapshot and
 * append semantics) on entries kept as columns — term, kind and where the data lies in a segment
 * buffer — instead of an Entry object and a view per entry. Most entries a replay reads are
 * dropped again by a later snapshot; as objects they lived long enough to be promoted and then
 * collected, a third of a replay's CPU. Only the entries still in the log at the end become
 * Entry objects, each with its own copy of its data (no entry keeps a segment buffer alive).
 */
import type { Entry, EntryKind, HardState, SnapshotMeta } from '@raftkit/raft-core'
import type { LogBounds, LogOp } from './log-state.js'
import { LogState, checkOp } from './log-state.js'
import { KIND_NAMES, scanned } from './op-decode.js'

const KIND_CODE: Readonly<Record<EntryKind, number>> = { command: 0, noop: 1, config: 2 }

export class ReplayLog implements LogBounds {
  private snapshot: SnapshotMeta | null
  private hardState: HardState
  /** The last hard state read by readOpAt, made into an object only at the end. */
  private hardFrom: Buffer | undefined
  private hardTerm = 0
  private hardCommit = 0
  private voteStart = -1
  private voteLength = 0
  /** The entries are in slots [head, head + count) of the columns. */
  private head = 0
  private count = 0
  private terms: Float64Array
  private kinds: Uint8Array
  /** Index into `buffers` of the buffer holding each entry's data; its offset and length there. */
  private sources: Uint32Array
  private offsets: Float64Array
  private lengths: Float64Array
  private readonly buffers: ArrayBufferLike[] = []

  /** `capacity`: the columns' first size (they grow as needed). */
  constructor(
    snapshot: SnapshotMeta | null,
    entries: readonly Entry[],
    hardState: HardState,
    capacity = 1024,
  ) {
    this.terms = new Float64Array(capacity)
    this.kinds = new Uint8Array(capacity)
    this.sources = new Uint32Array(capacity)
    this.offsets = new Float64Array(capacity)
    this.lengths = new Float64Array(capacity)
    this.snapshot = snapshot
    this.hardState = hardState
    this.pushEntries(entries)
  }

  get snapshotIndex(): number {
    return this.snapshot?.index ?? 0
  }

  get lastIndex(): number {
    return this.snapshotIndex + this.count
  }

  termAt(index: number): number | undefined {
    const snapshotIndex = this.snapshotIndex
    if (index === snapshotIndex) return this.snapshot?.term ?? 0
    const slot = index - snapshotIndex - 1
    return slot >= 0 && slot < this.count ? this.terms[this.head + slot] : undefined
  }

  /** Checks and applies an op decodeOp made (entries as views of `op`'s payload). */
  applyOp(op: LogOp): void {
    checkOp(this, op.snapshot, op.entries?.[0]?.index)
    if (op.snapshot) this.applySnapshot(op.snapshot.index, op.snapshot.term)
    const entries = op.entries
    const first = entries?.[0]
    if (entries && first) {
      this.count = first.index - this.snapshotIndex - 1
      this.pushEntries(entries)
    }
    if (op.hardState) {
      this.hardState = op.hardState
      this.hardFrom = undefined
    }
  }

  /** Checks and applies the op readOpAt just read from `b` (op-decode.ts). */
  applyScanned(b: Buffer): void {
    const s = scanned
    const meta = s.hasSnapshot ? { index: s.snapshotIndex, term: s.snapshotTerm } : undefined
    checkOp(this, meta, s.entryCount > 0 ? s.firstIndex : undefined)
    if (meta) this.applySnapshot(meta.index, meta.term)
    const n = s.entryCount
    if (n > 0) {
      this.count = s.firstIndex - this.snapshotIndex - 1
      this.reserve(n)
      const source = this.sourceOf(b.buffer)
      const base = b.byteOffset
      for (let i = 0, slot = this.head + this.count; i < n; i++, slot++) {
        this.terms[slot] = s.terms[i] as number
        this.kinds[slot] = s.kinds[i] as number
        this.sources[slot] = source
        this.offsets[slot] = base + (s.dataStarts[i] as number)
        this.lengths[slot] = s.dataLengths[i] as number
      }
      this.count += n
    }
    if (s.hasHardState) {
      this.hardFrom = b
      this.hardTerm = s.hardTerm
      this.hardCommit = s.hardCommit
      this.voteStart = s.voteStart
      this.voteLength = s.voteLength
    }
  }

  /** The replayed state as a LogState: the kept entries as objects, each with its own data. */
  toLogState(): LogState {
    const entries: Entry[] = new Array<Entry>(this.count)
    const first = this.snapshotIndex + 1
    for (let i = 0; i < this.count; i++) {
      const slot = this.head + i
      const buf = this.buffers[this.sources[slot] as number] as ArrayBufferLike
      const data = new Uint8Array(buf, this.offsets[slot], this.lengths[slot]).slice()
      const kind = KIND_NAMES[this.kinds[slot] as number] as EntryKind
      entries[i] = { index: first + i, term: this.terms[slot] as number, kind, data }
    }
    return LogState.from(this.snapshot, entries, this.currentHardState())
  }

  private currentHardState(): HardState {
    const b = this.hardFrom
    if (b === undefined) return this.hardState
    const at = this.voteStart
    const votedFor = at < 0 ? null : b.toString('latin1', at, at + this.voteLength)
    return { term: this.hardTerm, votedFor, commit: this.hardCommit }
  }

  private applySnapshot(index: number, term: number): void {
    // Keep the entries after the snapshot only if the log agrees with it at its index.
    const keeps = this.termAt(index) === term
    const dropped = keeps ? Math.max(0, index - this.snapshotIndex) : this.count
    this.head += dropped
    this.count -= dropped
    this.snapshot = { index, term }
  }

  private pushEntries(entries: readonly Entry[]): void {
    this.reserve(entries.length)
    for (const e of entries) {
      const slot = this.head + this.count++
      this.terms[slot] = e.term
      this.kinds[slot] = KIND_CODE[e.kind]
      this.sources[slot] = this.sourceOf(e.data.buffer)
      this.offsets[slot] = e.data.byteOffset
      this.lengths[slot] = e.data.length
    }
  }

  private sourceOf(buf: ArrayBufferLike): number {
    const i = this.buffers.lastIndexOf(buf)
    return i >= 0 ? i : this.buffers.push(buf) - 1
  }

  /** Room for `n` more entries after the last one: moves the entries to slot 0, or grows. */
  private reserve(n: number): void {
    const need = this.count + n
    if (this.head + need <= this.terms.length) return
    const size =
      need <= this.terms.length / 2 ? this.terms.length : Math.max(need, this.terms.length * 2)
    const from = this.head
    const to = from + this.count
    const move = <T extends Float64Array | Uint8Array | Uint32Array>(
      a: T,
      make: (k: number) => T,
    ): T => {
      if (size === a.length) {
        a.copyWithin(0, from, to)
        return a
      }
      const b = make(size)
      b.set(a.subarray(from, to))
      return b
    }
    this.terms = move(this.terms, (k) => new Float64Array(k))
    this.kinds = move(this.kinds, (k) => new Uint8Array(k))
    this.sources = move(this.sources, (k) => new Uint32Array(k))
    this.offsets = move(this.offsets, (k) => new Float64Array(k))
    this.lengths = move(this.lengths, (k) => new Float64Array(k))
    this.head = 0
  }
}
