/**
 * `ShardKvHttpClient`: the application's client of a sharded cluster over HTTP. It caches the
 * configuration (`GET /v1/shard/config` from any node it knows), sends each operation to a
 * node that hosts a replica of the key's group (saving the forwarding hop; the node that
 * answered last for that group first), and on no answer tries the group's other nodes, then
 * any node (every node forwards), refreshing the configuration between rounds. Writes carry a
 * session id (POST /v1/sessions) and a sequence number, reused on every retry, so a write runs
 * at most once even when it is retried at another node or after its shard moved (if the session
 * expired in the shard meanwhile, the write is refused with OutcomeUnknownError and the next
 * write opens a new session). One
 * operation at a time per client (as the lab's clerk); use one client per concurrent worker.
 */
import type { HttpKvRpc, KvReply, KvRequest } from '@raftkit/kv-service'
import { BadRequestError, OutcomeUnknownError, RequestConflictError } from '@raftkit/kv-service'
import { TimeoutError } from '@raftkit/raft-core'
import type { Gid, ShardConfig } from '../common.js'
import { EMPTY_CONFIG, key2shard, serversOf } from '../common.js'
import { parseEndpoint } from '../net/rpc-protocol.js'
import { CONFIG_PATH } from './http-api.js'

export interface ShardKvHttpClientOptions {
  /** The nodes' HTTP API (endpoint name = node id, as in the cluster file). */
  readonly rpc: HttpKvRpc
  /** Overall limit of one operation, retries included. @default 10 000 */
  readonly deadlineMs?: number
  /** One attempt on one node. @default 2000 */
  readonly attemptTimeoutMs?: number
}

export class ShardKvHttpClient {
  private config: ShardConfig = EMPTY_CONFIG
  private clientId: string | undefined
  private seq = 0
  private readonly lastNode = new Map<Gid, string>()
  private closed = false

  constructor(private readonly o: ShardKvHttpClientOptions) {}

  /** The cached configuration. */
  get cachedConfig(): ShardConfig {
    return this.config
  }

  close(): void {
    this.closed = true
  }

  async get(key: string): Promise<string> {
    return this.run({ type: 'get', key })
  }

  async put(key: string, value: string): Promise<void> {
    await this.write('put', key, value)
  }

  async append(key: string, value: string): Promise<void> {
    await this.write('append', key, value)
  }

  /** Fetches the configuration from the first node that answers. */
  async refresh(timeoutMs = 2000): Promise<ShardConfig> {
    for (const node of this.o.rpc.servers) {
      try {
        const c = (await this.o.rpc.getJson(node, CONFIG_PATH, timeoutMs)) as ShardConfig
        if (c && typeof c.num === 'number' && c.num >= this.config.num) this.config = c
        return this.config
      } catch {
        continue
      }
    }
    return this.config
  }

  private async write(op: 'put' | 'append', key: string, value: string): Promise<void> {
    if (this.clientId === undefined) {
      const id = await this.run({ type: 'open', clientId: '' })
      this.clientId ??= id
    }
    const clientId = this.clientId
    try {
      await this.run({ type: op, key, value, clientId, seq: ++this.seq })
    } catch (e) {
      if (e instanceof OutcomeUnknownError && this.clientId === clientId) {
        this.clientId = undefined
        this.seq = 0
      }
      throw e
    }
  }

  private async run(request: KvRequest): Promise<string> {
    const deadline = Date.now() + (this.o.deadlineMs ?? 10_000)
    const left = (): number => deadline - Date.now()
    const attempt = this.o.attemptTimeoutMs ?? 2000
    if (this.config.num === 0 && request.type !== 'open')
      await this.refresh(Math.min(attempt, left()))
    while (!this.closed && left() > 0) {
      const gid = request.type === 'open' ? 0 : (this.config.shards[key2shard(request.key)] ?? 0)
      for (const node of this.order(gid)) {
        if (left() <= 0 || this.closed) break
        let reply: KvReply
        try {
          reply = await this.o.rpc.call('client', node, request, Math.min(attempt, left()))
        } catch (e) {
          if (e instanceof TimeoutError) continue
          throw e
        }
        if (reply.ok) {
          if (gid !== 0) this.lastNode.set(gid, node)
          return reply.value
        }
        if (reply.error === 'CONFLICT') throw new RequestConflictError(reply.message)
        if (reply.error === 'SESSION_EXPIRED' && request.type !== 'get' && request.type !== 'open')
          throw new OutcomeUnknownError(request.clientId)
        if (reply.error === 'BAD_REQUEST' || reply.error === 'TOO_LARGE')
          throw new BadRequestError(reply.message)
      }
      if (left() <= 0 || this.closed) break
      await new Promise((r) => setTimeout(r, Math.min(50, left())))
      await this.refresh(Math.min(attempt, Math.max(1, left())))
    }
    throw new TimeoutError(`no answer within the deadline (${this.o.deadlineMs ?? 10_000} ms)`)
  }

  /** Nodes to try: the group's last good node, the group's nodes, then every other node. */
  private order(gid: Gid): string[] {
    const all = this.o.rpc.servers
    const hosts = serversOf(this.config, gid)
      .map((s) => parseEndpoint(s)?.node)
      .filter((n): n is string => n !== undefined && all.includes(n))
    const last = this.lastNode.get(gid)
    const first = last !== undefined ? [last] : []
    return [...new Set([...first, ...hosts, ...all])]
  }
}
