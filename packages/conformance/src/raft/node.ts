/**
 * What the harness needs from a Raft node: the lab's interface plus log inspection. raft-core's
 * `Raft` satisfies it; the harness's own tests plug in deliberately broken fakes.
 */
import type {
  ApplyMsg,
  Clock,
  Entry,
  Logger,
  Membership,
  MembershipTarget,
  NodeId,
  RaftConfig,
  Rng,
  Status,
  Storage,
  Transport,
} from '@raftkit/raft-core'

export interface StartResult {
  readonly index: number
  readonly term: number
  readonly isLeader: boolean
}

export interface RaftNode {
  start(command: Uint8Array): StartResult
  getState(): { readonly term: number; readonly isLeader: boolean }
  onApply(handler: (msg: ApplyMsg) => void | Promise<void>): void
  snapshot(index: number, data: Uint8Array): Promise<void>
  status(): Status
  /** Log entries with lo <= index < hi (lo must not be below the first index still in the log). */
  entries(lo: number, hi: number): Entry[]
  kill(): Promise<void>
  /** Membership changes and leadership transfer (capability `membership`; raft-core's Raft). */
  changeMembership?(target: MembershipTarget): Promise<Membership>
  addLearner?(id: NodeId): Promise<Membership>
  promote?(id: NodeId): Promise<Membership>
  removeNode?(id: NodeId): Promise<Membership>
  transferLeadership?(to: NodeId): Promise<void>
}

export interface NodeOptions {
  readonly id: NodeId
  readonly peers: readonly NodeId[]
  /** A node that joins a running cluster (it knows no member until the leader adds it). */
  readonly join?: boolean
  readonly transport: Transport
  readonly storage: Storage
  readonly clock: Clock
  readonly rng: Rng
  readonly logger: Logger
  readonly config?: Partial<RaftConfig>
}

/** Creates (or restarts, from the state in `storage`) one node. */
export type NodeFactory = (options: NodeOptions) => Promise<RaftNode>
