import type { Index, Membership, NodeId, Role, Term } from './types.js'

export type ProgressState = 'probe' | 'replicate' | 'snapshot'

export interface PeerProgress {
  readonly match: Index
  readonly next: Index
  readonly state: ProgressState
}

/** A point-in-time view of one node, for inspection and tests. */
export interface Status {
  readonly id: NodeId
  readonly role: Role
  readonly term: Term
  readonly leader: NodeId | null
  readonly votedFor: NodeId | null
  readonly commitIndex: Index
  readonly appliedIndex: Index
  /** First index still in the log (snapshotIndex + 1). */
  readonly firstIndex: Index
  readonly lastIndex: Index
  readonly snapshotIndex: Index
  readonly snapshotTerm: Term
  /**
   * The configuration in effect here (the latest in this node's log). Always set by RawNode
   * and Raft; optional so that hand-made Status values (test doubles) stay valid.
   */
  readonly membership?: Membership
  /** True while the configuration is joint (membership.outgoing holds the old voters). */
  readonly joint?: boolean
  /** Leader: the voter leadership is being transferred to. */
  readonly leadTransferee?: NodeId
  /** Per-member (voters and learners) replication progress; present on the leader only. */
  readonly progress?: Readonly<Record<NodeId, PeerProgress>>
  /**
   * Set by the `Raft` runtime once the node has stopped: StoppedError after kill(), or the
   * error that stopped it (StorageError, ApplyOrderError).
   */
  readonly stopReason?: Error
}
