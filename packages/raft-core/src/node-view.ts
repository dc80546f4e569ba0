/**
 * NodeView: what the handler modules (elections, ticks, dispatch, replication, snapshot
 * transfer, membership change, leadership transfer) see of a node — its state and the few
 * actions they may take. RaftCore implements it; the handlers import this interface instead of
 * core.ts, so the algorithm's files form no import circle (core imports the handlers, never the
 * other way round). A type-only leaf: it imports types only.
 */
import type { CoreConfig } from './config.js'
import type { RaftLog } from './log.js'
import type { Logger } from './logger.js'
import type { MembershipLog } from './membership.js'
import type { Message } from './messages.js'
import type { Progress } from './progress.js'
import type { ReadIndexQueue } from './read-index.js'
import type { SnapshotReceiver } from './snapshot-receiver.js'
import type { EntryKind, Index, NodeId, Role, Term } from './types.js'
import type { VoteTally } from './vote-tally.js'

type Distribute<M> = M extends Message ? Omit<M, 'from' | 'term'> & { term?: Term } : never
/** A message as built by handlers: `from` is filled in, `term` defaults to the current term. */
export type Outgoing = Distribute<Message>

export interface NodeView {
  readonly id: NodeId
  /** Every configuration in the log; the latest is in effect (membership-change.ts). */
  readonly memberships: MembershipLog
  /** Every member other than this node: who a leader replicates to. */
  others: NodeId[]
  /** Leader: the voter leadership is being handed to (leadership-transfer.ts), or null. */
  leadTransferee: NodeId | null
  /** Leader: ticks since the transfer started, or since TimeoutNow was first sent. */
  transferElapsed: number
  /** Leader: TimeoutNow has been sent to the transferee in this transfer. */
  timeoutNowSent: boolean
  /** Leader: new entries wait for the next Ready to go out in one AppendEntries per follower. */
  pendingAppends: boolean
  readonly config: CoreConfig
  readonly logger: Logger
  readonly term: Term
  /** The vote given in the current term; election.ts records a granted vote. */
  votedFor: NodeId | null
  /** Ticks since the last reset: election timer (followers/candidates) or checkQuorum (leader). */
  electionElapsed: number
  /** Leader: ticks since the last heartbeat round (ticks.ts). */
  heartbeatElapsed: number
  /** The election timeout in ticks, drawn at random on every reset (ticks.ts). */
  readonly randomizedElectionTimeout: number
  /** The votes of this node's election and of the term it campaigned in (vote-tally.ts). */
  readonly tally: VoteTally
  readonly role: Role
  readonly leader: NodeId | null
  readonly log: RaftLog
  /** Leader only: one Progress per other member. */
  readonly progress: Map<NodeId, Progress>
  readonly receiver: SnapshotReceiver
  /** Leader: the ReadIndex requests and their heartbeat rounds (read-index.ts). */
  readonly reads: ReadIndexQueue

  /** Queues a message for the next Ready. */
  send(m: Outgoing): void
  /** Log fields naming this node and its term, plus `extra`. */
  fields(extra?: Record<string, unknown>): Record<string, unknown>
  /** Leader: advances the commit index if a quorum allows (Figure 2 / Figure 8). */
  maybeCommit(): boolean
  /** Leader: appends an entry of the current term to its own log. */
  appendEntry(kind: EntryKind, data: Uint8Array): { index: Index; term: Term }
  becomeFollower(term: Term, leader: NodeId | null): void
  /** Starts a pre-vote (election.ts): term and vote stay as they are. */
  becomePreCandidate(): void
  /** Starts a real election (election.ts): the next term, voting for itself. */
  becomeCandidate(): void
  /** Leads the current term once its election is won (election.ts). */
  becomeLeader(): void
  /** Only a voter campaigns. */
  mayCampaign(): boolean
  /** Starts an election (through pre-vote when enabled), as an election timeout does. */
  hup(): void
  /** Campaigns now, skipping pre-vote; only for a non-leader that mayCampaign(). */
  campaignNow(transfer: boolean): void
  /** Leader: answers the reads a quorum has confirmed. */
  checkReads(): void
  /** Leader: sends `to` what it lacks (replication.ts), for the handlers it imports. */
  maybeSendAppends(to: NodeId, sendIfEmpty: boolean): boolean
}
