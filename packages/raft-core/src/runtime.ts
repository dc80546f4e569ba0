/**
 * The runtime: drives a RawNode with a Clock, a Transport and a Storage, and offers the
 * classic lab interface (start / getState / an ordered apply stream / snapshot / kill), reads
 * (readIndex), membership changes and leadership transfer. This file is the public face and
 * the node's life (create, stop); the parts it wires together each have a module of their own:
 * the Ready pump (runtime-pump.ts), the storage chain (runtime-storage.ts), readIndex batching
 * (runtime-reads.ts), membership and transfer promises (membership-runtime.ts, leader-watch.ts),
 * the apply stream (apply-queue.ts) and the options' checks (runtime-options.ts).
 */
import type { ApplyMsg } from './apply.js'
import { ApplyQueue } from './apply-queue.js'
import type { Clock } from './clock.js'
import { SystemClock } from './clock.js'
import type { RaftConfig } from './config.js'
import { resolveRaftConfig, toCoreConfig } from './config.js'
import {
  ApplyOrderError,
  NotLeaderError,
  StorageError,
  StoppedError,
  TransferInProgressError,
} from './errors.js'
import type { Logger } from './logger.js'
import { silentLogger } from './logger.js'
import { RawNode } from './raw-node.js'
import { MembershipWaiters } from './membership-runtime.js'
import type { LeaderNews } from './leader-watch.js'
import {
  addLearnerTarget,
  promoteTarget,
  removeTarget,
  type MembershipTarget,
} from './confchange.js'
import { randomRng } from './rng.js'
import { ReadyPump } from './runtime-pump.js'
import { ReadRequests } from './runtime-reads.js'
import { loadState, validatePeers, type RaftOptions, type StartResult } from './runtime-options.js'
import { RuntimeStorage } from './runtime-storage.js'
import type { Status } from './status.js'
import type { PersistedState } from './storage.js'
import type { Transport } from './transport.js'
import type { Entry, Index, Membership, NodeId, Term } from './types.js'

export class Raft {
  readonly id: NodeId
  private readonly peers: ReadonlySet<NodeId>
  private readonly node: RawNode
  private readonly transport: Transport
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly tickMs: number
  /** The storage chain: Ready writes and service compactions, one after another. */
  private readonly storage: RuntimeStorage
  private readonly applyQueue: ApplyQueue
  /** Pending membership changes and leadership transfers, settled as the pump runs. */
  private readonly changes: MembershipWaiters
  /** readIndex() calls: the batch being gathered and the requests the core is confirming. */
  private readonly reads: ReadRequests
  private readonly pump: ReadyPump
  private readonly stateListeners: Array<(state: { term: Term; isLeader: boolean }) => void> = []
  /** What the onStateChange listeners were last told (undefined: nothing yet). */
  private lastState: { term: Term; isLeader: boolean } | undefined
  private stopReason: Error | null = null
  private closing: Promise<void> | null = null

  /**
   * Validates the configuration (ConfigError naming the field), loads the persisted state,
   * and starts the node: it listens on the transport and ticks every `tickMs`.
   */
  static async create(options: RaftOptions): Promise<Raft> {
    const config = resolveRaftConfig(options.config)
    const coreConfig = toCoreConfig(config)
    validatePeers(
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
    raft.pump.start(restored.snapshot)
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
    this.id = options.id
    this.peers = new Set(options.peers)
    this.node = node
    this.transport = options.transport
    this.storage = new RuntimeStorage(options.storage, restored, () => this.stopReason)
    this.clock = options.clock ?? new SystemClock()
    this.logger = logger
    this.tickMs = tickMs
    this.applyQueue = new ApplyQueue(logger, this.clock)
    this.changes = new MembershipWaiters(node, logger, 2 * toCoreConfig(config).electionTicksMax)
    this.reads = new ReadRequests(node, () => this.pump.schedulePump())
    this.pump = new ReadyPump({
      node,
      transport: this.transport,
      storage: this.storage,
      clock: this.clock,
      logger,
      tickMs,
      pipelineLeaderAppends: config.pipelineLeaderAppends,
      applyQueue: this.applyQueue,
      reads: this.reads,
      changes: this.changes,
      notifyState: () => this.notifyState(),
      stopReason: () => this.stopReason,
      fail: (error) => this.fail(error),
    })
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
      this.pump.schedulePump()
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
      await this.storage.idle
      // Nothing written meanwhile: let the scheduled pump hand the entries out first.
      if (this.node.durableIndex() === before)
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 0))
      const stopped = this.stopReason as Error | null // set meanwhile by kill() or a failure
      if (stopped) throw stopped
    }
    if (index <= this.node.status().snapshotIndex) return
    const snap = this.node.compact(index, data)
    await this.storage.compact(snap)
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
    return this.reads.join()
  }

  // --- membership and leadership (membership-runtime.ts) ---------------------------------------

  /**
   * Leader: moves the cluster to `target` (the voters and learners to end with) through the
   * log: a change of learners is one entry; a change of voters goes through the joint
   * configuration C_old,new, then C_new. Resolves with the new configuration once it is
   * committed. Rejects with NotLeaderError (also when leadership is lost before the change
   * commits, even if a new leader overwrote its entry here: its outcome is then unknown),
   * ChangeInProgressError (one change at a time), InvalidMembershipError,
   * TransferInProgressError, StoppedError.
   */
  changeMembership(target: MembershipTarget): Promise<Membership> {
    if (this.stopReason) return Promise.reject(this.stopReason)
    const done = this.changes.change(() => target)
    this.pump.schedulePump()
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
   * leader may remove itself: it refuses new commands once the final configuration is
   * appended, and hands leadership to a caught-up voter and steps down once it commits.
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
    this.pump.schedulePump()
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
   * Calls `listener` with the configuration in effect here whenever it changes (on append, so it
   * may still be rolled back by a new leader), and whenever the latest committed configuration
   * changes: e.g. to tell the transport new peer addresses. A node removed by a configuration
   * not yet committed still leads or follows until it commits, so keep talking to the members of
   * both (`membership()` has them).
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

  /**
   * Tells the onStateChange listeners if the term or leadership differs from what they saw. A
   * listener that kills the node ends the round: the listeners after it are not told.
   */
  private notifyState(): void {
    if (this.stateListeners.length === 0) return
    const state = this.getState()
    const last = this.lastState
    if (last && last.term === state.term && last.isLeader === state.isLeader) return
    this.lastState = state
    const stopped = this.stopReason
    for (const listener of this.stateListeners) {
      try {
        listener(state)
      } catch (error) {
        this.logger.error('an onStateChange listener threw', { error: String(error) })
      }
      if (this.stopReason !== stopped) return
    }
  }

  private changeOf(target: (current: Membership) => MembershipTarget): Promise<Membership> {
    if (this.stopReason) return Promise.reject(this.stopReason)
    const done = this.changes.change(() => target(this.node.membership().current))
    this.pump.schedulePump()
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

  /**
   * Stops the node for good. Idempotent; resolves when transport and storage are closed. May be
   * called from the node's own listeners: once it returns, nothing more is sent, written, told
   * or delivered (runtime-kill-rules.spec.ts).
   */
  kill(): Promise<void> {
    this.stop(new StoppedError())
    return this.closing ?? Promise.resolve()
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
    this.pump.cancelTimers()
    this.reads.rejectAll(reason)
    this.changes.stop(reason)
    // After a failure, an applied() iterator ends with it (after kill(), it just ends).
    this.applyQueue.end(reason instanceof StoppedError ? undefined : reason)
    this.closing = this.closeResources()
  }

  private async closeResources(): Promise<void> {
    const results = await Promise.allSettled([this.transport.close(), this.storage.close()])
    for (const r of results)
      if (r.status === 'rejected')
        this.logger.warn('error while closing', { error: String(r.reason) })
  }
}
