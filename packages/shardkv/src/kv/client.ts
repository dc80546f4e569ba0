/**
 * The clerk of the sharded service: routes each key to the group that serves its shard in its
 * cached configuration, tries that group's servers (the last one that answered first), and on a
 * wrong-group answer — or when no server of the group answers — refreshes its configuration
 * from the controller and tries again. Retries with the same (clientId, seq), so a write runs
 * at most once even when it is retried at another group after a migration. Requests carry the
 * session's stamp (`since`, the clock at creation): if the session expired in the shard while
 * a write was being retried, the write is refused (`ShardKvRequestError` SESSION_EXPIRED: it
 * may or may not have run) and the clerk continues in a new session.
 */
import type { Clock, Rng } from '@raftkit/raft-core'
import { createRng } from '@raftkit/raft-core'
import type { Gid, ShardConfig } from '../common.js'
import { EMPTY_CONFIG, key2shard, serversOf } from '../common.js'
import { CtrlerClient } from '../ctrler/client.js'
import type { ShardRpc } from '../rpc.js'
import { isPermanentRpcFailure } from '../rpc.js'
import type { ShardKvReply } from './commands.js'

export interface ShardKvClientOptions {
  readonly rpc: ShardRpc
  readonly ctrlers: readonly string[]
  readonly clock: Clock
  /** This clerk's endpoint name. */
  readonly name: string
  readonly rng?: Rng
  /** @default 500 */
  readonly rpcTimeoutMs?: number
  /** Pause before refreshing the configuration. @default 100 */
  readonly retryPauseMs?: number
  /**
   * A session's stamp (`since`), taken when a session starts: must grow across the sessions
   * of all clients (wall-clock ms). @default `performance.timeOrigin + clock.now()` (epoch ms
   * with the real clock; a fixed offset plus simulated time with a SimulatedClock)
   */
  readonly sessionStamp?: () => number
}

/** A request the service refused for good (malformed, or a seq reused for another request). */
export class ShardKvRequestError extends Error {
  override readonly name = 'ShardKvRequestError'
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`)
  }
}

export class ShardKvClient {
  private id: string
  private since: number
  private config: ShardConfig = EMPTY_CONFIG
  private seq = 0
  private readonly leaders = new Map<Gid, number>()
  private readonly ctrler: CtrlerClient
  private readonly rng: Rng
  private closed = false

  constructor(private readonly o: ShardKvClientOptions) {
    const rng = o.rng ?? createRng(Date.now() & 0x7fffffff)
    this.ctrler = new CtrlerClient({
      rpc: o.rpc,
      servers: o.ctrlers,
      clock: o.clock,
      name: o.name,
      rng: rng.fork(),
    })
    this.rng = rng
    this.id = this.newId()
    this.since = this.stamp()
  }

  /** The current session's client id (a new one after SESSION_EXPIRED). */
  get clientId(): string {
    return this.id
  }

  /** The cached configuration. */
  get cachedConfig(): ShardConfig {
    return this.config
  }

  get(key: string): Promise<string> {
    return this.op('get', key, '')
  }

  async put(key: string, value: string): Promise<void> {
    await this.op('put', key, value)
  }

  async append(key: string, value: string): Promise<void> {
    await this.op('append', key, value)
  }

  /** Stops retrying: pending operations reject. */
  close(): void {
    this.closed = true
    this.ctrler.close()
  }

  private async op(op: 'get' | 'put' | 'append', key: string, value: string): Promise<string> {
    const seq = ++this.seq
    const request = { type: 'op', op, key, value, clientId: this.id, seq, since: this.since }
    for (;;) {
      if (this.closed) throw new Error('ShardKvClient closed')
      const gid = this.config.shards[key2shard(key)] as Gid
      const servers = serversOf(this.config, gid)
      const first = this.leaders.get(gid) ?? 0
      let permanentCount = 0
      for (let i = 0; i < servers.length; i++) {
        const at = (first + i) % servers.length
        let reply: ShardKvReply
        try {
          reply = (await this.o.rpc.call(
            this.o.name,
            servers[at] as string,
            request,
            this.o.rpcTimeoutMs ?? 500,
          )) as ShardKvReply
        } catch (e) {
          // Every server of the group refuses in a way retrying does not fix: stop and say so.
          if (isPermanentRpcFailure(e) && ++permanentCount === servers.length) throw e
          continue
        }
        if (reply.ok) {
          this.leaders.set(gid, at)
          return reply.value ?? ''
        }
        if (reply.error === 'WRONG_GROUP') break
        if (reply.error === 'BAD_REQUEST' || reply.error === 'CONFLICT')
          throw new ShardKvRequestError(reply.error, reply.message)
        if (reply.error === 'SESSION_EXPIRED') {
          this.renew()
          throw new ShardKvRequestError(
            'SESSION_EXPIRED',
            `the session expired while ${op} ${key} was retried: it may or may not have run`,
          )
        }
      }
      if (this.closed) throw new Error('ShardKvClient closed')
      await this.o.clock.sleep(this.o.retryPauseMs ?? 100)
      this.config = await this.ctrler.query(-1)
    }
  }

  private newId(): string {
    return `${this.o.name}-${this.rng.int(0x7fffffff).toString(36)}${this.rng.int(0x7fffffff).toString(36)}`
  }

  private stamp(): number {
    return Math.floor(this.o.sessionStamp?.() ?? performance.timeOrigin + this.o.clock.now())
  }

  /** A new session: a new id, stamped now, from seq 1. */
  private renew(): void {
    this.id = this.newId()
    this.since = this.stamp()
    this.seq = 0
  }
}
