/**
 * KvServer: the linearizable key/value service on one Raft node. It answers requests
 * (handle, get, put, append, open, setAddress); its parts, each in its own module:
 * - ApplyStream feeds Raft's apply stream to the state machine and owns the applied index
 *   (apply-stream.ts);
 * - writes (and session opens) go through the log: `raft.start`, then PendingWrites waits until
 *   that index is applied (pending-writes.ts: lost entries, term changes, deadlines);
 * - reads use ReadIndex (Raft §8): ReadIndexWait confirms leadership and waits for the apply
 *   stream, then the server reads the map (read-index.ts);
 * - a request this node cannot serve for a moment during a leadership change is held by
 *   LeaderWait until the leader is known (leader-wait.ts, issue 13);
 * - Snapshotter snapshots the state machine when the persisted Raft state reaches
 *   `maxRaftState` bytes (snapshotter.ts); ApplyStream restores one from a 'snapshot' ApplyMsg.
 * Options and their validation: server-options.ts; the replies they share: replies.ts.
 */
import type { Index, Logger, Status, Term } from '@raftkit/raft-core'
import { DEFAULT_RAFT_CONFIG, Raft, SystemClock, silentLogger } from '@raftkit/raft-core'
import { ApplyStream } from './apply-stream.js'
import { MalformedRequestError } from './errors.js'
import { LeaderWait } from './leader-wait.js'
import { encodeCommand, requestDigest } from './ops.js'
import type { KvCommand, WriteCommand } from './ops.js'
import { PendingWrites } from './pending-writes.js'
import type { KvRaft } from './raft-api.js'
import { ReadIndexWait } from './read-index.js'
import {
  STOPPED,
  TIMEOUT,
  refusalReply,
  toReply,
  wrongLeaderOf,
  wrongLeaderReply,
} from './replies.js'
import type { KvReply, KvRequest } from './rpc.js'
import { validateRequest } from './rpc.js'
import { serverSettings } from './server-options.js'
import type { KvServerOptions, KvServerStartOptions } from './server-options.js'
import { Snapshotter } from './snapshotter.js'
import { KvStateMachine, retryAnswer } from './state-machine.js'

export { DEFAULT_SERVER_REQUEST_TIMEOUT_MS } from './server-options.js'
export type { KvServerOptions, KvServerStartOptions } from './server-options.js'

/** What the service counts (GET /v1/status `kv`, metrics). */
export interface KvStats {
  /** Highest log index reflected in the state machine. */
  readonly appliedIndex: Index
  readonly keys: number
  readonly sessions: number
}

export class KvServer {
  readonly stateMachine: KvStateMachine
  private readonly raft: KvRaft
  private readonly logger: Logger
  private readonly maxValueBytes: number | undefined
  private readonly writes: PendingWrites
  private readonly reads: ReadIndexWait
  private readonly leaderWait: LeaderWait
  private readonly snapshots: Snapshotter
  private readonly applyStream: ApplyStream
  private stopped = false

  private constructor(options: KvServerOptions) {
    const settings = serverSettings(options)
    this.maxValueBytes = settings.maxValueBytes
    const { raft, clock } = options
    this.raft = raft
    this.logger = options.logger ?? silentLogger
    this.stateMachine = new KvStateMachine(
      options.sessionExpiryEntries === undefined
        ? {}
        : { sessionExpiryEntries: options.sessionExpiryEntries },
    )
    const { requestTimeoutMs, leaderWaitMs } = settings
    const stopped = (): boolean => this.stopped
    const wrongLeader = (): KvReply => this.wrongLeader()
    this.writes = new PendingWrites({
      raft,
      clock,
      requestTimeoutMs,
      leaderWaitMs,
      stopped,
      wrongLeader,
    })
    const applied = (): Index => this.applyStream.applied
    const failure = (e: unknown): KvReply => this.failure(e)
    this.reads = new ReadIndexWait({ raft, clock, requestTimeoutMs, applied, stopped, failure })
    const { maxHeldRequests } = settings
    this.leaderWait = new LeaderWait({ raft, clock, leaderWaitMs, maxHeldRequests, stopped })
    this.snapshots = new Snapshotter({
      raft,
      storageSize: options.storageSize,
      maxRaftState: settings.maxRaftState,
      stateSnapshot: () => this.stateMachine.snapshot(),
      stopped,
      logger: this.logger,
    })
    this.applyStream = new ApplyStream({
      stateMachine: this.stateMachine,
      writes: this.writes,
      reads: this.reads,
      snapshots: this.snapshots,
      logger: this.logger,
      stopped,
    })
  }

  /** Wraps a Raft node (which the server then owns: kill() kills it). */
  static create(options: KvServerOptions): KvServer {
    const server = new KvServer(options)
    server.raft.onApply((msg) => server.applyStream.onApply(msg))
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
   * undefined if the port's status() throws (RaftApi allows it once the node is killed; raft-core's
   * Raft keeps answering, with `stopReason` set once it has stopped).
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
      appliedIndex: this.applyStream.applied,
      keys: this.stateMachine.keyCount,
      sessions: this.stateMachine.sessionCount,
    }
  }

  /** Highest log index reflected in the state machine. */
  get appliedIndex(): Index {
    return this.applyStream.applied
  }

  /** The term of the entry at appliedIndex. */
  get appliedTerm(): Term {
    return this.applyStream.appliedTerm
  }

  /**
   * Undefined once a linearizable read may answer from the state machine here (ReadIndex
   * confirmed, applied up to it), else the refusal; never rejects (GET /v1/admin/backup).
   */
  async readBarrier(): Promise<KvReply | undefined> {
    if (this.stopped) return STOPPED
    try {
      return await this.reads.confirm()
    } catch (e) {
      return this.unexpected(e)
    }
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
        return this.get(request.key)
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
    return new Promise((resolve) => this.getThen(key, resolve))
  }

  /**
   * get() for a caller that takes the answer in a callback (the HTTP API): no promise or async
   * frame of its own per read. Calls `done` once (possibly at once); `done` must not throw.
   */
  getThen(key: string, done: (reply: KvReply) => void): void {
    // Called with what a type does not promise (JavaScript callers): the same validation and
    // answer as handle().
    if (typeof key !== 'string') {
      void this.handle({ type: 'get', key }).then(done)
      return
    }
    if (this.stopped) return done(STOPPED)
    let confirmed: Promise<KvReply | undefined>
    try {
      confirmed = this.reads.confirm()
    } catch (e) {
      return done(this.unexpected(e))
    }
    confirmed.then(
      (failed) => {
        if (failed === undefined) done({ ok: true, value: this.stateMachine.get(key) })
        else void this.afterRefusedRead(key, failed).then(done)
      },
      (e: unknown) => done(this.unexpected(e)),
    )
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
    this.writes.stop()
    this.reads.stop()
    await this.raft.kill()
    await this.snapshots.inFlight
  }

  // ---- reads -------------------------------------------------------------------------------

  /**
   * A read refused with `failed`: answered so, unless this node has just stepped down (a
   * transfer?) and may hold it — then it waits to name the successor, or reads here once more
   * if this node leads again. Never rejects (an unexpected failure answers as handle() does).
   */
  private async afterRefusedRead(key: string, failed: KvReply): Promise<KvReply> {
    try {
      if (
        !(failed.ok === false && failed.error === 'WRONG_LEADER' && failed.leaderHint === null) ||
        !this.leaderWait.mayHold()
      )
        return failed
      const news = await this.leaderWait.hold()
      if (this.stopped) return STOPPED
      if (!news.isLeader) return wrongLeaderOf(news)
      const again = await this.reads.confirm()
      return again ?? { ok: true, value: this.stateMachine.get(key) }
    } catch (e) {
      return this.unexpected(e)
    }
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
      return this.leaderWait.mayHold()
        ? this.holdThenPropose(command)
        : Promise.resolve(this.wrongLeader())
    return this.writes.awaitApplied(placed, command)
  }

  /** A proposal refused for a moment: held until the leader is known (leader-wait.ts). */
  private async holdThenPropose(command: Uint8Array): Promise<KvReply> {
    try {
      const news = await this.leaderWait.hold()
      if (this.stopped) return STOPPED
      if (!news.isLeader) return wrongLeaderOf(news)
      let placed: { index: Index; term: Term; isLeader: boolean }
      try {
        placed = this.raft.start(command)
      } catch (e) {
        return this.failure(e)
      }
      return placed.isLeader ? this.writes.awaitApplied(placed, command) : this.wrongLeader()
    } catch (e) {
      return this.unexpected(e)
    }
  }

  private onStateChange({ term, isLeader }: { term: Term; isLeader: boolean }): void {
    this.leaderWait.noteLeadership(isLeader)
    this.writes.onTermChange(term)
  }

  // ---- replies -----------------------------------------------------------------------------

  private wrongLeader(): KvReply {
    return wrongLeaderReply(this.raft)
  }

  private failure(e: unknown): KvReply {
    return refusalReply(e, this.raft, this.stopped, this.logger)
  }
}
