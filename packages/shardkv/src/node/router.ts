/**
 * `ShardRouter`: how a node answers a client's get/put/append for any key, whichever group
 * serves it. It keeps one cached configuration for the whole node, sends the operation to the
 * group that owns the key's shard (a replica on this node first: no network hop; then the
 * group's last leader, then the others), and on WRONG_GROUP — or when no replica answers —
 * refreshes the configuration from the controller (one refresh at a time for all requests) and
 * tries again, until the request's deadline. The caller's (clientId, seq) is passed through
 * unchanged, so a forwarded write retried anywhere runs at most once.
 */
import type { Clock } from '@raftkit/raft-core'
import type { Gid, ShardConfig } from '../common.js'
import { EMPTY_CONFIG, key2shard, serversOf } from '../common.js'
import type { CtrlerClient } from '../ctrler/client.js'
import type { ShardRpc } from '../rpc.js'
import type { OpRequest, ShardKvReply } from '../kv/commands.js'
import { parseEndpoint } from '../net/rpc-protocol.js'

export interface ShardRouterOptions {
  readonly rpc: ShardRpc
  readonly ctrler: CtrlerClient
  readonly clock: Clock
  /** This node's id: its own replicas are tried first. */
  readonly self: string
  /** Per-attempt RPC timeout. @default 1000 */
  readonly attemptTimeoutMs?: number
  /** Pause before refreshing the configuration. @default 50 */
  readonly retryPauseMs?: number
}

export type RouteReply = ShardKvReply | { readonly ok: false; readonly error: 'TIMEOUT' }

export class ShardRouter {
  private current: ShardConfig = EMPTY_CONFIG
  private readonly leaders = new Map<Gid, string>()
  private refreshing: Promise<void> | undefined
  private closed = false

  constructor(private readonly o: ShardRouterOptions) {}

  /** The cached configuration (refreshed on demand). */
  get config(): ShardConfig {
    return this.current
  }

  close(): void {
    this.closed = true
  }

  /** Fetches the latest configuration (shared by concurrent callers). */
  refresh(timeoutMs = 1000): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const next = await withTimeout(this.o.ctrler.tryQuery(-1), timeoutMs, this.o.clock)
        if (next && next.num >= this.current.num) this.current = next
      } finally {
        this.refreshing = undefined
      }
    })()
    return this.refreshing
  }

  async route(request: OpRequest, deadlineMs: number): Promise<RouteReply> {
    const until = this.o.clock.now() + deadlineMs
    const left = (): number => until - this.o.clock.now()
    const attempt = this.o.attemptTimeoutMs ?? 1000
    if (this.current.num === 0) await this.refresh(Math.min(attempt, left()))
    while (!this.closed && left() > 0) {
      const gid = this.current.shards[key2shard(request.key)] as Gid
      for (const server of this.order(gid)) {
        if (left() <= 0) break
        let reply: ShardKvReply
        try {
          reply = (await this.o.rpc.call(
            this.o.self,
            server,
            request,
            Math.min(attempt, left()),
          )) as ShardKvReply
        } catch {
          continue
        }
        if (
          reply.ok ||
          reply.error === 'BAD_REQUEST' ||
          reply.error === 'CONFLICT' ||
          reply.error === 'SESSION_EXPIRED'
        ) {
          if (reply.ok) this.leaders.set(gid, server)
          return reply
        }
        if (reply.error === 'WRONG_GROUP') break
      }
      if (left() <= 0 || this.closed) break
      await this.o.clock.sleep(Math.min(this.o.retryPauseMs ?? 50, left()))
      if (left() > 0) await this.refresh(Math.min(attempt, left()))
    }
    return { ok: false, error: 'TIMEOUT' }
  }

  /** The group's servers: the last leader first, then those on this node, then the rest. */
  private order(gid: Gid): string[] {
    const servers = [...serversOf(this.current, gid)]
    const leader = this.leaders.get(gid)
    const rank = (s: string): number =>
      s === leader ? 0 : parseEndpoint(s)?.node === this.o.self ? 1 : 2
    return servers.sort((a, b) => rank(a) - rank(b))
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, clock: Clock): Promise<T | null> {
  let timer: ReturnType<Clock['setTimeout']> | undefined
  const t = new Promise<null>((resolve) => (timer = clock.setTimeout(() => resolve(null), ms)))
  try {
    return await Promise.race([p, t])
  } finally {
    clock.clearTimeout(timer)
  }
}
