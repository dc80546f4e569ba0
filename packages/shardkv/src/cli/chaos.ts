/**
 * `raftkit chaos` against a sharded cluster: the plugin kv-service's chaos monkey loads at run
 * time (`shardChaos`, see kv-service src/chaos/sharded.ts). It reads the sharded cluster file,
 * finds every group's leader from the nodes' `/v1/status`, joins the first groups before the
 * workload, draws a migration (join, leave or move) from each `migrate` fault step, and waits
 * after the repair until every shard has settled on its group.
 */
import type {
  FaultStep,
  LeaderInfo,
  ShardedChaosCluster,
  ShardedChaosPlugin,
} from '@raftkit/kv-service/chaos'
import type { HttpKvRpc } from '@raftkit/kv-service'
import type { Gid, ShardConfig } from '../common.js'
import { NSHARDS, gidsOf } from '../common.js'
import type { CtrlerClient } from '../ctrler/client.js'
import type { HttpShardRpc } from '../net/rpc-http-client.js'
import { kvRpcOf, shardRpcOf } from './clients.js'
import { ctrlerCall } from './ctrler-call.js'
import { endpointName, groupIdOf } from '../net/rpc-protocol.js'
import type { ShardCluster } from '../node/cluster-file.js'
import { initShardCluster, loadShardCluster } from '../node/cluster-file.js'
import type { NodeView } from './render.js'
import { statusOfNodes } from './render.js'

/** How long one controller operation of the monkey may take (the clerk retries inside). */
const CTRLER_DEADLINE_MS = 10_000

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function pick<T>(list: readonly T[], draw: number): T | undefined {
  return list[Math.min(list.length - 1, Math.floor(draw * list.length))]
}

class ChaosShardCluster implements ShardedChaosCluster {
  migrations = 0
  private readonly rpc: HttpShardRpc
  private readonly kvRpc: HttpKvRpc
  private readonly gids: readonly Gid[]

  constructor(private readonly cluster: ShardCluster) {
    this.rpc = shardRpcOf(cluster)
    this.kvRpc = kvRpcOf(cluster)
    this.gids = cluster.shard.groups.map((g) => g.gid)
  }

  get config(): ShardCluster['config'] {
    return this.cluster.config
  }

  /** One controller operation with a fresh clerk, given up after CTRLER_DEADLINE_MS. */
  private ctrler<T>(fn: (c: CtrlerClient) => Promise<T>): Promise<T> {
    return ctrlerCall(this.rpc, this.cluster, 'chaos', CTRLER_DEADLINE_MS, fn)
  }

  private join(gid: Gid): Promise<void> {
    const spec = this.cluster.shard.groups.find((g) => g.gid === gid)
    const servers = (spec?.nodes ?? []).map((n) => endpointName(groupIdOf(gid), n))
    return this.ctrler((c) => c.join({ [gid]: servers }))
  }

  async leaders(timeoutMs = 500): Promise<Map<string, LeaderInfo>> {
    const out = new Map<string, LeaderInfo>()
    for (const v of await statusOfNodes(this.kvRpc, timeoutMs))
      for (const [group, g] of Object.entries(v.status?.groups ?? {})) {
        const best = out.get(group)
        if (g.role === 'leader' && (!best || g.term > best.term))
          out.set(group, { id: v.node, term: g.term })
      }
    return out
  }

  async prepare(say: (line: string) => void, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + 60_000
    let latest: ShardConfig | undefined
    while (!latest) {
      signal?.throwIfAborted()
      latest = await this.ctrler((c) => c.query(-1)).catch((e: unknown) => {
        if (Date.now() > deadline) throw e
        return undefined
      })
    }
    if (latest.groups.length === 0) {
      // Every group but the last serves at first: the last is there for a join to bring in.
      for (const gid of this.gids.slice(0, Math.max(1, this.gids.length - 1))) {
        await this.join(gid)
        say(`shard join ${gid}`)
      }
    }
    const unsettled = await this.settle(Math.max(1000, deadline - Date.now()))
    if (unsettled !== undefined) throw new Error(`the first groups did not settle: ${unsettled}`)
    const config = await this.ctrler((c) => c.query(-1))
    say(`configuration ${config.num}: shards on ${config.shards.join(' ')}`)
  }

  async migrate(step: FaultStep): Promise<string> {
    let what = 'shard query'
    try {
      const current = await this.ctrler((c) => c.query(-1))
      const serving = gidsOf(current)
      const idle = this.gids.filter((g) => !serving.includes(g))
      const joinOne = idle.length > 0 && (serving.length <= 1 || step.size < 1 / 3)
      const leaveOne = !joinOne && serving.length >= 2 && step.size < 2 / 3
      if (joinOne) {
        const gid = pick(idle, step.pick) as Gid
        what = `shard join ${gid}`
        await this.join(gid)
      } else if (leaveOne) {
        const gid = pick(serving, step.pick) as Gid
        what = `shard leave ${gid}`
        await this.ctrler((c) => c.leave([gid]))
      } else {
        const shard = Math.min(NSHARDS - 1, Math.floor((step.order[0] ?? 0) * NSHARDS))
        const to = pick(
          serving.filter((g) => g !== current.shards[shard]),
          step.pick,
        )
        if (to === undefined) return 'migrate: one group serves and none is idle; nothing to move'
        what = `shard move ${shard} ${to}`
        await this.ctrler((c) => c.move(shard, to))
      }
      this.migrations++
      const after = await this.ctrler((c) => c.query(-1)).catch(() => undefined)
      return `${what}${after ? ` -> configuration ${after.num}: shards on ${after.shards.join(' ')}` : ''}`
    } catch (e) {
      return `${what} failed: ${(e as Error).message}`
    }
  }

  async settle(timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs
    let problem = 'the controller did not answer'
    while (Date.now() < deadline) {
      const latest = await this.ctrler((c) => c.query(-1)).catch(() => undefined)
      if (latest) {
        const found = moving(latest, this.gids, await statusOfNodes(this.kvRpc, 2000))
        if (found === undefined) return undefined
        problem = found
      }
      await sleep(250)
    }
    return problem
  }

  close(): void {
    this.rpc.close()
    this.kvRpc.close()
  }
}

/**
 * What is not settled yet: a replica of a serving group that has not applied `latest` or has
 * a shard in transit, or a replica of another group that still holds a shard. Undefined when
 * everything is settled.
 */
function moving(
  latest: ShardConfig,
  gids: readonly Gid[],
  views: readonly NodeView[],
): string | undefined {
  const serving = gidsOf(latest)
  for (const v of views) {
    if (!v.status) return `${v.node} does not answer: ${v.error ?? ''}`
    for (const gid of gids) {
      const g = v.status.groups[groupIdOf(gid)]
      if (!g) continue
      const held = Object.entries(g.shards ?? {}).filter(([st, list]) => {
        if (list.length === 0) return false
        return serving.includes(gid) ? st !== 'serving' : true
      })
      if (serving.includes(gid) && g.config !== latest.num)
        return `${v.node}'s replica of ${gid} applied configuration ${g.config ?? '?'} of ${latest.num}`
      if (held.length > 0)
        return `${v.node}'s replica of ${gid} has ${held.map(([st, l]) => `${st} ${l.join(',')}`).join('; ')}`
    }
  }
  return undefined
}

/** The plugin kv-service's `raftkit chaos` loads for a sharded cluster. */
export const shardChaos: ShardedChaosPlugin = {
  async init(dir, nodes, groups, options) {
    return (await initShardCluster({ dir, nodes, groups, tls: options?.tls === true })).file
  },
  async open(configFile) {
    return new ChaosShardCluster(await loadShardCluster(configFile))
  },
}
