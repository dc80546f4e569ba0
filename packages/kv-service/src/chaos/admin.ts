/**
 * The nodes' HTTP API as the chaos driver and the multi-process tests use it: GET /v1/status to
 * find the leader, POST /v1/admin/faults (with the cluster secret) to partition and heal.
 */
import type { ClusterConfig } from '../index.js'
import { readClientTls } from '../index.js'
import type { FaultRequest, NodeStatus } from '../http/protocol.js'
import { oneShotExchange } from '../http/one-shot.js'
import type { OneShotScheme } from '../http/one-shot.js'

export type { FaultRequest, NodeStatus }

export interface LeaderInfo {
  readonly id: string
  readonly term: number
}

/** `https` with the CA to trust (the cluster file's `tls`), or plain `http`. */
type Scheme = OneShotScheme

export class ClusterAdmin {
  readonly ids: readonly string[]
  private readonly http = new Map<string, string>()
  private readonly scheme: Scheme

  constructor(private readonly config: ClusterConfig) {
    this.ids = config.nodes.map((n) => n.id)
    const tls = readClientTls(config)
    this.scheme = tls ? { secure: true, ...(tls.ca ? { ca: tls.ca } : {}) } : { secure: false }
    for (const n of config.nodes) this.http.set(n.id, `${n.http.host}:${n.http.port}`)
  }

  /** HTTP address ("host:port") of a node. */
  address(id: string): string {
    const a = this.http.get(id)
    if (a === undefined) throw new Error(`unknown node ${JSON.stringify(id)}`)
    return a
  }

  /** The node's status, or undefined when it does not answer in time. */
  async status(id: string, timeoutMs = 500): Promise<NodeStatus | undefined> {
    try {
      const a = await oneShotExchange(this.scheme, this.address(id), 'GET', '/v1/status', timeoutMs)
      return a.status === 200 ? (JSON.parse(a.body) as NodeStatus) : undefined
    } catch {
      return undefined
    }
  }

  async statuses(ids = this.ids, timeoutMs = 500): Promise<Map<string, NodeStatus | undefined>> {
    const all = await Promise.all(ids.map(async (id) => [id, await this.status(id, timeoutMs)]))
    return new Map(all as [string, NodeStatus | undefined][])
  }

  /** The node that says it leads, in the highest term any node reports leading in. */
  async leader(ids = this.ids, timeoutMs = 500): Promise<LeaderInfo | undefined> {
    let best: LeaderInfo | undefined
    for (const s of (await this.statuses(ids, timeoutMs)).values())
      if (s?.role === 'leader' && (!best || s.term > best.term)) best = { id: s.id, term: s.term }
    return best
  }

  /**
   * Polls until a node among `ids` leads (in a term above `afterTerm`, when given). Bounded:
   * rejects after `timeoutMs`.
   */
  async waitForLeader(
    timeoutMs: number,
    options: { ids?: readonly string[]; afterTerm?: number; signal?: AbortSignal } = {},
  ): Promise<LeaderInfo> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      options.signal?.throwIfAborted()
      const l = await this.leader(options.ids ?? this.ids)
      if (l && (options.afterTerm === undefined || l.term > options.afterTerm)) return l
      await delay(150)
    }
    throw new Error(
      `no leader${options.ids ? ` among ${options.ids.join(', ')}` : ''} within ${timeoutMs} ms`,
    )
  }

  /** POST /v1/admin/faults on one node; rejects with the node's message when it refuses. */
  async faults(id: string, plan: FaultRequest, timeoutMs = 1000): Promise<void> {
    const a = await oneShotExchange(
      this.scheme,
      this.address(id),
      'POST',
      '/v1/admin/faults',
      timeoutMs,
      JSON.stringify(plan),
      { 'raftkit-secret': this.config.secret },
    )
    if (a.status !== 200) throw new Error(`faults on ${id}: HTTP ${a.status}: ${a.body.trim()}`)
  }

  /**
   * Cuts every link between the groups: each node blocks the nodes outside its group. Blocking
   * on either end cuts a link, so a node that cannot be told (down, paused) is still cut off by
   * the others. Returns the nodes that could not be told.
   */
  async partition(groups: readonly (readonly string[])[]): Promise<string[]> {
    const failed: string[] = []
    await Promise.all(
      groups.flatMap((group) =>
        group.map(async (id) => {
          const others = this.ids.filter((x) => !group.includes(x))
          try {
            await this.faults(id, { heal: true, block: others })
          } catch {
            failed.push(id)
          }
        }),
      ),
    )
    return failed
  }

  /** Removes every fault on the given nodes; returns the nodes that could not be told. */
  async heal(ids = this.ids): Promise<string[]> {
    const failed: string[] = []
    await Promise.all(
      ids.map(async (id) => {
        try {
          await this.faults(id, { heal: true })
        } catch {
          failed.push(id)
        }
      }),
    )
    return failed
  }
}

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, Math.max(0, ms))
    signal?.addEventListener('abort', done, { once: true })
  })
}
