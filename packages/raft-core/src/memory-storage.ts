/**
 * Storage kept in memory: not durable, but every batch is applied all-or-nothing, and reads
 * and writes copy, so the caller never shares objects with what is "persisted". The lab
 * harness simulates a crash by cloning a node's storage (what was persisted at that moment)
 * and starting a new node on the clone.
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

/** A fresh copy (not `slice`: on a Node Buffer that returns a view of the same memory). */
function copyBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b)
}
function copyEntry(e: Entry): Entry {
  return { index: e.index, term: e.term, kind: e.kind, data: copyBytes(e.data) }
}
function copySnapshot(s: Snapshot): Snapshot {
  return { meta: { index: s.meta.index, term: s.meta.term }, data: copyBytes(s.data) }
}
function copyHardState(h: HardState): HardState {
  return { term: h.term, votedFor: h.votedFor, commit: h.commit }
}

/** The stored log: entries consecutive from `offset + 1`, with their encoded sizes. */
interface Log {
  offset: Index
  entries: Entry[]
  sizes: number[]
  /** Sum of `sizes`. */
  bytes: number
}

/**
 * Bytes an entry counts for in size(): its payload plus the ~40 bytes its index, term and kind
 * take in msgpack with field names. Computed without encoding (the hot path appends millions).
 */
function entrySize(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES
}
const ENTRY_OVERHEAD_BYTES = 40

function lastIndex(log: Log): Index {
  return log.offset + log.entries.length
}

function termAt(log: Log, index: Index): number | undefined {
  return log.entries[index - log.offset - 1]?.term
}

/** Throws StorageError unless `entries` are consecutive, in range, and follow `log`. */
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
  entries.forEach((e, i) => {
    if (e.index !== first.index + i)
      throw new StorageError(`entries are not consecutive at position ${i}`)
  })
}

/**
 * Writes `entries` over the log's suffix from entries[0].index on, in place. Callers validate
 * with checkEntries first, so a bad batch changes nothing. Amortized O(entries), not O(log).
 */
function appendTo(log: Log, entries: readonly Entry[]): Log {
  const first = entries[0]
  if (!first) return log
  const keep = first.index - log.offset - 1
  for (let i = keep; i < log.sizes.length; i++) log.bytes -= log.sizes[i] as number
  log.entries.length = keep
  log.sizes.length = keep
  for (const e of entries) {
    const size = entrySize(e)
    log.entries.push(copyEntry(e))
    log.sizes.push(size)
    log.bytes += size
  }
  return log
}

/** The log after installing `snapshot`: entries after it are kept only if the log matches it. */
function applySnapshot(log: Log, current: Snapshot | undefined, snapshot: Snapshot): Log {
  const { index, term } = snapshot.meta
  if (current && index < current.meta.index)
    throw new StorageError(
      `snapshot at ${index} is older than the stored one at ${current.meta.index}`,
    )
  const termThere = index === log.offset ? (current?.meta.term ?? 0) : termAt(log, index)
  if (termThere !== term) return { offset: index, entries: [], sizes: [], bytes: 0 }
  const cut = index - log.offset
  const sizes = log.sizes.slice(cut)
  return {
    offset: index,
    entries: log.entries.slice(cut),
    sizes,
    bytes: sizes.reduce((x, y) => x + y, 0),
  }
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
    const log: Log = { offset, entries: [], sizes: [], bytes: 0 }
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
    // Validated: from here on nothing throws, so mutating in place keeps the batch all-or-nothing.
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
    return new MemoryStorage(this.persisted())
  }

  async close(): Promise<void> {
    this.closed = true
  }

  private persisted(): PersistedState {
    return {
      hardState: copyHardState(this.hardState),
      ...(this.snapshot ? { snapshot: copySnapshot(this.snapshot) } : {}),
      entries: this.log.entries.map(copyEntry),
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StoppedError('the storage is closed')
  }
}
