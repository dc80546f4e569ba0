/**
 * The logical Raft state that the WAL encodes: snapshot meta, the entries after it, hard state.
 * Every WAL record is an operation on it (snapshot, then entries, then hard state, as in a
 * StorageBatch), so the same code applies a write live and replays it on recovery.
 */
import type { Entry, HardState, SnapshotMeta } from '@raftkit/raft-core'
import { EMPTY_HARD_STATE, StorageError } from '@raftkit/raft-core'

export interface LogOp {
  readonly snapshot?: SnapshotMeta
  readonly entries?: readonly Entry[]
  readonly hardState?: HardState
}

/** Approximate bytes an entry occupies in the WAL. */
export function entrySize(e: Entry): number {
  return e.data.length + 12
}

/** Bytes of entries[from, to), by index (no slice, no iterator: a snapshot drops ~20 k at once). */
function sumBytes(entries: readonly Entry[], from = 0, to = entries.length): number {
  let n = 0
  const end = Math.min(to, entries.length)
  for (let i = Math.max(0, from); i < end; i++) n += entrySize(entries[i] as Entry)
  return n
}

const NO_SNAPSHOT: SnapshotMeta = Object.freeze({ index: 0, term: 0 })

/** What checkOp reads of a log: LogState, or recovery's ReplayLog (replay-log.ts). */
export interface LogBounds {
  readonly snapshotIndex: number
  readonly lastIndex: number
  termAt(index: number): number | undefined
}

/**
 * Throws StorageError if an op with this snapshot and entries from `firstIndex` on cannot apply
 * to `log`; changes nothing.
 */
export function checkOp(
  log: LogBounds,
  snapshot: SnapshotMeta | undefined,
  firstIndex: number | undefined,
): void {
  let snapshotIndex = log.snapshotIndex
  let lastIndex = log.lastIndex
  if (snapshot) {
    if (snapshot.index < snapshotIndex) {
      throw new StorageError(
        `snapshot at index ${snapshot.index} is older than the stored snapshot at ${snapshotIndex}`,
      )
    }
    const keeps = log.termAt(snapshot.index) === snapshot.term
    snapshotIndex = snapshot.index
    lastIndex = keeps ? Math.max(lastIndex, snapshotIndex) : snapshotIndex
  }
  if (firstIndex !== undefined && firstIndex <= snapshotIndex) {
    throw new StorageError(
      `cannot write entry ${firstIndex}: indexes up to ${snapshotIndex} are compacted`,
    )
  }
  if (firstIndex !== undefined && firstIndex > lastIndex + 1) {
    throw new StorageError(`entries start at ${firstIndex} but the log ends at ${lastIndex}: a gap`)
  }
}

export class LogState implements LogBounds {
  snapshot: SnapshotMeta | null = null
  /** entries[0].index === snapshotIndex + 1 */
  entries: Entry[] = []
  hardState: HardState = EMPTY_HARD_STATE
  /** Approximate stored bytes of the entries (kept up to date by apply). */
  entryBytes = 0

  static from(snapshot: SnapshotMeta | null, entries: Entry[], hardState: HardState): LogState {
    const s = new LogState()
    s.snapshot = snapshot
    s.entries = entries
    s.hardState = hardState
    s.entryBytes = sumBytes(entries)
    return s
  }

  get snapshotIndex(): number {
    return (this.snapshot ?? NO_SNAPSHOT).index
  }

  get lastIndex(): number {
    return this.snapshotIndex + this.entries.length
  }

  termAt(index: number): number | undefined {
    if (index === this.snapshotIndex) return (this.snapshot ?? NO_SNAPSHOT).term
    return this.entries[index - this.snapshotIndex - 1]?.term
  }

  clone(): LogState {
    return LogState.from(this.snapshot, this.entries.slice(), this.hardState)
  }

  /** Throws StorageError if `op` cannot apply to this state; changes nothing. */
  check(op: LogOp): void {
    checkOp(this, op.snapshot, op.entries?.[0]?.index)
  }

  /** Applies a checked op: snapshot, then entries (truncating a conflicting suffix), then hard state. */
  apply(op: LogOp): void {
    if (op.snapshot) this.applySnapshot(op.snapshot)
    if (op.entries) this.appendEntries(op.entries)
    if (op.hardState) this.hardState = op.hardState
  }

  private applySnapshot(meta: SnapshotMeta): void {
    // Keep the entries after the snapshot only if the log agrees with it at its index.
    const keeps = this.termAt(meta.index) === meta.term
    const dropped = keeps ? Math.max(0, meta.index - this.snapshotIndex) : this.entries.length
    this.entryBytes -= sumBytes(this.entries, 0, dropped)
    this.entries = this.entries.slice(dropped)
    this.snapshot = { index: meta.index, term: meta.term }
  }

  private appendEntries(entries: readonly Entry[]): void {
    const first = entries[0]
    if (!first) return
    const keep = first.index - this.snapshotIndex - 1
    this.entryBytes -= sumBytes(this.entries, keep)
    this.entries.length = keep
    for (const e of entries) this.entries.push(e)
    this.entryBytes += sumBytes(entries)
  }
}
