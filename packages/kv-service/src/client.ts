/**
 * KvClient, the "clerk": finds the leader and remembers it, follows leader hints, retries on
 * timeouts and wrong-leader answers with backoff, and never gives up silently — it retries
 * until the operation succeeds, the optional per-operation deadline passes (TimeoutError), or
 * the client is closed (StoppedError).
 *
 * Writes run in a session (see state-machine.ts): the clerk opens it before its first write,
 * numbers its writes 1, 2, 3, ... and reuses the number across retries, so a write is applied
 * at most once. Operations of one clerk run one at a time, in call order (the session's
 * sequence numbers require it); use several clerks for concurrency.
 */
import type { Clock, Logger, Rng, TimerHandle } from '@raftkit/raft-core'
import { StoppedError, TimeoutError, randomRng, silentLogger } from '@raftkit/raft-core'
import type { BackoffOptions } from './backoff.js'
import { Backoff } from './backoff.js'
import {
  BadRequestError,
  KvConfigError,
  MalformedRequestError,
  OutcomeUnknownError,
  RequestConflictError,
} from './errors.js'
import type { KvReply, KvRequest, KvRpcNetwork } from './rpc.js'

export interface KvClientOptions {
  /** Names of the servers on `rpc` (their Raft node ids). */
  readonly servers: readonly string[]
  readonly rpc: KvRpcNetwork
  readonly clock: Clock
  /** Seeds the default client id and the backoff jitter. Default: randomly seeded. */
  readonly rng?: Rng
  /**
   * The session id to ask for; must be unique among clients. Default: random from `rng`. A
   * network that issues ids itself (HttpKvRpc: the server's POST /v1/sessions; WsKvRpc: its
   * OPEN request) replaces it with the issued one; `clientId` tells the id in use.
   */
  readonly clientId?: string
  /** This clerk's endpoint name on `rpc`. Default: the client id. */
  readonly name?: string
  /** How long one attempt on one server may take before trying another. Default 1000 ms. */
  readonly requestTimeoutMs?: number
  /** Pause between rounds of failed attempts. */
  readonly backoff?: Partial<BackoffOptions>
  /** Overall time limit of each operation (then TimeoutError). Default: none, retry forever. */
  readonly deadlineMs?: number
  readonly logger?: Logger
}

export interface OperationOptions {
  /** Overrides the client's `deadlineMs` for this operation. */
  readonly deadlineMs?: number
}

export const DEFAULT_CLIENT_REQUEST_TIMEOUT_MS = 1000

type Outcome =
  { readonly reply: KvReply & { ok: true } } | { readonly expired: true; readonly attempts: number }

export class KvClient {
  readonly name: string
  private readonly servers: readonly string[]
  private readonly rpc: KvRpcNetwork
  private readonly clock: Clock
  private readonly rng: Rng
  private readonly logger: Logger
  private readonly requestTimeoutMs: number
  private readonly deadlineMs: number | undefined
  private readonly backoff: Backoff
  private readonly baseId: string
  private generation = 0
  private id: string
  private sessionOpen = false
  private seq = 0
  /** The server to try before the list: the one that last answered, or a hint. */
  private leader: string | null = null
  /** True while `leader` is only a hint (it has not answered this clerk yet). */
  private hinted = false
  /** The next server of the list (round robin). */
  private cursor = 0
  private queue: Promise<unknown> = Promise.resolve()
  private closed = false
  private sleeping: { handle: TimerHandle; wake: () => void } | undefined
  /** Rejects the attempt under way (at most one: operations run one at a time). */
  private interrupt: ((e: Error) => void) | undefined

  constructor(options: KvClientOptions) {
    if (options.servers.length === 0)
      throw new KvConfigError('servers', 'must name at least one server')
    const timeout = options.requestTimeoutMs ?? DEFAULT_CLIENT_REQUEST_TIMEOUT_MS
    if (!(timeout > 0)) throw new KvConfigError('requestTimeoutMs', 'must be positive')
    if (options.deadlineMs !== undefined && !(options.deadlineMs > 0))
      throw new KvConfigError('deadlineMs', 'must be positive')
    if (options.clientId !== undefined && options.clientId.length === 0)
      throw new KvConfigError('clientId', 'must be a non-empty string')
    this.servers = [...options.servers]
    this.rpc = options.rpc
    this.clock = options.clock
    this.rng = options.rng ?? randomRng()
    this.logger = options.logger ?? silentLogger
    this.requestTimeoutMs = timeout
    this.deadlineMs = options.deadlineMs
    this.backoff = new Backoff(options.backoff ?? {}, this.rng)
    this.baseId = options.clientId ?? randomId(this.rng)
    this.id = this.baseId
    this.name = options.name ?? this.baseId
    this.cursor = this.rng.int(this.servers.length)
  }

  /** The current session id (changes when an expired session is replaced). */
  get clientId(): string {
    return this.id
  }

  /** The server this clerk believes is the leader, if any. */
  get knownLeader(): string | null {
    return this.leader
  }

  /** The value of `key` ("" when missing), linearizable. */
  get(key: string, options?: OperationOptions): Promise<string> {
    return this.serialize(async (deadline) => {
      const outcome = await this.send({ type: 'get', key }, deadline)
      if ('reply' in outcome) return outcome.reply.value
      throw new MalformedRequestError('a server answered SESSION_EXPIRED to a get')
    }, options)
  }

  put(key: string, value: string, options?: OperationOptions): Promise<void> {
    return this.serialize((deadline) => this.write('put', key, value, deadline), options)
  }

  append(key: string, value: string, options?: OperationOptions): Promise<void> {
    return this.serialize((deadline) => this.write('append', key, value, deadline), options)
  }

  /** Stops retrying: operations under way and queued reject with StoppedError. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.interrupt?.(new StoppedError('the client was closed'))
    if (this.sleeping) {
      this.clock.clearTimeout(this.sleeping.handle)
      this.sleeping.wake()
      this.sleeping = undefined
    }
  }

  private serialize<T>(
    fn: (deadline: number | undefined) => Promise<T>,
    options?: OperationOptions,
  ): Promise<T> {
    const limit = options?.deadlineMs ?? this.deadlineMs
    const run = async (): Promise<T> => {
      if (this.closed) throw new StoppedError('the client was closed')
      return fn(limit === undefined ? undefined : this.clock.now() + limit)
    }
    const result = this.queue.then(run)
    this.queue = result.catch(() => undefined)
    return result
  }

  private async write(
    op: 'put' | 'append',
    key: string,
    value: string,
    deadline: number | undefined,
  ): Promise<void> {
    for (;;) {
      if (!this.sessionOpen) await this.openSession(deadline)
      const seq = ++this.seq
      const outcome = await this.send({ type: op, key, value, clientId: this.id, seq }, deadline)
      if ('reply' in outcome) return
      const expiredId = this.id
      this.renewSession()
      // Only when this was the first attempt can no earlier copy of the write have executed;
      // then it is safe to run it again in the new session.
      if (outcome.attempts > 1) throw new OutcomeUnknownError(expiredId)
      this.logger.info('session expired; retrying in a new session', {
        old: expiredId,
        new: this.id,
      })
    }
  }

  private async openSession(deadline: number | undefined): Promise<void> {
    const outcome = await this.send({ type: 'open', clientId: this.id }, deadline)
    if (!('reply' in outcome))
      throw new MalformedRequestError('a server answered SESSION_EXPIRED to an open')
    // Over HTTP the server issues the id (unguessable); in-process the requested one comes back.
    if (outcome.reply.value.length > 0) this.id = outcome.reply.value
    this.sessionOpen = true
    this.seq = 0
  }

  private renewSession(): void {
    this.generation++
    this.id = `${this.baseId}.${this.generation}`
    this.sessionOpen = false
  }

  /** Tries servers until one answers with a value (or session-expired); see the class comment. */
  private async send(request: KvRequest, deadline: number | undefined): Promise<Outcome> {
    let attempts = 0
    let sinceBackoff = 0
    for (;;) {
      const timeout = this.attemptTimeout(deadline)
      const target = this.leader ?? (this.servers[this.cursor] as string)
      attempts++
      sinceBackoff++
      const reply = await this.attempt(target, request, timeout)
      if (reply?.ok) {
        this.leader = target
        this.hinted = false
        this.backoff.reset()
        return { reply }
      }
      if (reply?.error === 'SESSION_EXPIRED') return { expired: true, attempts }
      if (reply?.error === 'BAD_REQUEST' || reply?.error === 'TOO_LARGE')
        throw new BadRequestError(reply.message)
      if (reply?.error === 'CONFLICT') throw new RequestConflictError(reply.message)
      const hint = reply?.error === 'WRONG_LEADER' ? reply.leaderHint : null
      this.redirect(target, hint)
      if (sinceBackoff >= this.servers.length) {
        // A whole round failed (maybe no leader yet): pause before the next round.
        sinceBackoff = 0
        await this.pause(deadline)
      }
    }
  }

  /** One call; null when no reply came back (lost, unreachable, too slow). */
  private async attempt(
    target: string,
    request: KvRequest,
    timeoutMs: number,
  ): Promise<KvReply | null> {
    try {
      // Settles with the call, or with StoppedError when close() interrupts it. (No race with
      // a shared "closing" promise: each race would leave a reaction on it until close.)
      return await new Promise<KvReply>((resolve, reject) => {
        this.interrupt = reject
        this.rpc.call(this.name, target, request, timeoutMs).then(resolve, reject)
      })
    } catch (e) {
      if (e instanceof TimeoutError) return null
      throw e
    } finally {
      this.interrupt = undefined
    }
  }

  /**
   * After a failed attempt at `failed`: the list goes on past it (when it is the list's current
   * server), and its hint is followed, unless `failed` was itself reached by a hint. So at most
   * one hint is followed between two servers of the list: stale hints of removed or cut-off
   * nodes (naming each other, or a node that knows no leader) cannot keep the clerk from the
   * rest of the list (TestMembershipChurnPartitionUnreliableLinearizable3A seed 575).
   */
  private redirect(failed: string, hint: string | null): void {
    const wasHint = this.leader === failed && this.hinted
    if (this.servers[this.cursor] === failed) this.cursor = (this.cursor + 1) % this.servers.length
    if (!wasHint && hint !== null && hint !== failed && this.servers.includes(hint)) {
      this.leader = hint
      this.hinted = true
      return
    }
    this.leader = null
  }

  private attemptTimeout(deadline: number | undefined): number {
    if (this.closed) throw new StoppedError('the client was closed')
    if (deadline === undefined) return this.requestTimeoutMs
    const left = deadline - this.clock.now()
    if (left <= 0)
      throw new TimeoutError(
        'the operation did not complete before its deadline; its outcome is unknown (a later read tells)',
      )
    return Math.min(this.requestTimeoutMs, left)
  }

  private async pause(deadline: number | undefined): Promise<void> {
    let ms = this.backoff.next()
    if (deadline !== undefined) ms = Math.min(ms, Math.max(0, deadline - this.clock.now()))
    await new Promise<void>((resolve) => {
      const handle = this.clock.setTimeout(() => {
        this.sleeping = undefined
        resolve()
      }, ms)
      this.sleeping = { handle, wake: resolve }
    })
  }
}

function randomId(rng: Rng): string {
  const part = (): string => rng.int(0x7fffffff).toString(16).padStart(8, '0')
  return `kv-${part()}${part()}`
}
