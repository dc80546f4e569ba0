/**
 * The runtime: drives a RawNode with a Clock, a Transport and a Storage, and offers the
 * classic lab interface (start / getState / an ordered apply stream / snapshot / kill).
 *
 * One serial pump turns the core's Ready into effects, always in this order: persist, then
 * send, then hand committed entries to the service, then advance. Messages of a Ready never
 * leave before that Ready's write resolved, so nothing is acknowledged that is not durable —
 * except, with `pipelineLeaderAppends`, a leader's replication messages, which depend on no
 * new term or vote and may overlap the leader's own disk write (the core counts the leader
 * toward a commit only for durable entries).
 * All time goes through the injected Clock, so a run under a SimulatedClock replays exactly.
 */
import type { ApplyMsg } from './apply.js'
import { ApplyQueue } from './apply-queue.js'
import type { Clock, ClockSlot, TimerHandle } from './clock.js'
import { SystemClock } from './clock.js'
import type { RaftConfig } from './config.js'
import { resolveRaftConfig, toCoreConfig } from './config.js'
import {
  ApplyOrderError,
  ConfigError,
  NotLeaderError,
  RaftError,
  StorageError,
  StoppedError,
  TransferInProgressError,
} from './errors.js'
import type { Logger } from './logger.js'
import { silentLogger } from './logger.js'
import type { Message } from './messages.js'
import { RawNode } from './raw-node.js'
import { MembershipWaiters } from './membership-runtime.js'
import type { LeaderNews } from './leader-watch.js'
import {
  addLearnerTarget,
  promoteTarget,
  removeTarget,
  type MembershipTarget,
} from './confchange.js'
import type { Ready } from './ready.js'
import type { Rng } from './rng.js'
import { randomRng } from './rng.js'
import type { Status } from './status.js'
import type { PersistedState, Storage } from './storage.js'
import type { Transport } from './transport.js'
import type { Entry, HardState, Index, Membership, NodeId, Term } from './types.js'

export interface RaftOptions {
  readonly id: NodeId
  /**
   * The initial voters of the cluster, including `id`. Once the log or a snapshot holds a
   * configuration (after the first membership change), that configuration is used instead.
   */
  readonly peers: readonly NodeId[]
  /**
   * Start as a node joining an existing cluster: it knows no member and never campaigns until
   * the leader has sent it a configuration that makes it a voter (add it as a learner, then
   * promote it). `peers` is ignored. With storage that already holds a configuration (a
   * restart), that configuration is used either way.
   */
  readonly join?: boolean
  readonly transport: Transport
  readonly storage: Storage
  /** @default new SystemClock() */
  readonly clock?: Clock
  /** Randomness for election timeouts. @default randomRng() */
  readonly rng?: Rng
  /** @default silentLogger */
  readonly logger?: Logger
  /** Timing and limits; missing fields take DEFAULT_RAFT_CONFIG. */
  readonly config?: Partial<RaftConfig>
}

export interface StartResult {
  /** Index the command will occupy if it commits; -1 when this node is not the leader. */
  readonly index: Index
  readonly term: Term
  readonly isLeader: boolean
}

interface PendingRead {
  readonly term: Term
  readonly resolve: (index: Index) => void
  readonly reject: (error: Error) => void
}

/** The readIndex() calls not yet handed to the core: they share one request and one promise. */
interface ReadBatch {
  readonly promise: Promise<Index>
  readonly resolve: (index: Index) => void
  readonly reject: (error: Error) => void
}

/** Throws ConfigError unless `id` is one of a non-empty list of distinct, non-empty peer ids. */
function validateMembership(id: NodeId, peers: readonly NodeId[], transport: Transport): void {
  if (typeof id !== 'string' || id.length === 0)
    throw new ConfigError('id', 'must be a non-empty string')
  if (!Array.isArray(peers) || peers.length === 0)
    throw new ConfigError('peers', 'must list every member of the cluster, including this node')
  for (const p of peers)
    if (typeof p !== 'string' || p.length === 0)
      throw new ConfigError('peers', `must hold non-empty strings, got ${String(p)}`)
  if (new Set(peers).size !== peers.length)
    throw new ConfigError('peers', 'must not contain duplicates')
  if (!peers.includes(id)) throw new ConfigError('peers', `must include this node's id "${id}"`)
  if (transport.id !== id)
    throw new ConfigError('transport', `belongs to "${transport.id}", not to this node "${id}"`)
}

async function loadState(storage: Storage): Promise<PersistedState> {
  try {
    return await storage.load()
  } catch (error) {
    if (error instanceof RaftError) throw error
    throw new StorageError(`could not load the persisted state: ${String(error)}`, { cause: error })
  }
}

/**
 * The apply messages of committed entries. (A function of its own: a long loop inside a larger
 * method gets optimized on-stack before the code after it has run, then deoptimizes each time.)
 */
function toApplyMsgs(committed: readonly Entry[]): ApplyMsg[] {
  const msgs = new Array<ApplyMsg>(committed.length)
  for (let i = 0; i < committed.length; i++) {
    const e = committed[i] as Entry
    msgs[i] =
      e.kind === 'command'
        ? { kind: 'command', index: e.index, term: e.term, command: e.data }
        : { kind: 'noop', index: e.index, term: e.term }
  }
  return msgs
}

export class Raft {
  readonly id: NodeId
  private readonly peers: ReadonlySet<NodeId>
  private readonly node: RawNode
  private readonly transport: Transport
  private readonly storage: Storage
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly tickMs: number
  private readonly pipelineLeaderAppends: boolean
  /** Term and vote as last written to storage (what a reply may depend on). */
  private durableTerm: Term
  private durableVote: NodeId | null
  /**
   * The newest hard state whose only change was the commit index, not yet written: the commit
   * index is volatile state (Figure 2), so it rides along with the next write that must happen
   * anyway (new entries, term or vote) instead of costing a write of its own.
   */
  private unwrittenHardState: HardState | undefined
  private readonly applyQueue: ApplyQueue
  /** Pending membership changes and leadership transfers, settled as the pump runs. */
  private readonly changes: MembershipWaiters
  private readonly reads = new Map<number, PendingRead>()
  /** Reads asked for since the pump last ran; the pump hands them to the core as one request. */
  private readBatch: ReadBatch | undefined
  private nextReadId = 1
  private tickTimer: TimerHandle | undefined
  private pumpScheduled = false
  private readonly stateListeners: Array<(state: { term: Term; isLeader: boolean }) => void> = []
  /** What the onStateChange listeners were last told (undefined: nothing yet). */
  private lastState: { term: Term; isLeader: boolean } | undefined
  private pumping = false
  private pumpTimer: TimerHandle | undefined
  /** Where an idle tick's pump would have fired (see reservePump). */
  private pumpSlot: ClockSlot | undefined
  /**
   * True while a Ready's write is in flight and that Ready had no snapshot for the service:
   * entries committed meanwhile (durable on a majority) and confirmed reads are handed out as
   * the messages that make them so arrive, without waiting for the write.
   */
  private earlyHandOut = false
  /** Serializes every storage operation (Ready writes and service compactions). */
  private storageChain: Promise<void> = Promise.resolve()
  private stopReason: Error | null = null
  private closing: Promise<void> | null = null

  /**
   * Validates the configuration (ConfigError naming the field), loads the persisted state,
   * and starts the node: it listens on the transport and ticks every `tickMs`.
   */
  static async create(options: RaftOptions): Promise<Raft> {
    const config = resolveRaftConfig(options.config)
    const coreConfig = toCoreConfig(config)
    validateMembership(
      options.id,
      options.join === true ? [options.id] : options.peers,
      options.transport,
    )
    const restored = await loadState(options.storage)
    const logger = options.logger ?? silentLogger
    const node = new RawNode({
      id: options.id,
      peers: options.join === true ? [] : options.peers,
      config: coreConfig,
      restored,
      rng: options.rng ?? randomRng(),
      logger,
    })
    const raft = new Raft(options, node, config, logger, restored)
    raft.begin(restored)
    return raft
  }

  private constructor(
    options: RaftOptions,
    node: RawNode,
    config: RaftConfig,
    logger: Logger,
    restored: PersistedState,
  ) {
    const tickMs = config.tickMs
    this.pipelineLeaderAppends = config.pipelineLeaderAppends
    this.durableTerm = restored.hardState.term
    this.durableVote = restored.hardState.votedFor
    this.id = options.id
    this.peers = new Set(options.peers)
    this.node = node
    this.transport = options.transport
    this.storage = options.storage
    this.clock = options.clock ?? new SystemClock()
    this.logger = logger
    this.tickMs = tickMs
    this.applyQueue = new ApplyQueue(logger, this.clock)
    this.changes = new MembershipWaiters(node, logger, 2 * toCoreConfig(config).electionTicksMax)
  }

  private begin(restored: PersistedState): void {
    // The service restores a persisted snapshot through the same stream as everything else.
    const snap = restored.snapshot
    if (snap)
      this.applyQueue.push({
        kind: 'snapshot',
        index: snap.meta.index,
        term: snap.meta.term,
        snapshot: snap.data,
      })
    this.transport.listen((message) => this.receive(message))
    this.armTick()
    this.schedulePump()
  }

  /** Proposes `command`. Returns at once; never throws. Not a leader (or killed): isLeader false. */
  start(command: Uint8Array): StartResult {
    if (this.stopReason) return { index: -1, term: this.node.getState().term, isLeader: false }
    // A follower refuses at once, without building the NotLeaderError propose() would throw
    // (the lab's clients call start() on every server, so this is the common case).
    const state = this.node.getState()
    if (!state.isLeader && command instanceof Uint8Array)
      return { index: -1, term: state.term, isLeader: false }
    try {
      const { index, term } = this.node.propose(command)
      this.schedulePump()
      return { index, term, isLeader: true }
    } catch (error) {
      if (!(error instanceof NotLeaderError) && !(error instanceof TransferInProgressError))
        this.logger.warn('proposal refused', { error: String(error) })
      return { index: -1, term: this.node.getState().term, isLeader: false }
    }
  }

  getState(): { term: Term; isLeader: boolean } {
    const { term, isLeader } = this.node.getState()
    return { term, isLeader: isLeader && this.stopReason === null }
  }

  /**
   * The ordered stream of committed entries and snapshots. One consumer. Ends after kill(); when
   * a failure stopped the node (StorageError, ApplyOrderError), the iteration throws it.
   */
  applied(): AsyncIterable<ApplyMsg> {
    return this.applyQueue.iterable()
  }

  /**
   * Alternative to applied(): `handler` is called in order, one message at a time; when it
   * returns a promise, the next message waits for it (a synchronous handler costs no promise).
   */
  onApply(handler: (msg: ApplyMsg) => void | Promise<void>): void {
    this.applyQueue.setHandler(handler)
  }

  /** Last index delivered to the service. */
  appliedIndex(): Index {
    return this.applyQueue.appliedIndex
  }

  /**
   * Service-driven compaction: the service's state up to `index` is `data`. Entries up to
   * `index` are discarded. A stale index (at or below the current snapshot) is ignored.
   * Safe to call from inside the apply handler.
   */
  async snapshot(index: Index, data: Uint8Array): Promise<void> {
    if (this.stopReason) throw this.stopReason
    const { snapshotIndex, appliedIndex } = this.node.status()
    if (index <= snapshotIndex) return
    if (!Number.isSafeInteger(index) || index > appliedIndex)
      throw new RangeError(`cannot snapshot at ${index}: only ${appliedIndex} is applied`)
    // An entry may be applied before this node's own write of it completes (it is committed, so
    // on a majority's disks already); compaction waits for that write, which is queued already.
    while (index > this.node.durableIndex()) {
      const before = this.node.durableIndex()
      await this.storageChain
      // Nothing written meanwhile: let the scheduled pump hand the entries out first.
      if (this.node.durableIndex() === before)
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 0))
      const stopped = this.stopReason as Error | null // set meanwhile by kill() or a failure
      if (stopped) throw stopped
    }
    if (index <= this.node.status().snapshotIndex) return
    const snap = this.node.compact(index, data)
    await this.enqueueStorage(() => this.storage.compact(snap))
  }

  /**
   * Resolves with a commit index that is safe to read at once a heartbeat round has confirmed
   * this node's leadership; the caller then waits until appliedIndex() reaches it. Rejects with
   * NotLeaderError (with a leader hint) or StoppedError.
   *
   * Calls made before the pump next runs share one ReadIndex request (one read index, one
   * heartbeat round) and get the same promise: the pump takes the commit index when it hands the
   * batch to the core, after every read of the batch was asked for, so each read still sees
   * every write acknowledged before it began.
   */
  readIndex(): Promise<Index> {
    if (this.stopReason) return Promise.reject(this.stopReason)
    const batch = this.readBatch
    if (batch) return batch.promise
    let resolve!: (index: Index) => void
    let reject!: (error: Error) => void
    const promise = new Promise<Index>((res, rej) => {
      resolve = res
      reject = rej
    })
    this.readBatch = { promise, resolve, reject }
    this.schedulePump()
    return promise
  }

  /** Hands the batched readIndex() calls to the core as one request (see readIndex()). */
  private submitReads(): void {
    const batch = this.readBatch
    if (!batch) return
    this.readBatch = undefined
    const requestId = this.nextReadId++
    try {
      this.node.readIndex(requestId)
    } catch (error) {
      batch.reject(error instanceof Error ? error : new Error(String(error)))
      return
    }
    const term = this.node.getState().term
    this.reads.set(requestId, { term, resolve: batch.resolve, reject: batch.reject })
  }

  // --- membership and leadership (membership-runtime.ts) ---------------------------------------

  /**
   * Leader: moves the cluster to `target` (the voters and learners to end with) through the
   * log: a change of learners is one entry; a change of voters goes through the joint
   * configuration C_old,new, then C_new. Resolves with the new configuration once it is
   * committed. Rejects with NotLeaderError (also when leadership is lost before the change
   * commits: its outcome is then unknown), ChangeInProgressError (one change at a time),
   * InvalidMembershipError, TransferInProgressError, ProposalDroppedError, StoppedError.
   */
  changeMembership(target: MembershipTarget): Promise<Membership> {
    if (this.stopReason) return Promise.reject(this.stopReason)
    const done = this.changes.change(() => target)
    this.schedulePump()
    return done
  }

  /** Adds `id` as a learner: it receives the log (a snapshot first if needed) but never votes. */
  addLearner(id: NodeId): Promise<Membership> {
    return this.changeOf((m) => addLearnerTarget(m, id))
  }

  /** Makes learner `id` a voter (UnknownNodeError unless it is a learner). Let it catch up first. */
  promote(id: NodeId): Promise<Membership> {
    return this.changeOf((m) => promoteTarget(m, id))
  }

  /**
   * Removes voter or learner `id` (UnknownNodeError unless it is one); it may be down. The
   * leader may remove itself: it steps down once the change commits.
   */
  removeNode(id: NodeId): Promise<Membership> {
    return this.changeOf((m) => removeTarget(m, id))
  }

  /**
   * Leader: hands leadership to voter `to` (thesis §3.10): proposals are refused meanwhile
   * (start() returns isLeader false), `to` is brought up to date and told to campaign at once.
   * Resolves once `to` leads; rejects with LeadershipTransferError if it has not taken over
   * within an election timeout (or another node won, or a membership change under way removed
   * or demoted it), NotLeaderError, UnknownNodeError.
   */
  transferLeadership(to: NodeId): Promise<void> {
    if (this.stopReason) return Promise.reject(this.stopReason)
    const done = this.changes.transfer(to)
    this.schedulePump()
    return done
  }

  /**
   * Resolves once this node leads with no leadership transfer under way (`isLeader`: a
   * proposal is accepted here now) or knows another node as the leader (`leader`), or after
   * `timeoutMs` (rounded up to ticks) with what it knows then; at once if either holds now.
   * For a service that holds a request it cannot serve for a moment — while this node hands
   * leadership over, or right after it stepped down — and then serves it or names the new
   * leader, instead of refusing it without one. Never rejects (a stopped node: not leader, null).
   */
  awaitLeader(timeoutMs: number): Promise<LeaderNews> {
    if (this.stopReason) return Promise.resolve({ isLeader: false, leader: null })
    return this.changes.leaders.wait(Math.ceil(timeoutMs / this.tickMs))
  }

  /** The configuration in effect here and the latest committed one (with their entries' indexes). */
  membership(): ReturnType<RawNode['membership']> {
    return this.node.membership()
  }

  /**
   * Calls `listener` whenever the configuration in effect here changes (on append, so it may
   * still be rolled back by a new leader): e.g. to tell the transport new peer addresses.
   */
  onMembershipChange(listener: (membership: Membership) => void): void {
    this.changes.onChange(listener)
  }

  /**
   * Calls `listener` with this node's term and leadership whenever either changes (from the
   * pump, in the event-loop turn that handles the change), and once with isLeader false when a
   * failure stops the node: a service learns it was deposed without polling getState().
   */
  onStateChange(listener: (state: { term: Term; isLeader: boolean }) => void): void {
    this.stateListeners.push(listener)
  }

  /** Tells the onStateChange listeners if the term or leadership differs from what they saw. */
  private notifyState(): void {
    if (this.stateListeners.length === 0) return
    const state = this.getState()
    const last = this.lastState
    if (last && last.term === state.term && last.isLeader === state.isLeader) return
    this.lastState = state
    for (const listener of this.stateListeners) {
      try {
        listener(state)
      } catch (error) {
        this.logger.error('an onStateChange listener threw', { error: String(error) })
      }
    }
  }

  private changeOf(target: (current: Membership) => MembershipTarget): Promise<Membership> {
    if (this.stopReason) return Promise.reject(this.stopReason)
    const done = this.changes.change(() => target(this.node.membership().current))
    this.schedulePump()
    return done
  }

  /** The node's status; once stopped it is a follower that knows no leader (`stopReason` says why). */
  status(): Status {
    const { stopReason } = this
    const status = { ...this.node.status(), appliedIndex: this.applyQueue.appliedIndex }
    if (!stopReason) return status
    const { progress: _progress, leadTransferee: _transferee, ...rest } = status
    return { ...rest, role: 'follower', leader: null, stopReason }
  }

  /** Log entries [lo, hi), for inspection; throws CompactedError below the snapshot. */
  entries(lo: Index, hi: Index): Entry[] {
    return this.node.entries(lo, hi)
  }

  /** Stops the node for good. Idempotent; resolves when transport and storage are closed. */
  kill(): Promise<void> {
    this.stop(new StoppedError())
    return this.closing ?? Promise.resolve()
  }

  // --- inputs -------------------------------------------------------------------------------

  private armTick(): void {
    this.tickTimer = this.clock.setTimeout(() => {
      this.tickTimer = undefined
      if (this.stopReason) return
      this.node.tick()
      this.changes.tick()
      if (this.changes.waiting || this.node.hasReady()) this.schedulePump()
      else this.reservePump()
      this.armTick()
    }, this.tickMs)
  }

  /**
   * Inbound messages. The core validates each one and drops (with a warning) anything malformed
   * or not addressed to this cluster member, so a bad peer cannot change any state.
   */
  private receive(message: Message): void {
    if (this.stopReason) return
    try {
      this.node.step(message)
    } catch (error) {
      this.logger.error('the core failed to handle a message', {
        type: String(message?.type),
        error: String(error),
      })
      return
    }
    if (this.earlyHandOut) {
      try {
        this.handOutApplicable()
      } catch (error) {
        this.fail(error)
        return
      }
    }
    this.schedulePump()
  }

  // --- the pump -----------------------------------------------------------------------------

  /**
   * An idle tick (no election or heartbeat due, nothing waiting to settle) would give the pump
   * nothing to do: instead of a 0-ms timer that fires to find no Ready, take its place in the
   * clock's order (a deterministic clock's reserveSlot), so that a pump asked for later in the
   * same instant runs where this tick's pump would have run. A seeded simulation then replays
   * exactly as with the timer, one empty step fewer per idle tick. Clocks without slots get
   * the timer.
   */
  private reservePump(): void {
    if (this.pumpScheduled || this.pumping || this.stopReason) return
    const slot = this.clock.reserveSlot?.()
    if (slot === undefined) this.schedulePump()
    else this.pumpSlot = slot
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.pumping || this.stopReason) return
    this.pumpScheduled = true
    const slot = this.pumpSlot
    this.pumpSlot = undefined
    // After the I/O callbacks of this event-loop turn, not after the first one: every request,
    // proposal, read and message that arrived together goes into one Ready (one batch of
    // appends, one write, one heartbeat round for all the reads). A 0-ms timer of the clock:
    // SystemClock runs it after this turn's I/O; SimulatedClock at the same simulated time.
    const fire = (): void => {
      this.pumpTimer = undefined
      this.pumpScheduled = false
      void this.pump()
    }
    this.pumpTimer =
      slot !== undefined && this.clock.setTimeoutInSlot
        ? this.clock.setTimeoutInSlot(slot, fire)
        : this.clock.setTimeout(fire, 0)
  }

  /** Handles Readys one at a time until the core has nothing more. Never rejects. */
  private async pump(): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      for (;;) {
        if (this.stopReason) break
        this.submitReads()
        if (!this.node.hasReady()) break
        const rd = this.node.ready()
        if (rd.softState || rd.hardState) this.notifyState()
        // Committed entries are on a majority's disks already (a commit counts only durable
        // copies) and read states depend on nothing this Ready writes: both go to the service
        // before the write (a snapshot from the leader must be stored before the service sees
        // it), and so does whatever becomes applicable while the write is in flight.
        const applyFirst = rd.snapshot === undefined
        if (applyFirst) this.handOut(rd)
        // Messages wait for the write only when they depend on it: a new term, vote or entries.
        const sendFirst = !rd.mustSync || (this.pipelineLeaderAppends && this.mayOverlapWrite(rd))
        if (sendFirst) this.send(rd.messages)
        this.earlyHandOut = applyFirst
        try {
          await this.enqueueStorage(() => this.persist(rd))
        } finally {
          this.earlyHandOut = false
        }
        if (this.stopReason) return
        if (!sendFirst) this.send(rd.messages)
        if (!applyFirst) this.handOut(rd)
        this.node.advance(rd)
        this.changes.check()
      }
    } catch (error) {
      this.fail(error)
    } finally {
      this.pumping = false
      if (!this.stopReason) this.changes.check()
    }
  }

  /**
   * True when this Ready's messages depend on nothing its write makes durable: the node is
   * leader, and the Ready carries no snapshot and no new term or vote.
   */
  private mayOverlapWrite(rd: Ready): boolean {
    if (rd.snapshot || !this.node.getState().isLeader) return false
    const hs = rd.hardState
    return !hs || (hs.term === this.durableTerm && hs.votedFor === this.durableVote)
  }

  private async persist(rd: Ready): Promise<void> {
    if (!rd.mustSync) {
      // Nothing but a new commit index (mustSync covers entries, snapshot, term and vote).
      if (rd.hardState) this.unwrittenHardState = rd.hardState
      return
    }
    const hardState = rd.hardState ?? this.unwrittenHardState
    this.unwrittenHardState = undefined
    await this.storage.write({
      ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
      entries: rd.entries,
      ...(hardState ? { hardState } : {}),
      sync: true,
    })
    if (rd.hardState) {
      this.durableTerm = rd.hardState.term
      this.durableVote = rd.hardState.votedFor
    }
  }

  private send(messages: readonly Message[]): void {
    for (const message of messages) {
      try {
        this.transport.send(message)
      } catch (error) {
        this.logger.error('transport refused a message', {
          type: message.type,
          to: message.to,
          error: String(error),
        })
      }
    }
  }

  /** What became applicable while a write is in flight (see earlyHandOut). */
  private handOutApplicable(): void {
    const { committed, readStates } = this.node.takeApplicable()
    if (committed.length > 0) this.applyQueue.pushAll(toApplyMsgs(committed))
    for (const rs of readStates) {
      this.reads.get(rs.requestId)?.resolve(rs.index)
      this.reads.delete(rs.requestId)
    }
  }

  /** Committed entries (and a snapshot) to the apply stream, read states to their callers. */
  private handOut(rd: Ready): void {
    this.deliver(rd)
    this.node.advanceApplied(rd)
    this.settleReads(rd)
  }

  private deliver(rd: Ready): void {
    if (rd.softState)
      this.logger.info('role changed', { ...rd.softState, term: this.node.getState().term })
    const snap = rd.snapshot
    if (snap)
      this.applyQueue.push({
        kind: 'snapshot',
        index: snap.meta.index,
        term: snap.meta.term,
        snapshot: snap.data,
      })
    if (rd.committed.length === 0) return
    // One array per Ready: the queue hands it to the service without a promise per entry.
    this.applyQueue.pushAll(toApplyMsgs(rd.committed))
  }

  /** Resolves confirmed reads; rejects the rest once leadership or the term is lost. */
  private settleReads(rd: Ready): void {
    for (const rs of rd.readStates) {
      this.reads.get(rs.requestId)?.resolve(rs.index)
      this.reads.delete(rs.requestId)
    }
    if (this.reads.size === 0) return
    const { term, isLeader } = this.node.getState()
    const leader = rd.softState?.leader ?? this.node.status().leader
    for (const [id, read] of this.reads) {
      if (isLeader && read.term === term) continue
      read.reject(new NotLeaderError(isLeader ? null : leader))
      this.reads.delete(id)
    }
  }

  /** Runs storage operations one after another; each fails with the stop reason once stopped. */
  private enqueueStorage(op: () => Promise<void>): Promise<void> {
    const run = this.storageChain.then(() => {
      if (this.stopReason) throw this.stopReason
      return op()
    })
    this.storageChain = run.catch(() => undefined)
    return run
  }

  // --- stopping -----------------------------------------------------------------------------

  /**
   * A storage failure, an apply stream out of order (ApplyOrderError) or an internal error
   * stops the node: it never limps on.
   */
  private fail(error: unknown): void {
    if (this.stopReason) return
    const reason =
      error instanceof StorageError || error instanceof ApplyOrderError
        ? error
        : new StorageError(`the node stopped after a failure: ${String(error)}`, { cause: error })
    this.logger.error('stopping the node', { error: String(error) })
    this.stop(reason)
    this.notifyState()
  }

  private stop(reason: Error): void {
    if (this.stopReason) return
    this.stopReason = reason
    this.clock.clearTimeout(this.tickTimer)
    this.tickTimer = undefined
    this.clock.clearTimeout(this.pumpTimer)
    this.pumpTimer = undefined
    for (const read of this.reads.values()) read.reject(reason)
    this.reads.clear()
    this.readBatch?.reject(reason)
    this.readBatch = undefined
    this.changes.rejectAll(reason)
    // After a failure, an applied() iterator ends with it (after kill(), it just ends).
    this.applyQueue.end(reason instanceof StoppedError ? undefined : reason)
    this.closing = this.closeResources()
  }

  private async closeResources(): Promise<void> {
    const results = await Promise.allSettled([
      this.transport.close(),
      this.storageChain.then(() => this.storage.close()),
    ])
    for (const r of results)
      if (r.status === 'rejected')
        this.logger.warn('error while closing', { error: String(r.reason) })
  }
}
