import type { Index, NodeId } from './types.js'

/** Stable error codes: match on `err.code`, not on messages. */
export type RaftErrorCode =
  | 'RAFT_NOT_LEADER'
  | 'RAFT_TIMEOUT'
  | 'RAFT_STOPPED'
  | 'RAFT_STORAGE'
  | 'RAFT_STORAGE_CORRUPTION'
  | 'RAFT_STORAGE_LOCKED'
  | 'RAFT_COMPACTED'
  | 'RAFT_CONFIG'
  | 'RAFT_MALFORMED_MESSAGE'
  | 'RAFT_UNKNOWN_PEER'
  | 'RAFT_PROPOSAL_DROPPED'
  | 'RAFT_CHANGE_IN_PROGRESS'
  | 'RAFT_UNKNOWN_NODE'
  | 'RAFT_INVALID_MEMBERSHIP'
  | 'RAFT_TRANSFER_IN_PROGRESS'
  | 'RAFT_TRANSFER_FAILED'
  | 'RAFT_APPLY_ORDER'

export class RaftError extends Error {
  readonly code: RaftErrorCode
  constructor(code: RaftErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** This node is not the leader. Retry on `leaderHint` if known, else on another node. */
export class NotLeaderError extends RaftError {
  readonly leaderHint: NodeId | null
  constructor(leaderHint: NodeId | null, message?: string) {
    super(
      'RAFT_NOT_LEADER',
      message ??
        (leaderHint
          ? `not the leader; the leader is probably ${leaderHint}: retry there`
          : 'not the leader and no leader is known: retry later or on another node'),
    )
    this.leaderHint = leaderHint
  }
}

/** An operation did not finish in time. Its outcome is unknown: retry with the same request id. */
export class TimeoutError extends RaftError {
  constructor(message = 'timed out; the outcome is unknown, retry with the same request id') {
    super('RAFT_TIMEOUT', message)
  }
}

/** The node was killed or closed. Create a new one to continue. */
export class StoppedError extends RaftError {
  constructor(message = 'the node has been stopped (kill() or close() was called)') {
    super('RAFT_STOPPED', message)
  }
}

/** Storage failed. The node stops rather than continue on state it could not persist. */
export class StorageError extends RaftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RAFT_STORAGE', message, options)
  }
}

/** Persisted data is damaged somewhere other than a torn tail; the node refuses to start. */
export class StorageCorruptionError extends RaftError {
  readonly file: string
  readonly offset: number
  constructor(file: string, offset: number, reason: string) {
    super(
      'RAFT_STORAGE_CORRUPTION',
      `storage is corrupt in ${file} at byte ${offset}: ${reason}. Refusing to start: restore this node's data directory from a backup or wipe it and let the node catch up from the leader`,
    )
    this.file = file
    this.offset = offset
  }
}

/** Another process holds the storage directory. */
export class StorageLockedError extends RaftError {
  readonly dir: string
  constructor(dir: string, detail?: string) {
    super(
      'RAFT_STORAGE_LOCKED',
      `storage directory ${dir} is in use by another process${detail ? ` (${detail})` : ''}: stop that process or use another directory`,
    )
    this.dir = dir
  }
}

/** The requested log index was discarded by a snapshot. */
export class CompactedError extends RaftError {
  constructor(message = 'the requested index has been compacted into a snapshot') {
    super('RAFT_COMPACTED', message)
  }
}

/** A configuration value Raft cannot work with. `field` names it. */
export class ConfigError extends RaftError {
  readonly field: string
  constructor(field: string, message: string) {
    super('RAFT_CONFIG', `invalid configuration "${field}": ${message}`)
    this.field = field
  }
}

/** A message that is not a well-formed raftkit message. */
export class MalformedMessageError extends RaftError {
  constructor(reason: string) {
    super('RAFT_MALFORMED_MESSAGE', `malformed message: ${reason}`)
  }
}

/** A message from or to a node that is not a member of the cluster. */
export class UnknownPeerError extends RaftError {
  readonly peer: string
  constructor(peer: string) {
    super('RAFT_UNKNOWN_PEER', `unknown peer "${peer}": it is not a member of this cluster`)
    this.peer = peer
  }
}

/**
 * A proposal was lost (leadership changed before it committed). Retry it. Nothing in raft-core
 * raises it now: a membership change whose entry a new leader overwrote on the old leader may
 * still be committed by a later leader, so it rejects with NotLeaderError (outcome unknown).
 * Still exported, for code that catches it.
 * @deprecated Never raised by raft-core; a change whose leader lost leadership rejects with
 * NotLeaderError (outcome unknown).
 */
export class ProposalDroppedError extends RaftError {
  constructor(message = 'the proposal was dropped because leadership changed: retry it') {
    super('RAFT_PROPOSAL_DROPPED', message)
  }
}

/**
 * The apply stream was about to skip or repeat log indexes (a bug in raftkit). The node stops,
 * like on a StorageError, rather than let the service's state diverge from the log; restart it
 * from its storage.
 */
export class ApplyOrderError extends RaftError {
  /** The index the stream needed next. */
  readonly expected: Index
  /** The message that was refused: its kind and index. */
  readonly kind: 'command' | 'noop' | 'snapshot'
  readonly index: Index
  constructor(expected: Index, kind: 'command' | 'noop' | 'snapshot', index: Index) {
    super(
      'RAFT_APPLY_ORDER',
      `the apply stream expected index ${expected}${kind === 'snapshot' ? ' or a snapshot at or after it' : ''} but got a ${kind} at ${index}: the node stops rather than hand the service entries out of order; restart it from its storage`,
    )
    this.expected = expected
    this.kind = kind
    this.index = index
  }
}

/**
 * A membership change is still in progress (an uncommitted configuration entry, a joint
 * configuration not yet left, or a leader that has not committed an entry of its term yet).
 * Retry once it is done.
 */
export class ChangeInProgressError extends RaftError {
  /** `pending`: a change is under way; `leader-not-ready`: the leader's term has no commit yet. */
  readonly reason: 'pending' | 'leader-not-ready'
  constructor(reason: 'pending' | 'leader-not-ready' = 'pending', message?: string) {
    super(
      'RAFT_CHANGE_IN_PROGRESS',
      message ??
        (reason === 'pending'
          ? 'a membership change is already in progress: retry once it has committed'
          : 'the leader has not committed an entry of its term yet (thesis §4.1): retry shortly'),
    )
    this.reason = reason
  }
}

/** The node named in a membership change or leadership transfer is not in the configuration. */
export class UnknownNodeError extends RaftError {
  readonly node: string
  constructor(node: string, message?: string) {
    super('RAFT_UNKNOWN_NODE', message ?? `node "${node}" is not a member of the cluster`)
    this.node = node
  }
}

/** A requested configuration Raft cannot use (no voter, a node both voter and learner, ...). */
export class InvalidMembershipError extends RaftError {
  constructor(message: string) {
    super('RAFT_INVALID_MEMBERSHIP', `invalid membership change: ${message}`)
  }
}

/** The leader is handing leadership to `transferee` and accepts no proposal meanwhile. */
export class TransferInProgressError extends RaftError {
  readonly transferee: string
  constructor(transferee: string) {
    super(
      'RAFT_TRANSFER_IN_PROGRESS',
      `leadership is being transferred to "${transferee}": retry on the new leader`,
    )
    this.transferee = transferee
  }
}

/** A leadership transfer did not complete (aborted after an election timeout, or superseded). */
export class LeadershipTransferError extends RaftError {
  readonly target: string
  constructor(target: string, reason: string) {
    super('RAFT_TRANSFER_FAILED', `leadership transfer to "${target}" failed: ${reason}`)
    this.target = target
  }
}
