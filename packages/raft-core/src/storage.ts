import type { Entry, HardState, Snapshot } from './types.js'

export interface StorageCapabilities {
  /** Survives a process crash once a `sync: true` write has resolved. */
  readonly durable: boolean
  /** A batch is written all-or-nothing. */
  readonly atomicBatch: boolean
}

/** What a node finds on start: hard state, the latest snapshot, the log entries after it. */
export interface PersistedState {
  readonly hardState: HardState
  readonly snapshot?: Snapshot
  /** Consecutive entries starting at snapshot.meta.index + 1 (or 1 without a snapshot). */
  readonly entries: readonly Entry[]
}

/**
 * One Ready's durable state. Written in this order: snapshot, entries, hard state.
 * Entries whose first index is at or below the stored last index first truncate the stored
 * suffix from that index on (conflict resolution). A snapshot replaces the stored snapshot and
 * discards every stored entry it covers (and, if the log does not match it, the whole log).
 */
export interface StorageBatch {
  readonly snapshot?: Snapshot
  readonly entries?: readonly Entry[]
  readonly hardState?: HardState
  /** When true, the promise resolves only once everything in the batch is durable. */
  readonly sync: boolean
}

/** Sizes for observability and for the lab's "persisted state size" bounds. */
export interface StorageSize {
  /** Bytes of hard state + log entries, as stored. */
  readonly raftStateBytes: number
  /** Bytes of the snapshot's data. */
  readonly snapshotBytes: number
}

/**
 * A write-ahead persister plus a one-time load. A rejected promise makes the node stop with a
 * StorageError; it never limps on.
 */
export interface Storage {
  readonly capabilities: StorageCapabilities
  load(): Promise<PersistedState>
  write(batch: StorageBatch): Promise<void>
  /** Persists a service-driven snapshot and drops the entries it covers (durably). */
  compact(snapshot: Snapshot): Promise<void>
  size(): StorageSize
  /** Idempotent. */
  close(): Promise<void>
}
