/**
 * The controller's clerk: Join / Leave / Move / Query against the controller replicas, trying
 * them in turn until one (the leader) answers, retrying forever as the lab's clerk does.
 * Join/Leave/Move carry a (clientId, seq) pair, so a retried request runs at most once.
 */
import type { Clock, Rng } from '@raftkit/raft-core'
import { createRng } from '@raftkit/raft-core'
import type { Gid, ShardConfig } from '../common.js'
import type { ShardRpc } from '../rpc.js'
import { isPermanentRpcFailure } from '../rpc.js'
import type { CtrlerReply, CtrlerRequest } from './commands.js'

export interface CtrlerClientOptions {
  readonly rpc: ShardRpc
  /** Endpoint names of the controller replicas. */
  readonly servers: readonly string[]
  readonly clock: Clock
  /** This clerk's endpoint name. */
  readonly name: string
  /** Seeds the client id. */
  readonly rng?: Rng
  /** @default 500 */
  readonly rpcTimeoutMs?: number
  /** Pause after a full round of servers without an answer. @default 100 */
  readonly retryPauseMs?: number
  /**
   * The session's stamp (`since`), taken at creation: must grow across clerks (wall-clock ms).
   * @default `performance.timeOrigin + clock.now()`
   */
  readonly sessionStamp?: () => number
}

export const SESSION_EXPIRED_MESSAGE =
  "this clerk's session expired in the controller (idle for shard.sessionExpiryEntries entries of its log): the request was not run now, and whether an earlier attempt of it ran is unknown; query the configuration and use a new clerk"

/** A request the controller refused for good (bad arguments, conflicting seq, unknown gid). */
export class CtrlerRequestError extends Error {
  override readonly name = 'CtrlerRequestError'
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`)
  }
}

/** The clerk was closed while a request was being retried. */
export class CtrlerClosedError extends Error {
  override readonly name = 'CtrlerClosedError'
  constructor() {
    super('the controller clerk is closed')
  }
}

export class CtrlerClient {
  readonly clientId: string
  /** The session's stamp, sent with every Join/Leave/Move. */
  readonly since: number
  private seq = 0
  private leader = 0
  private closed = false
  /** The last round's failure when every replica failed in a way retrying does not fix. */
  private permanent: Error | undefined
  private readonly o: CtrlerClientOptions

  constructor(options: CtrlerClientOptions) {
    this.o = options
    const rng = options.rng ?? createRng(Date.now() & 0x7fffffff)
    this.clientId = `${options.name}-${rng.int(0x7fffffff).toString(36)}${rng.int(0x7fffffff).toString(36)}`
    this.since = Math.floor(
      options.sessionStamp?.() ?? performance.timeOrigin + options.clock.now(),
    )
  }

  /** Configuration `num`; -1 (or past the end): the latest. */
  async query(num = -1): Promise<ShardConfig> {
    const r = await this.call({ op: 'query', num })
    return r as ShardConfig
  }

  /** One round over the replicas; null when none answered. */
  async tryQuery(num: number): Promise<ShardConfig | null> {
    const r = await this.round({ op: 'query', num })
    return r === undefined ? null : r
  }

  async join(groups: Readonly<Record<number, readonly string[]>>): Promise<void> {
    const list = Object.keys(groups)
      .map(Number)
      .sort((a, b) => a - b)
      .map((g) => [g, [...(groups[g] as readonly string[])]] as const)
    await this.call({ op: 'join', groups: list, ...this.session() })
  }

  async leave(gids: readonly Gid[]): Promise<void> {
    await this.call({ op: 'leave', gids: [...gids], ...this.session() })
  }

  async move(shard: number, gid: Gid): Promise<void> {
    await this.call({ op: 'move', shard, gid, ...this.session() })
  }

  private session(): { clientId: string; seq: number; since: number } {
    return { clientId: this.clientId, seq: ++this.seq, since: this.since }
  }

  /** Stops retrying: pending and later calls reject with CtrlerClosedError. */
  close(): void {
    this.closed = true
  }

  private async call(req: CtrlerRequest): Promise<ShardConfig | null> {
    for (;;) {
      if (this.closed) throw new CtrlerClosedError()
      const r = await this.round(req)
      if (r !== undefined) return r
      if (this.permanent) throw this.permanent
      await this.o.clock.sleep(this.o.retryPauseMs ?? 100)
    }
  }

  /** Tries each replica once, starting at the last leader; undefined if none answered ok. */
  private async round(req: CtrlerRequest): Promise<ShardConfig | null | undefined> {
    const n = this.o.servers.length
    let permanentCount = 0
    this.permanent = undefined
    for (let i = 0; i < n && !this.closed; i++) {
      const at = (this.leader + i) % n
      let reply: CtrlerReply
      try {
        reply = (await this.o.rpc.call(
          this.o.name,
          this.o.servers[at] as string,
          req,
          this.o.rpcTimeoutMs ?? 500,
        )) as CtrlerReply
      } catch (e) {
        if (isPermanentRpcFailure(e) && ++permanentCount === n) this.permanent = e
        continue
      }
      if (reply.ok) {
        this.leader = at
        return reply.config
      }
      if (
        reply.error === 'BAD_REQUEST' ||
        reply.error === 'CONFLICT' ||
        reply.error === 'UNKNOWN_GROUP' ||
        reply.error === 'SESSION_EXPIRED'
      )
        throw new CtrlerRequestError(reply.error, reply.message)
    }
    return undefined
  }
}
