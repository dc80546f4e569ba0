/** Identifier of a node in the cluster. Strings are friendly to URLs, CLIs and maps. */
export type NodeId = string
/** A Raft term (starts at 0, increases monotonically). */
export type Term = number
/** A log index. The first real log entry has index 1; index 0 is the empty prefix. */
export type Index = number

/**
 * `command`: a proposal from the service; `noop`: an empty entry a leader appends for itself
 * (to commit entries of earlier terms and to serve ReadIndex); services skip noops.
 */
export type EntryKind = 'command' | 'noop'

export interface Entry {
  readonly index: Index
  readonly term: Term
  readonly kind: EntryKind
  readonly data: Uint8Array
}

/** What must be durable before any message that depends on it leaves the node. */
export interface HardState {
  readonly term: Term
  readonly votedFor: NodeId | null
  readonly commit: Index
}

export interface ClusterConfig {
  readonly voters: readonly NodeId[]
}

export interface SnapshotMeta {
  /** Last log index the snapshot covers. */
  readonly index: Index
  /** Term of the entry at `index`. */
  readonly term: Term
}

export interface Snapshot {
  readonly meta: SnapshotMeta
  /** Service state, opaque to Raft. */
  readonly data: Uint8Array
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader'

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, votedFor: null, commit: 0 })
