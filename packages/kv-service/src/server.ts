/**
 * KvServer: the linearizable key/value service on one Raft node.
 *
 * Writes (and session opens) go through the log: `raft.start`, then the server waits until
 * that index is applied. If the entry applied there is not the one it proposed (another term:
 * a new leader overwrote it), if a snapshot jumps over it, or if the node's term moves on
 * before it applies, the write may be lost: the server answers WRONG_LEADER and the clerk
 * retries elsewhere with the same (clientId, seq), which the session table deduplicates.
 *
 * Reads use ReadIndex (Raft §8): `raft.readIndex()` resolves only after the leader has
 * committed an entry in its term and a fresh heartbeat round confirmed it still leads; the
 * server then waits until it has applied that index and reads the map. No leases, no log
 * entry per read. A leader cut off from the majority never confirms, so its reads time out.
 *
 * Leadership changes (issue 13): a request this node cannot serve for a moment — it is handing
 * leadership over (proposals are refused meanwhile), it stepped down and has not heard from its
 * successor, or it takes part in an election (a candidate, or a follower that voted in this
 * term) — is held (at most `maxHeldRequests`; while the transfer lasts, which raft-core bounds
 * by two election timeouts, then `leaderWaitMs`, about one election timeout, from the step-down
 * or its arrival, whichever is later) until the node leads (then it is served here: a transfer
 * aborted, an election won) or knows the leader (then WRONG_LEADER names it, and the clerk
 * retries there at once), so a client is never told "no leader" during a transfer. A
 * pre-candidate (maybe cut off from the majority) does not hold. A held write was never
 * proposed; a write whose entry was in flight when the term moved on is answered once another
 * leader is known (or earlier, when its entry applies here; if this node leads again, when its
 * index applies); a retry of it at the new leader runs at most once (the session table).
 *
 * Snapshots: after each applied entry, when the persisted Raft state has reached
 * `maxRaftState` bytes, the server snapshots the state machine (map + sessions) and calls
 * `raft.snapshot()`. On restart (or when the leader sends one) a 'snapshot' ApplyMsg restores it.
 */
import type {
  ApplyMsg,
  Clock,
  Index,
  LeaderNews,
  Logger,
  Status,
  StorageSize,
  TimerHandle,
  Term,
} from '@raftkit/raft-core'
import type { RaftOptions } from '@raftkit/raft-core'
import {
  DEFAULT_RAFT_CONFIG,
  NotLeaderError,
  Raft,
  StoppedError,
  SystemClock,
  silentLogger,
} from '@raftkit/raft-core'
import { TIMED_OUT, within } from './deadline.js'
import { KvConfigError, MalformedRequestError } from './errors.js'
import { encodeCommand, requestDigest } from './ops.js'
import type { KvCommand, WriteCommand } from './ops.js'
import type { KvRaft } from './raft-api.js'
import type { KvReply, KvRequest } from './rpc.js'
import { validateRequest } from './rpc.js'
import type { KvApplyResult } from './state-machine.js'
import { KvStateMachine, retryAnswer } from './state-machine.js'

export interface KvServerOptions {
  readonly raft: KvRaft
  readonly clock: Clock
  /** Persisted Raft state size; required when `maxRaftState` is set (e.g. `() => storage.size()`). */
  readonly storageSize?: () => StorageSize
  /** Snapshot when the persisted Raft state reaches this many bytes. Unset or -1: never. */
  readonly maxRaftState?: number
  /** How long one request may wait for commit/apply or leadership confirmation. Default 800 ms. */
  readonly requestTimeoutMs?: number
  /** See KvStateMachine. Default 100 000 entries. */
  readonly sessionExpiryEntries?: number
  /**
   * The largest value (UTF-8 bytes) a key may hold: stamped into each write this server
   * proposes, so every replica refuses a put or an append whose result would exceed it
   * (TOO_LARGE). Unset: no limit.
   */
  readonly maxValueBytes?: number
  /**
   * How long a request this node cannot serve for a moment (a leadership transfer under way,
   * it just stepped down, or an election it takes part in, and it knows no leader yet) waits
   * for the leader to be known before it is refused (after the transfer, from the step-down or
   * its arrival, whichever is later). Default: the default minimum election timeout (300 ms); KvServer.start
   * takes the node's `electionTimeoutMinMs` (a transfer is abandoned after that long).
   */
  readonly leaderWaitMs?: number
  /** Most requests held that way at once; beyond, they are refused at once. Default 1024. */
  readonly maxHeldRequests?: number
  readonly logger?: Logger
}

/** What the service counts (GET /v1/status `kv`, metrics). */
export interface KvStats {
  /** Highest log index reflected in the state machine. */
  readonly appliedIndex: Index
  readonly keys: number
  readonly sessions: number
}

/** Everything needed to start a Raft node and the service on it, in one call. */
export type KvServerStartOptions = RaftOptions &
  Omit<KvServerOptions, 'raft' | 'clock' | 'storageSize'> & {
    readonly storageSize?: () => StorageSize
  }

export const DEFAULT_SERVER_REQUEST_TIMEOUT_MS = 800
const DEFAULT_MAX_HELD_REQUESTS = 1024

interface PendingWrite {
  readonly index: Index
  readonly term: Term
  readonly command: Uint8Array
  /** clock.now() past which it is answered TIMEOUT. */
  readonly deadline: number
  readonly settle: (reply: KvReply) => void
}

interface ReadWaiter {
  readonly index: Index
  readonly wake: () => void
}

const STOPPED: KvReply = { ok: false, error: 'STOPPED' }
const TIMEOUT: KvReply = { ok: false, error: 'TIMEOUT' }

export class KvServer {
  readonly stateMachine: KvStateMachine
  private readonly raft: KvRaft
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly storageSize: (() => StorageSize) | undefined
  private readonly maxRaftState: number
  private readonly requestTimeoutMs: number
  private readonly maxValueBytes: number | undefined
  private applied: Index = 0
  /**
   * Writes waiting for their entry, in the order they were proposed, which is also the order of
   * their deadlines (each is requestTimeoutMs after its proposal): one timer, armed for the
   * oldest deadline, answers every overdue write (no timer per write).
   */
  private readonly pending = new Map<Index, PendingWrite>()
  private deadlineTimer: TimerHandle | undefined
  private readonly readers = new Set<ReadWaiter>()
  /** Ends ReadIndex waits on kill (their timers included). */
  private readonly cancels = new Set<() => void>()
  /** The last ReadIndex request reads joined, and what waiting for it came to. */
  private readWait:
    { readonly source: Promise<Index>; readonly failed: Promise<KvReply | undefined> } | undefined
  private snapshotting: Promise<void> | undefined
  private lastSnapshotIndex: Index = 0
  private stopped = false
  private readonly leaderWaitMs: number
  private readonly maxHeldRequests: number
  /** Requests held now (see the class comment). */
  private held = 0
  /** Whether this node led when last told, and when it last stepped down. */
  private leading = false
  private steppedDownAt = -Infinity

  private constructor(options: KvServerOptions) {
    const maxRaftState = options.maxRaftState ?? -1
    if (maxRaftState !== -1 && !(Number.isSafeInteger(maxRaftState) && maxRaftState > 0))
      throw new KvConfigError(
        'maxRaftState',
        'must be a positive number of bytes, or -1 for no snapshots',
      )
    if (maxRaftState > 0 && !options.storageSize)
      throw new KvConfigError('storageSize', 'is required when maxRaftState is set')
    this.requestTimeoutMs = positive(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? DEFAULT_SERVER_REQUEST_TIMEOUT_MS,
    )
    if (
      options.maxValueBytes !== undefined &&
      !(Number.isSafeInteger(options.maxValueBytes) && options.maxValueBytes > 0)
    )
      throw new KvConfigError('maxValueBytes', 'must be a positive integer')
    this.maxValueBytes = options.maxValueBytes
    this.leaderWaitMs = positive(
      'leaderWaitMs',
      options.leaderWaitMs ?? DEFAULT_RAFT_CONFIG.electionTimeoutMinMs,
    )
    const maxHeld = options.maxHeldRequests ?? DEFAULT_MAX_HELD_REQUESTS
    if (!(Number.isSafeInteger(maxHeld) && maxHeld >= 0))
      throw new KvConfigError('maxHeldRequests', 'must be a non-negative integer')
    this.maxHeldRequests = maxHeld
    this.raft = options.raft
    this.clock = options.clock
    this.logger = options.logger ?? silentLogger
    this.storageSize = options.storageSize
    this.maxRaftState = maxRaftState
    this.stateMachine = new KvStateMachine(
      options.sessionExpiryEntries === undefined
        ? {}
        : { sessionExpiryEntries: options.sessionExpiryEntries },
    )
  }

  /** Wraps a Raft node (which the server then owns: kill() kills it). */
  static create(options: KvServerOptions): KvServer {
    const server = new KvServer(options)
    server.raft.onApply((msg) => server.onApply(msg))
    server.raft.onStateChange((state) => server.onStateChange(state))
    return server
  }

  /**
   * Starts a Raft node (`Raft.create`) and the service on it. The persisted snapshot, if any,
   * is restored before anything else is applied. `storageSize` defaults to `storage.size()`.
   */
  static async start(options: KvServerStartOptions): Promise<KvServer> {
    const clock = options.clock ?? new SystemClock()
    const raft = await Raft.create({ ...options, clock })
    try {
      return KvServer.create({
        leaderWaitMs:
          options.config?.electionTimeoutMinMs ?? DEFAULT_RAFT_CONFIG.electionTimeoutMinMs,
        ...options,
        raft,
        clock,
        storageSize: options.storageSize ?? (() => options.storage.size()),
      })
    } catch (e) {
      await raft.kill() // bad service options: do not leave the node running
      throw e
    }
  }

  /**
   * The Raft node's status, for what the node shows (GET /v1/status, redirects, metrics);
   * undefined once the node is stopped.
   */
  raftStatus(): Status | undefined {
    try {
      return this.raft.status()
    } catch {
      return undefined
    }
  }

  /** True while this node's Raft believes it leads and is running (no status object built). */
  isLeader(): boolean {
    try {
      return this.raft.getState().isLeader
    } catch {
      return false
    }
  }

  /** The service's own counters. */
  get stats(): KvStats {
    return {
      appliedIndex: this.applied,
      keys: this.stateMachine.keyCount,
      sessions: this.stateMachine.sessionCount,
    }
  }

  /** Highest log index reflected in the state machine. */
  get appliedIndex(): Index {
    return this.applied
  }

  /** Answers one request from the network; never rejects. */
  async handle(raw: unknown): Promise<KvReply> {
    let request: KvRequest
    try {
      request = validateRequest(raw)
    } catch (e) {
      if (e instanceof MalformedRequestError)
        return { ok: false, error: 'BAD_REQUEST', message: e.message }
      throw e
    }
    switch (request.type) {
      case 'get':
        return this.read(request.key)
      case 'open':
        try {
          // Answers with the session's id (the HTTP API issues ids; here the caller chose it).
          const reply = await this.propose({ op: 'open', clientId: request.clientId })
          return reply.ok ? { ok: true, value: request.clientId } : reply
        } catch (e) {
          return this.unexpected(e)
        }
      case 'put':
      case 'append':
        return this.submitWrite(
          request.type,
          request.key,
          request.value,
          request.clientId,
          request.seq,
        )
    }
  }

  /** A linearizable read of `key` ("" when missing); never rejects. */
  get(key: string): Promise<KvReply> {
    // Called with what a type does not promise (JavaScript callers): the same validation and
    // answer as handle().
    if (typeof key !== 'string') return this.handle({ type: 'get', key })
    return this.read(key)
  }
  /** Writes `value` under `key` at most once per (clientId, seq); never rejects. */
  put(key: string, value: string, clientId: string, seq: number): Promise<KvReply> {
    return this.submitWrite('put', key, value, clientId, seq)
  }
  /** Appends `value` to `key` at most once per (clientId, seq); never rejects. */
  append(key: string, value: string, clientId: string, seq: number): Promise<KvReply> {
    return this.submitWrite('append', key, value, clientId, seq)
  }
  open(clientId: string): Promise<KvReply> {
    return this.handle({ type: 'open', clientId })
  }

  /**
   * Leader: records where node `id` listens (peer and HTTP "host:port") in the replicated
   * address book, or deletes its entry when both are "". Resolves once committed and applied.
   */
  async setAddress(id: string, peer: string, http: string): Promise<KvReply> {
    try {
      return await this.propose({ op: 'addr', id, peer, http })
    } catch (e) {
      this.logger.error('address change failed unexpectedly', { error: String(e) })
      return this.stopped ? STOPPED : TIMEOUT
    }
  }

  /** Stops serving (pending requests get STOPPED), clears every timer, and kills the Raft node. */
  async kill(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    for (const p of [...this.pending.values()]) this.finish(p, STOPPED)
    for (const r of [...this.readers]) r.wake()
    for (const cancel of [...this.cancels]) cancel()
    await this.raft.kill()
    await this.snapshotting
  }

  // ---- reads -------------------------------------------------------------------------------

  /** Never rejects (an unexpected failure answers as handle() does). */
  private async read(key: string, held = false): Promise<KvReply> {
    try {
      if (this.stopped) return STOPPED
      // Reads asked for together share the node's ReadIndex request (the same promise): they
      // also share one deadline timer and one wait for the apply stream.
      const source = this.raft.readIndex()
      let wait = this.readWait
      if (wait?.source !== source) {
        wait = { source, failed: this.confirmRead(source) }
        this.readWait = wait
      }
      const failed = await wait.failed
      if (failed === undefined) return { ok: true, value: this.stateMachine.get(key) }
      if (
        held ||
        !(failed.ok === false && failed.error === 'WRONG_LEADER' && failed.leaderHint === null) ||
        !this.mayHold()
      )
        return failed
      // Just stepped down (a transfer?): wait to name the successor, or read here if we lead.
      const news = await this.hold()
      if (this.stopped) return STOPPED
      return news.isLeader ? this.read(key, true) : wrongLeaderOf(news)
    } catch (e) {
      return this.unexpected(e)
    }
  }

  /**
   * Waits for a ReadIndex request's index and for the state machine to reach it: undefined once
   * a read may answer from the state machine, else the failure to answer with.
   */
  private async confirmRead(source: Promise<Index>): Promise<KvReply | undefined> {
    const started = this.clock.now()
    let index: Index | typeof TIMED_OUT
    const wait = within(this.clock, source, this.requestTimeoutMs)
    this.cancels.add(wait.cancel)
    try {
      index = await wait.result
    } catch (e) {
      return this.failure(e)
    } finally {
      this.cancels.delete(wait.cancel)
    }
    if (index === TIMED_OUT) return this.stopped ? STOPPED : TIMEOUT
    const left = this.requestTimeoutMs - (this.clock.now() - started)
    if (!(await this.waitApplied(index, left))) return this.stopped ? STOPPED : TIMEOUT
    return undefined
  }

  /** True once `index` is applied; false on timeout or kill. */
  private waitApplied(index: Index, ms: number): Promise<boolean> {
    if (this.applied >= index) return Promise.resolve(true)
    return new Promise<boolean>((resolve) => {
      const waiter: ReadWaiter = {
        index,
        wake: () => {
          this.readers.delete(waiter)
          this.clock.clearTimeout(timer)
          resolve(!this.stopped && this.applied >= index)
        },
      }
      const timer = this.clock.setTimeout(waiter.wake, Math.max(0, ms))
      this.readers.add(waiter)
    })
  }

  // ---- writes ------------------------------------------------------------------------------

  /**
   * A put or append (handle, put, append): validated as validateRequest does, then its command
   * is built once — the object the session table is checked with, encoded and proposed — with
   * no promise or async frame of its own between the caller and the wait for its entry.
   */
  private submitWrite(
    op: 'put' | 'append',
    key: string,
    value: string,
    clientId: string,
    seq: number,
  ): Promise<KvReply> {
    if (
      typeof key !== 'string' ||
      typeof value !== 'string' ||
      typeof clientId !== 'string' ||
      clientId.length === 0 ||
      !(typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1)
    )
      return this.handle({ type: op, key, value, clientId, seq }) // its BAD_REQUEST answer
    const max = this.maxValueBytes
    try {
      return this.write(
        max === undefined
          ? { op, key, value, clientId, seq }
          : { op, key, value, clientId, seq, maxValueBytes: max },
      )
    } catch (e) {
      return Promise.resolve(this.unexpected(e))
    }
  }

  private write(cmd: WriteCommand): Promise<KvReply> {
    // Already applied here means already committed: answer from the session table.
    const session = this.stateMachine.session(cmd.clientId)
    if (session && cmd.seq <= session.seq)
      return Promise.resolve(toReply(retryAnswer(session, cmd, requestDigest(cmd))))
    return this.propose(cmd)
  }

  /** What a request that failed for no known reason (a bug) is answered. */
  private unexpected(e: unknown): KvReply {
    this.logger.error('request failed unexpectedly', { error: String(e) })
    return this.stopped ? STOPPED : TIMEOUT
  }

  private propose(cmd: KvCommand): Promise<KvReply> {
    if (this.stopped) return Promise.resolve(STOPPED)
    const command = encodeCommand(cmd)
    let placed: { index: Index; term: Term; isLeader: boolean }
    try {
      placed = this.raft.start(command)
    } catch (e) {
      return Promise.resolve(this.failure(e))
    }
    if (!placed.isLeader)
      return this.mayHold() ? this.holdThenPropose(command) : Promise.resolve(this.wrongLeader())
    return this.awaitApplied(placed, command)
  }

  /** A proposal refused for a moment: held until the leader is known (class comment). */
  private async holdThenPropose(command: Uint8Array): Promise<KvReply> {
    try {
      const news = await this.hold()
      if (this.stopped) return STOPPED
      if (!news.isLeader) return wrongLeaderOf(news)
      let placed: { index: Index; term: Term; isLeader: boolean }
      try {
        placed = this.raft.start(command)
      } catch (e) {
        return this.failure(e)
      }
      return placed.isLeader ? this.awaitApplied(placed, command) : this.wrongLeader()
    } catch (e) {
      return this.unexpected(e)
    }
  }

  /** True when a request this node cannot serve now should wait for the leader to be known. */
  private mayHold(): boolean {
    if (this.stopped || this.held >= this.maxHeldRequests) return false
    return this.holdUntil(this.clock.now()) !== undefined
  }

  /**
   * Until when (clock time) a request that arrived at `arrived` may still wait for the leader
   * to be known: while this node hands leadership over (as long as that lasts); else, if it
   * arrived within leaderWaitMs of this node's step-down, until leaderWaitMs after the later of
   * the two; else, while an election this node takes part in is under way (it is a candidate,
   * or a follower that voted in this term and knows no leader yet: the winner will lead here or
   * be heard of soon), until leaderWaitMs after its arrival. undefined: no reason to wait (it
   * leads and accepts proposals, it knows the leader, or nothing under way here will name one).
   */
  private holdUntil(arrived: number): number | undefined {
    let s: Status
    try {
      s = this.raft.status()
    } catch {
      return undefined
    }
    const now = this.clock.now()
    if (s.role === 'leader')
      return s.leadTransferee === undefined ? undefined : now + this.leaderWaitMs
    if (s.leader !== null) return undefined
    // `leading`: the node stepped down a moment ago and the pump has not told us yet.
    const steppedDownAt = this.leading ? now : this.steppedDownAt
    const until = Math.max(arrived, steppedDownAt) + this.leaderWaitMs
    if (arrived < steppedDownAt + this.leaderWaitMs && until > now) return until
    const voting = s.role === 'candidate' || (s.role === 'follower' && s.votedFor !== null)
    const electionUntil = arrived + this.leaderWaitMs
    return voting && electionUntil > now ? electionUntil : undefined
  }

  /**
   * Waits until the leader is known: while a transfer is under way here (raft-core abandons
   * one within two election timeouts), then until leaderWaitMs after the step-down or the
   * arrival, whichever is later (holdReason).
   */
  private async hold(): Promise<LeaderNews> {
    this.held++
    const arrived = this.clock.now()
    try {
      let news = await this.raft.awaitLeader(this.leaderWaitMs)
      for (;;) {
        if (news.isLeader || news.leader !== null || this.stopped) return news
        const until = this.holdUntil(arrived)
        if (until === undefined) return news
        news = await this.raft.awaitLeader(until - this.clock.now())
      }
    } finally {
      this.held--
    }
  }

  /** Waits for the entry proposed at `placed` to apply (or be lost, or time out). */
  private awaitApplied(
    placed: { index: Index; term: Term },
    command: Uint8Array,
  ): Promise<KvReply> {
    const { index, term } = placed
    return new Promise<KvReply>((resolve) => {
      // A leader that was deposed and re-elected may reuse an index: the older proposal there
      // is certainly gone from its log.
      const previous = this.pending.get(index)
      if (previous) this.finish(previous, this.wrongLeader())
      const deadline = this.clock.now() + this.requestTimeoutMs
      // After finish(previous): a new key, so it goes last, behind every earlier deadline.
      this.pending.set(index, { index, term, command, deadline, settle: resolve })
      if (this.deadlineTimer === undefined) this.armDeadline(deadline)
    })
  }

  private armDeadline(at: number): void {
    this.deadlineTimer = this.clock.setTimeout(
      () => {
        this.deadlineTimer = undefined
        this.expireWrites()
      },
      Math.max(0, at - this.clock.now()),
    )
  }

  /** Answers TIMEOUT to every write past its deadline; re-arms for the oldest one left. */
  private expireWrites(): void {
    const now = this.clock.now()
    // Deleting the current entry while iterating a Map is safe (finish deletes it).
    for (const p of this.pending.values()) {
      if (p.deadline > now) {
        this.armDeadline(p.deadline)
        return
      }
      this.finish(p, TIMEOUT)
    }
  }

  private finish(p: PendingWrite, reply: KvReply): void {
    if (this.pending.get(p.index) === p) this.pending.delete(p.index)
    if (this.pending.size === 0 && this.deadlineTimer !== undefined) {
      this.clock.clearTimeout(this.deadlineTimer)
      this.deadlineTimer = undefined
    }
    p.settle(reply)
  }

  private onStateChange({ term, isLeader }: { term: Term; isLeader: boolean }): void {
    if (this.leading && !isLeader) this.steppedDownAt = this.clock.now()
    this.leading = isLeader
    this.onTermChange(term)
  }

  /**
   * The term moved on: writes proposed in older terms may be gone from the log. They are
   * answered WRONG_LEADER once another leader is known (at once, usually), naming it — unless
   * their entry applies here first, which answers them, or this node leads again (then they
   * wait for their index to apply).
   */
  private onTermChange(term: Term): void {
    if (this.stopped || this.pending.size === 0) return
    const orphans = [...this.pending.values()].filter((p) => p.term < term)
    if (orphans.length === 0) return
    void this.raft.awaitLeader(this.leaderWaitMs).then((news) => {
      // Leading again: the entries may still be in this node's log and commit in its term,
      // which answers them; one overwritten meanwhile is answered when its index applies.
      if (this.stopped || news.isLeader) return
      const reply = wrongLeaderOf(news)
      for (const p of orphans) if (this.pending.get(p.index) === p) this.finish(p, reply)
    })
  }

  // ---- the apply stream --------------------------------------------------------------------

  private onApply(msg: ApplyMsg): void {
    if (this.stopped) return
    if (msg.index <= this.applied) {
      this.logger.warn('ignoring an apply message at or below the applied index', {
        kind: msg.kind,
        index: msg.index,
        applied: this.applied,
      })
      return
    }
    switch (msg.kind) {
      case 'snapshot':
        if (!this.restore(msg.snapshot, msg.index)) return
        break
      case 'noop':
        this.applied = msg.index
        break
      case 'command':
        this.applyCommand(msg.command, msg.index, msg.term)
        break
    }
    this.settleUpTo(msg)
    if (this.readers.size > 0) this.wakeReaders()
    this.maybeSnapshot()
  }

  private applyCommand(command: Uint8Array, index: Index, term: Term): void {
    const result = this.stateMachine.apply(command, index)
    this.applied = index
    if (result.status === 'malformed')
      this.logger.warn('skipped a malformed log entry', { index, error: result.error.message })
    const p = this.pending.get(index)
    if (p && p.term === term && sameBytes(p.command, command)) this.finish(p, toReply(result))
  }

  private restore(snapshot: Uint8Array, index: Index): boolean {
    try {
      this.stateMachine.restore(snapshot)
    } catch (e) {
      this.logger.error('cannot restore a snapshot; keeping the current state', {
        index,
        error: String(e),
      })
      return false
    }
    this.applied = index
    this.lastSnapshotIndex = Math.max(this.lastSnapshotIndex, index)
    return true
  }

  /**
   * Pending writes at or below the applied index that were not answered lost their entry. A
   * write is pending only above the applied index (its entry was appended after everything
   * applied), and every index above it reaches onApply once (a command or a no-op) unless a
   * snapshot jumps over it: so after a command or no-op only a write at that very index can be
   * left, and only a snapshot needs the scan of every pending write.
   */
  private settleUpTo(msg: ApplyMsg): void {
    if (this.pending.size === 0) return
    if (msg.kind !== 'snapshot') {
      const p = this.pending.get(msg.index)
      if (p) this.finish(p, this.wrongLeader())
      return
    }
    // Deleting the current entry while iterating a Map is safe (finish deletes it).
    for (const p of this.pending.values())
      if (p.index <= msg.index) this.finish(p, this.wrongLeader())
  }

  private wakeReaders(): void {
    // wake() deletes the reader from the set, which is safe while iterating it.
    for (const r of this.readers) if (r.index <= this.applied) r.wake()
  }

  private maybeSnapshot(): void {
    if (this.maxRaftState <= 0 || this.snapshotting || !this.storageSize) return
    if (this.applied <= this.lastSnapshotIndex) return
    if (this.storageSize().raftStateBytes < this.maxRaftState) return
    const index = this.applied
    this.snapshotting = this.raft
      .snapshot(index, this.stateMachine.snapshot())
      .then(
        () => {
          this.lastSnapshotIndex = Math.max(this.lastSnapshotIndex, index)
        },
        (e: unknown) => {
          if (!this.stopped) this.logger.warn('snapshot failed', { index, error: String(e) })
        },
      )
      .finally(() => {
        this.snapshotting = undefined
      })
  }

  // ---- replies -----------------------------------------------------------------------------

  private wrongLeader(): KvReply {
    let hint: string | null = null
    try {
      const { id, leader } = this.raft.status()
      hint = leader === id ? null : leader
    } catch {
      hint = null // a killed node may refuse status(); the clerk will try elsewhere
    }
    return { ok: false, error: 'WRONG_LEADER', leaderHint: hint }
  }

  private failure(e: unknown): KvReply {
    if (e instanceof NotLeaderError)
      return {
        ok: false,
        error: 'WRONG_LEADER',
        leaderHint: e.leaderHint ?? this.wrongLeaderHint(),
      }
    if (e instanceof StoppedError || this.stopped) return STOPPED
    this.logger.warn('raft refused a request', { error: String(e) })
    return TIMEOUT
  }

  private wrongLeaderHint(): string | null {
    const reply = this.wrongLeader()
    return reply.ok === false && reply.error === 'WRONG_LEADER' ? reply.leaderHint : null
  }
}

/** WRONG_LEADER naming the leader `news` knows (none when this node leads again). */
function wrongLeaderOf(news: LeaderNews): KvReply {
  return { ok: false, error: 'WRONG_LEADER', leaderHint: news.isLeader ? null : news.leader }
}

function toReply(result: KvApplyResult): KvReply {
  switch (result.status) {
    case 'ok':
      return { ok: true, value: result.value }
    case 'session-expired':
      return { ok: false, error: 'SESSION_EXPIRED' }
    case 'too-large':
      return {
        ok: false,
        error: 'TOO_LARGE',
        message: `the value of key ${JSON.stringify(result.key).slice(0, 200)} would be ${result.bytes === undefined ? 'more than the limit' : `${result.bytes} bytes`}; the limit (limits.maxValueBytes) is ${result.limit}: not executed`,
      }
    case 'conflict':
      return {
        ok: false,
        error: 'CONFLICT',
        message:
          result.seq === result.lastSeq
            ? `seq ${result.seq} of session ${result.clientId} was used by a different request (another op, key or value): not executed`
            : `seq ${result.seq} of session ${result.clientId} is below its last executed seq ${result.lastSeq} (a reused sequence number): not executed`,
      }
    case 'malformed':
      return { ok: false, error: 'BAD_REQUEST', message: result.error.message }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function positive(field: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0))
    throw new KvConfigError(field, `must be positive, got ${String(v)}`)
  return v
}
