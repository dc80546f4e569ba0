/**
 * RaftCore: the Raft state machine proper (Figure 2). It owns term, vote, role and the log,
 * handles terms once, centrally, in step() (etcd habit), then dispatches to the role's handler.
 * Dispatch lives in dispatch.ts, what a tick does in ticks.ts, elections in election.ts (the
 * votes in vote-tally.ts), leader replication, the AppendEntries receiver and snapshot transfer
 * in replication.ts and snapshot-transfer.ts. Deterministic: no timers, no I/O; time is tick(),
 * randomness the injected Rng. Internal: the public API is RawNode.
 */
import type { CoreConfig } from './config.js'
import { NotLeaderError, TransferInProgressError } from './errors.js'
import { RaftLog } from './log.js'
import type { Logger } from './logger.js'
import type { NodeView, Outgoing } from './node-view.js'
import type { Message } from './messages.js'
import { Progress } from './progress.js'
import { jointCommittedIndex, jointHasQuorum } from './quorum.js'
import { decodeMembership } from './membership-codec.js'
import { EMPTY_MEMBERSHIP, MembershipLog, isVoter, members, membershipOf } from './membership.js'
import { afterCommit } from './membership-change.js'
import { campaign } from './election.js'
import { answerStale, dispatch } from './dispatch.js'
import { inLease, tickElection, tickLeader } from './ticks.js'
import { VoteTally } from './vote-tally.js'
import { ReadIndexQueue } from './read-index.js'
import type { ReadState } from './ready.js'
import type { Rng } from './rng.js'
import { SnapshotReceiver } from './snapshot-receiver.js'
import type { PersistedState } from './storage.js'
import type { Entry, EntryKind, Index, Membership, NodeId, Role, Term } from './types.js'
import { broadcastHeartbeat, flushAppends, maybeSendAppends } from './replication.js'

export interface CoreOptions {
  readonly id: NodeId
  /** The initial voters, used when the restored state holds no configuration; [] to join. */
  readonly peers: readonly NodeId[]
  readonly config: CoreConfig
  readonly restored: PersistedState
  readonly rng: Rng
  readonly logger: Logger
}

export class RaftCore implements NodeView {
  readonly id: NodeId
  /** Every configuration in the log; the latest is in effect (membership-change.ts). */
  readonly memberships: MembershipLog
  /** Every member (voters, outgoing voters, learners) other than this node: who we replicate to. */
  others: NodeId[] = []
  /** Leader: the voter leadership is being handed to (leadership-transfer.ts), or null. */
  leadTransferee: NodeId | null = null
  /** Leader: ticks since the transfer started, or since TimeoutNow was first sent. */
  transferElapsed = 0
  /** Leader: TimeoutNow has been sent to the transferee in this transfer. */
  timeoutNowSent = false
  readonly config: CoreConfig
  readonly logger: Logger
  private readonly rng: Rng

  term: Term
  votedFor: NodeId | null
  role: Role = 'follower'
  leader: NodeId | null = null
  readonly log: RaftLog

  /** Ticks since the last reset: election timer (followers/candidates) or checkQuorum (leader). */
  electionElapsed = 0
  heartbeatElapsed = 0
  randomizedElectionTimeout = 0
  /** The votes of this node's election and of the term it campaigned in (vote-tally.ts). */
  readonly tally = new VoteTally()

  /** Leader only: one Progress per other voter. */
  readonly progress = new Map<NodeId, Progress>()
  readonly reads = new ReadIndexQueue()
  readStates: ReadState[] = []
  readonly receiver = new SnapshotReceiver()
  msgs: Message[] = []
  /** Leader: new entries wait for the next Ready to go out in one AppendEntries per follower. */
  pendingAppends = false
  /** Leader: the commit index advanced; followers must learn it. */
  pendingCommit = false
  /**
   * A tick passed since the commit index moved: followers that got no AppendEntries since then
   * are told with an empty one. Until then the new commit index rides on the next AppendEntries
   * (the next proposal's), so a commit costs no message of its own on a busy leader and stays
   * off the path of the reply to the client; followers learn it within a tick either way.
   */
  private commitDue = false

  constructor(o: CoreOptions) {
    this.id = o.id
    const snap = o.restored.snapshot
    this.memberships = new MembershipLog(
      snap?.meta.index ?? 0,
      snap?.meta.membership ?? (o.peers.length > 0 ? membershipOf(o.peers) : EMPTY_MEMBERSHIP),
    )
    for (const e of o.restored.entries)
      if (e.kind === 'config') this.memberships.append(e.index, decodeMembership(e.data))
    this.others = members(this.membership).filter((id) => id !== this.id)
    this.config = o.config
    this.rng = o.rng
    this.logger = o.logger
    this.term = o.restored.hardState.term
    this.votedFor = o.restored.hardState.votedFor
    this.log = new RaftLog(o.restored.snapshot, o.restored.entries, o.restored.hardState.commit)
    this.resetElectionTimeout()
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  tick(): void {
    if (this.role === 'leader') {
      if (this.pendingCommit) this.commitDue = true
      tickLeader(this)
    } else tickElection(this)
  }

  /** The configuration in effect (the latest in the log). */
  get membership(): Membership {
    return this.memberships.current
  }

  /**
   * Starts an election (through pre-vote when enabled), as an election timeout would. Only a
   * voter campaigns: learners, removed nodes and nodes still joining never do.
   */
  hup(): void {
    if (this.role === 'leader' || !this.mayCampaign()) return
    if (this.config.preVote) campaign(this, 'pre')
    else campaign(this, 'real')
  }

  /**
   * Campaigns now, skipping pre-vote (leadership transfer: `transfer` marks the requests). The
   * caller (handleTimeoutNow) has checked that this node is not the leader and may campaign.
   */
  campaignNow(transfer: boolean): void {
    campaign(this, 'real', transfer)
  }

  /**
   * Whether this node may start an election: a voter of its latest configuration, or (thesis
   * §4.2.2) a voter of the configuration committed before it while the latest one is not yet
   * committed: it may be needed to commit it, e.g. a leader being removed that stepped down
   * early. Its own vote counts only where it is a voter (the tally counts votes by configuration).
   */
  mayCampaign(): boolean {
    const history = this.memberships
    if (isVoter(history.current, this.id)) return true
    return (
      history.currentIndex > this.log.committed && isVoter(history.at(this.log.committed), this.id)
    )
  }

  /**
   * Leader: appends a command; refused while leadership is being transferred, and once the
   * leader has appended a configuration it is no voter of (C_new of its own removal): it hands
   * leadership over when that commits (membership-change.ts, afterCommit), and a log that ends
   * at C_new lets the voter that commits it take over at once.
   */
  propose(data: Uint8Array): { index: Index; term: Term } {
    if (this.role !== 'leader') throw new NotLeaderError(this.leader)
    if (this.leadTransferee !== null) throw new TransferInProgressError(this.leadTransferee)
    if (!isVoter(this.memberships.current, this.id))
      throw new NotLeaderError(
        null,
        'not the leader for long: this leader is being removed from the configuration; retry on another node',
      )
    return this.appendEntry('command', data)
  }

  /** Leader: appends an entry of any kind (noops and configurations come from here). */
  appendEntry(kind: EntryKind, data: Uint8Array): { index: Index; term: Term } {
    const entry: Entry = { index: this.log.lastIndex() + 1, term: this.term, kind, data }
    this.log.appendOne(entry)
    this.pendingAppends = true
    return { index: entry.index, term: entry.term }
  }

  readIndex(requestId: number): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leader)
    if (this.log.term(this.log.committed) === this.term) {
      this.reads.add(requestId, this.log.committed)
      if (this.others.length === 0) this.flushReads()
      return
    }
    // Bug #2: our commit index may be stale until an entry of our term commits. Make sure one
    // exists (a noop, at most once per term) and queue the read until it commits.
    if (this.log.lastTerm() !== this.term) this.appendEntry('noop', new Uint8Array(0))
    this.reads.wait(requestId)
  }

  /** Central term handling (Figure 2 "All servers"), then dispatch on message type and role. */
  step(m: Message): void {
    if (m.term > this.term) {
      if (m.type === 'RequestVote' && inLease(this) && m.transfer !== true) {
        this.logger.debug(
          'ignoring vote request: a leader was heard from recently',
          this.fields({ from: m.from }),
        )
        return
      }
      const keepTerm =
        (m.type === 'RequestVote' && m.preVote) ||
        (m.type === 'RequestVoteReply' && m.preVote && m.granted)
      if (!keepTerm) {
        const fromLeader = m.type === 'AppendEntries' || m.type === 'InstallSnapshot'
        this.becomeFollower(m.term, fromLeader ? m.from : null)
      }
    } else if (m.term < this.term) {
      answerStale(this, m)
      return
    }
    dispatch(this, m)
  }

  // ---------------------------------------------------------------------------------------------
  // Role transitions

  becomeFollower(term: Term, leader: NodeId | null): void {
    this.reset(term)
    this.setRole('follower', leader)
  }

  becomePreCandidate(): void {
    // Term and vote stay as they are: a pre-vote changes nobody's state (thesis §9.6).
    this.reset(this.term)
    this.setRole('pre-candidate', null)
  }

  becomeCandidate(): void {
    this.reset(this.term + 1)
    this.votedFor = this.id
    this.tally.startTerm()
    this.setRole('candidate', null)
  }

  becomeLeader(): void {
    this.reset(this.term)
    this.tally.endTerm()
    const next = this.log.lastIndex() + 1
    for (const peer of this.others) this.progress.set(peer, new Progress(next))
    this.setRole('leader', this.id)
    // A configuration entry of an earlier term commits only under an entry of this term: append
    // a noop so that a pending change (and leaving a joint configuration) completes without
    // waiting for a client's proposal.
    if (this.memberships.currentIndex > this.log.committed)
      this.appendEntry('noop', new Uint8Array(0))
    // No noop by default (first command at index 1): announce leadership with empty probes.
    for (const peer of this.others) maybeSendAppends(this, peer, true)
    if (!this.maybeCommit()) afterCommit(this) // e.g. leave a joint configuration committed earlier
  }

  private reset(term: Term): void {
    if (term !== this.term) {
      this.term = term
      this.votedFor = null
      this.tally.endTerm()
    }
    this.electionElapsed = 0
    this.heartbeatElapsed = 0
    this.resetElectionTimeout()
    this.tally.clearElection()
    this.progress.clear()
    this.reads.clear()
    this.pendingAppends = false
    this.pendingCommit = false
    this.commitDue = false
    this.leadTransferee = null
    this.transferElapsed = 0
    this.timeoutNowSent = false
  }

  private setRole(role: Role, leader: NodeId | null): void {
    const changed = role !== this.role || leader !== this.leader
    this.role = role
    this.leader = leader
    if (changed) this.logger.info(`became ${role}`, this.fields({ leader }))
  }

  private resetElectionTimeout(): void {
    const { electionTicksMin: min, electionTicksMax: max } = this.config
    this.randomizedElectionTimeout = min + this.rng.int(max - min)
  }

  // ---------------------------------------------------------------------------------------------
  // Commit and reads (leader)

  /**
   * Figure 2 / Figure 8: commit N only if a majority matched N and log[N] is of the current
   * term (RaftLog.maybeCommit checks the term); while joint, a majority of both the new and the
   * old voters (thesis §4.3). The leader's own match is its DURABLE last index (bug #9), counted
   * only where it is a voter.
   */
  maybeCommit(): boolean {
    if (this.role !== 'leader') return false
    const { voters, outgoing } = this.membership
    const match = (id: NodeId): Index =>
      id === this.id ? this.log.stable : (this.progress.get(id)?.match ?? 0)
    const n = jointCommittedIndex(match, voters, outgoing)
    if (!this.log.maybeCommit(n, this.term)) return false
    this.pendingCommit = true
    this.reads.releaseWaiting(n)
    if (this.others.length === 0) this.flushReads()
    afterCommit(this)
    return true
  }

  /** Sends the pending appends/commit and starts a heartbeat round for unsent reads. */
  flush(): void {
    if (this.role !== 'leader') return
    const commitNow = this.pendingCommit && this.commitDue
    if (this.pendingAppends || commitNow) {
      // Every follower got an AppendEntries (which carries the commit index): nothing pending.
      if (flushAppends(this, commitNow)) this.pendingCommit = false
    }
    this.pendingAppends = false
    if (commitNow) this.pendingCommit = false
    if (!this.pendingCommit) this.commitDue = false
    this.flushReads()
  }

  hasPendingFlush(): boolean {
    return (
      this.role === 'leader' &&
      (this.pendingAppends || (this.pendingCommit && this.commitDue) || this.reads.hasUnsent())
    )
  }

  private flushReads(): void {
    if (!this.reads.hasUnsent()) return
    const round = this.reads.nextRound()
    this.reads.markSent(round)
    if (this.others.length > 0) {
      this.heartbeatElapsed = 0
      broadcastHeartbeat(this, round)
    }
    this.checkReads()
  }

  /** Emits the reads whose heartbeat round a majority (this node included) acknowledged. */
  checkReads(): void {
    const confirmed = this.reads.confirmed((round) => {
      const acked = new Set<NodeId>([this.id])
      for (const [peer, pr] of this.progress) if (pr.readAck >= round) acked.add(peer)
      return jointHasQuorum(acked, this.membership.voters, this.membership.outgoing)
    })
    this.readStates.push(...confirmed)
  }

  // ---------------------------------------------------------------------------------------------

  /** replication.ts's maybeSendAppends, offered to the handlers that replication.ts imports. */
  maybeSendAppends(to: NodeId, sendIfEmpty: boolean): boolean {
    return maybeSendAppends(this, to, sendIfEmpty)
  }

  send(m: Outgoing): void {
    this.msgs.push({ ...m, from: this.id, term: m.term ?? this.term })
  }

  fields(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { id: this.id, term: this.term, ...extra }
  }
}
