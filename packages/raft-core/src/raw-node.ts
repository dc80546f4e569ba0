/**
 * RawNode: the public, synchronous, deterministic Raft API (etcd's RawNode). Inputs are tick(),
 * step(), propose(), readIndex() and campaign(); everything the driver must do comes back from
 * ready(): persist, then send, then apply, then advance().
 */
import { validateCoreConfig, type CoreConfig } from './config.js'
import { RaftCore } from './core.js'
import { ConfigError, CompactedError } from './errors.js'
import { silentLogger, type Logger } from './logger.js'
import { validateMessage, type Message } from './messages.js'
import type { ReadState, Ready, SoftState } from './ready.js'
import type { Rng } from './rng.js'
import type { PeerProgress, Status } from './status.js'
import type { PersistedState } from './storage.js'
import type { Entry, HardState, Index, Membership, NodeId, Snapshot, Term } from './types.js'
import type { MembershipTarget } from './confchange.js'
import { proposeMembership, restoredSnapshot } from './membership-change.js'
import { transferLeadership } from './leadership-transfer.js'
import { copyMembership, isJoint } from './membership.js'
import { validateRestored } from './restored-state.js'

export interface RawNodeOptions {
  readonly id: NodeId
  /**
   * The initial voters, INCLUDING id (order irrelevant; a single-node cluster is allowed). Used
   * only while the restored state holds no configuration (no snapshot with one, no
   * configuration entry): afterwards the log decides. `[]` starts a node that joins an existing
   * cluster: it knows no member, never campaigns, and learns the configuration from the
   * leader's log or snapshot.
   */
  readonly peers: readonly NodeId[]
  /** In ticks; validated with validateCoreConfig (ConfigError). */
  readonly config: CoreConfig
  /** From Storage.load(); `{ hardState: EMPTY_HARD_STATE, entries: [] }` for a fresh node. */
  readonly restored: PersistedState
  readonly rng: Rng
  readonly logger?: Logger
}

export class RawNode {
  readonly id: NodeId
  private readonly core: RaftCore
  private readonly logger: Logger
  private prevSoft: SoftState
  private prevHard: HardState

  /** Throws ConfigError for a bad config, peers list or restored state. */
  constructor(options: RawNodeOptions) {
    validateOptions(options)
    this.id = options.id
    this.logger = options.logger ?? silentLogger
    this.core = new RaftCore({ ...options, logger: this.logger })
    this.prevSoft = this.softState()
    this.prevHard = options.restored.hardState
  }

  /** One logical clock tick: election timeout, heartbeats, checkQuorum, snapshot resends. */
  tick(): void {
    this.core.tick()
  }

  /** Starts an election now (through pre-vote when enabled, like an election timeout). */
  campaign(): void {
    this.core.hup()
  }

  /** Appends a command to the leader's log; throws NotLeaderError(leaderHint) elsewhere. */
  propose(data: Uint8Array): { index: Index; term: Term } {
    if (!(data instanceof Uint8Array)) throw new TypeError('propose: data must be a Uint8Array')
    return this.core.propose(data)
  }

  /**
   * Feeds a message from the network. Malformed messages, messages addressed to another node
   * and messages from this node itself are dropped with a warning and change nothing. A sender
   * outside this node's configuration is heard: it may be the leader or a candidate of a newer
   * configuration this node has not received yet (thesis §4.2); replies from non-members are
   * ignored by the core, and votes count only from voters.
   */
  step(message: Message): void {
    let m: Message
    try {
      m = validateMessage(message)
    } catch (err) {
      this.logger.warn('dropping malformed message', { id: this.id, error: (err as Error).message })
      return
    }
    if (m.to !== this.id || m.from === this.id) {
      this.logger.warn('dropping misaddressed message', {
        id: this.id,
        from: m.from,
        to: m.to,
        type: m.type,
      })
      return
    }
    this.core.step(m)
  }

  /**
   * Leader: starts moving the configuration to `target` (voters and learners to end with).
   * Changing learners only appends one configuration entry; changing voters appends the joint
   * configuration, and the leader appends the final one by itself once the joint one commits.
   * Returns where the first entry went. Throws NotLeaderError, TransferInProgressError,
   * ChangeInProgressError (`reason` 'pending', or 'leader-not-ready': the leader appended a
   * noop; retry once an entry of its term is committed), InvalidMembershipError.
   */
  proposeMembership(target: MembershipTarget): { index: Index; term: Term } {
    return proposeMembership(this.core, target)
  }

  /**
   * Leader: hands leadership to voter `to` (thesis §3.10). Proposals are refused until the
   * transfer completes or is abandoned after an election timeout. NotLeaderError on a
   * follower, UnknownNodeError if `to` is not a voter; a no-op for this node itself.
   */
  transferLeadership(to: NodeId): void {
    transferLeadership(this.core, to)
  }

  /**
   * The configuration in effect (the latest in the log), not copied: the same object until the
   * configuration changes, so a caller can tell a change by identity. Do not modify it.
   */
  currentMembership(): Membership {
    return this.core.memberships.current
  }

  /**
   * The latest committed configuration, not copied (as currentMembership): the same object until
   * a later configuration commits or the log is rebased on a snapshot. Do not modify it.
   */
  committedMembership(): Membership {
    return this.core.memberships.at(this.core.log.committed)
  }

  /**
   * The configuration in effect (the latest in the log) and the latest committed one, with
   * the indexes of the entries that hold them (the snapshot index or 0 for an initial one).
   */
  membership(): {
    current: Membership
    currentIndex: Index
    committed: Membership
    committedIndex: Index
  } {
    const { memberships, log } = this.core
    return {
      current: copyMembership(memberships.current),
      currentIndex: memberships.currentIndex,
      committed: copyMembership(memberships.at(log.committed)),
      committedIndex: memberships.indexAt(log.committed),
    }
  }

  /** Term of the entry at `index` if this node's log (or snapshot) has it, else undefined. */
  termAt(index: Index): Term | undefined {
    return this.core.log.term(index)
  }

  /** Leader only (else NotLeaderError). The result appears later in ready().readStates. */
  readIndex(requestId: number): void {
    if (!Number.isSafeInteger(requestId))
      throw new TypeError('readIndex: requestId must be an integer')
    this.core.readIndex(requestId)
  }

  hasReady(): boolean {
    const { core } = this
    const { log } = core
    return (
      core.msgs.length > 0 ||
      core.readStates.length > 0 ||
      core.hasPendingFlush() ||
      log.lastIndex() > log.inProgress ||
      log.pendingSnapshot !== undefined ||
      log.hasNextCommitted() ||
      this.softChanged() ||
      this.hardChanged()
    )
  }

  /** Takes the pending work; entries and committed entries are marked as handed out. */
  ready(): Ready {
    const { core } = this
    const { log } = core
    core.flush()
    // A soft or hard state object is built only when it changed (the previous one stays).
    const softSame = !this.softChanged()
    const hardSame = !this.hardChanged()
    const soft = softSame ? this.prevSoft : this.softState()
    const hard = hardSame ? this.prevHard : this.hardState()
    const entries = log.unstableEntries()
    const snapshot = log.pendingSnapshot
    const committed = log.nextCommitted()
    const termOrVote = hard.term !== this.prevHard.term || hard.votedFor !== this.prevHard.votedFor
    const mustSync = termOrVote || entries.length > 0 || snapshot !== undefined
    const messages = core.msgs
    const readStates = core.readStates
    // The usual Ready (same role and leader, no snapshot) as a plain literal; object spreads
    // cost more than the rest of this method. Same keys, in the same order, either way.
    const rd: Ready =
      softSame && !snapshot
        ? hardSame
          ? { entries, messages, committed, readStates, mustSync }
          : { hardState: hard, entries, messages, committed, readStates, mustSync }
        : {
            ...(softSame ? {} : { softState: soft }),
            ...(hardSame ? {} : { hardState: hard }),
            entries,
            ...(snapshot ? { snapshot } : {}),
            messages,
            committed,
            readStates,
            mustSync,
          }
    core.msgs = []
    core.readStates = []
    if (snapshot) log.acceptSnapshot()
    const lastEntry = entries[entries.length - 1]
    if (lastEntry) log.acceptInProgress(lastEntry.index)
    const lastCommitted = committed[committed.length - 1]
    if (lastCommitted) log.acceptApplying(lastCommitted.index)
    this.prevSoft = soft
    this.prevHard = hard
    return rd
  }

  /**
   * The driver handed `ready`'s snapshot and committed entries to the service. It may do so
   * before the Ready's write completes (committed entries are durable already); from then on
   * the service may compact up to them. advance() implies it.
   */
  advanceApplied(ready: Ready): void {
    const { log } = this.core
    if (ready.snapshot) log.appliedTo(ready.snapshot.meta.index)
    const lastCommitted = ready.committed[ready.committed.length - 1]
    if (lastCommitted) log.appliedTo(lastCommitted.index)
  }

  /**
   * Committed entries and confirmed reads available now, outside a Ready, marked handed out
   * (applied) at once. For a driver whose last Ready's write is still in flight: entries a
   * majority has made durable meanwhile can be applied without waiting for it. While a snapshot
   * received from the leader waits for the next Ready, no entry is taken: the entries after it
   * must reach the service after the snapshot (they come with that Ready). Never call it while
   * a handed-out Ready's snapshot has not been given to the service yet.
   */
  takeApplicable(): { committed: Entry[]; readStates: ReadState[] } {
    const { log } = this.core
    const committed = log.pendingSnapshot === undefined ? log.nextCommitted() : []
    const last = committed[committed.length - 1]
    if (last) {
      log.acceptApplying(last.index)
      log.appliedTo(last.index)
    }
    const readStates = this.core.readStates
    this.core.readStates = []
    return { committed, readStates }
  }

  /** The driver persisted, sent and applied everything in `ready`. */
  advance(ready: Ready): void {
    const { log } = this.core
    if (ready.snapshot) log.appliedTo(ready.snapshot.meta.index)
    // The highest handed-out entry still in our log (a later conflict may have replaced the tail).
    for (let i = ready.entries.length - 1; i >= 0; i--) {
      const e = ready.entries[i]
      if (e && log.matchTerm(e.index, e.term)) {
        log.stableTo(e.index, e.term)
        break
      }
    }
    const lastCommitted = ready.committed[ready.committed.length - 1]
    if (lastCommitted) log.appliedTo(lastCommitted.index)
    // Our own entries just became durable: they now count towards the commit quorum.
    this.core.maybeCommit()
  }

  /** Last index this node's storage holds durably (advance() moves it). */
  durableIndex(): Index {
    return this.core.log.stable
  }

  /**
   * Service-driven snapshot at an applied index: discards the log up to `index`. Returns the
   * Snapshot to persist (Storage.compact). CompactedError if already compacted; RangeError if
   * `index` is not applied yet, or not yet durable here (see durableIndex()).
   */
  compact(index: Index, data: Uint8Array): Snapshot {
    if (!Number.isSafeInteger(index)) throw new RangeError('compact: index must be an integer')
    if (!(data instanceof Uint8Array)) throw new TypeError('compact: data must be a Uint8Array')
    const { memberships } = this.core
    // A node that joined knows no configuration before the first configuration entry it
    // received (the initial one is implicit in the other nodes' peers): such a snapshot says
    // nothing about membership, like one from before membership changes existed.
    const at = memberships.at(index)
    const membership = at.voters.length > 0 ? at : undefined
    const snap = this.core.log.compact(index, data, membership)
    restoredSnapshot(this.core, index, membership, true)
    return snap
  }

  getState(): { term: Term; isLeader: boolean } {
    return { term: this.core.term, isLeader: this.core.role === 'leader' }
  }

  status(): Status {
    const { core } = this
    const { log } = core
    let progress: Record<NodeId, PeerProgress> | undefined
    if (core.role === 'leader') {
      progress = {}
      for (const [peer, pr] of core.progress)
        progress[peer] = { match: pr.match, next: pr.next, state: pr.state }
    }
    const m = core.membership
    return {
      id: this.id,
      role: core.role,
      term: core.term,
      leader: core.leader,
      votedFor: core.votedFor,
      commitIndex: log.committed,
      appliedIndex: log.applied,
      firstIndex: log.firstIndex(),
      lastIndex: log.lastIndex(),
      snapshotIndex: log.snapshotIndex,
      snapshotTerm: log.snapshotTerm,
      membership: copyMembership(m),
      joint: isJoint(m),
      ...(core.leadTransferee !== null ? { leadTransferee: core.leadTransferee } : {}),
      ...(progress ? { progress } : {}),
    }
  }

  /** Entries [lo, hi) currently in the log; CompactedError if lo <= the snapshot index. */
  entries(lo: Index, hi: Index): Entry[] {
    if (lo <= this.core.log.snapshotIndex)
      throw new CompactedError(
        `index ${lo} is compacted (the log starts at ${this.core.log.firstIndex()})`,
      )
    return this.core.log.slice(lo, hi)
  }

  /** Whether softState() differs from the last Ready's (compared without building it). */
  private softChanged(): boolean {
    const { core, prevSoft } = this
    return core.role !== prevSoft.role || core.leader !== prevSoft.leader
  }

  /** Whether hardState() differs from the last Ready's (compared without building it). */
  private hardChanged(): boolean {
    const { core, prevHard } = this
    return (
      core.term !== prevHard.term ||
      core.votedFor !== prevHard.votedFor ||
      core.log.committed !== prevHard.commit
    )
  }

  private softState(): SoftState {
    return { role: this.core.role, leader: this.core.leader }
  }

  private hardState(): HardState {
    return { term: this.core.term, votedFor: this.core.votedFor, commit: this.core.log.committed }
  }
}

function validateOptions(o: RawNodeOptions): void {
  validateCoreConfig(o.config)
  if (typeof o.id !== 'string' || o.id.length === 0)
    throw new ConfigError('id', 'must be a non-empty string')
  if (!Array.isArray(o.peers)) throw new ConfigError('peers', 'must be an array of node ids')
  const joining = o.peers.length === 0
  const peers = new Set<string>()
  for (const p of o.peers) {
    if (typeof p !== 'string' || p.length === 0)
      throw new ConfigError('peers', 'every peer must be a non-empty string')
    if (peers.has(p)) throw new ConfigError('peers', `duplicate peer "${p}"`)
    peers.add(p)
  }
  if (!joining && !peers.has(o.id))
    throw new ConfigError('peers', `must include this node's id "${o.id}" (or be [] to join)`)
  if (o.rng === undefined || typeof o.rng.int !== 'function')
    throw new ConfigError('rng', 'an Rng is required')
  validateRestored(o.restored)
}
