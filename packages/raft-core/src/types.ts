/** Identifier of a node in the cluster. Strings are friendly to URLs, CLIs and maps. */
export type NodeId = string
/** A Raft term (starts at 0, increases monotonically). */
export type Term = number
/** A log index. The first real log entry has index 1; index 0 is the empty prefix. */
export type Index = number

/**
 * `command`: a proposal from the service; `noop`: an empty entry a leader appends for itself
 * (to commit entries of earlier terms and to serve ReadIndex); services skip noops;
 * `config`: a membership configuration (membership.ts), in effect from the moment it is in a
 * node's log (thesis §4.1); services receive it as a noop.
 */
export type EntryKind = 'command' | 'noop' | 'config'

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

/**
 * Who is in the cluster (etcd's ConfState). `voters` elect leaders and count for commits;
 * `learners` receive the log and snapshots but never vote or count. While a voter-set change is
 * in progress the configuration is joint (thesis §4.3): `outgoing` holds the previous voters and
 * every decision needs a majority of `voters` AND a majority of `outgoing`; `outgoing` is empty
 * otherwise. Ids are distinct within each list; a learner is never in `voters` (it may be in
 * `outgoing`: a voter being demoted).
 */
export interface Membership {
  readonly voters: readonly NodeId[]
  readonly learners: readonly NodeId[]
  readonly outgoing: readonly NodeId[]
}

export interface SnapshotMeta {
  /** Last log index the snapshot covers. */
  readonly index: Index
  /** Term of the entry at `index`. */
  readonly term: Term
  /**
   * The configuration in effect at `index` (the latest configuration entry at or before it).
   * Absent only in snapshots written before membership changes existed: the node then uses
   * its initial peers.
   */
  readonly membership?: Membership
}

export interface Snapshot {
  readonly meta: SnapshotMeta
  /** Service state, opaque to Raft. */
  readonly data: Uint8Array
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader'

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, votedFor: null, commit: 0 })
