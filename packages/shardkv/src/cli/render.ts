/** Text the sharded CLI prints: a configuration, and the nodes' status as a table. */
import type { HttpKvRpc } from '@raftkit/kv-service'
import { STATUS_PATH } from '@raftkit/kv-service'
import type { ShardConfig } from '../common.js'
import type { ShardNodeStatus } from '../node/status.js'

/** "config 3: shard 0..9 → gid" and the servers of each group. */
export function renderConfig(config: ShardConfig): string {
  const lines = [`configuration ${config.num}`]
  lines.push(`  shard: ${config.shards.map((_, i) => String(i).padStart(4)).join('')}`)
  lines.push(`  group: ${config.shards.map((g) => String(g).padStart(4)).join('')}`)
  for (const [gid, servers] of config.groups) lines.push(`  ${gid}: ${servers.join(' ')}`)
  if (config.groups.length === 0) lines.push('  (no groups: raftkit shard join GID)')
  return lines.join('\n') + '\n'
}

export interface NodeView {
  readonly node: string
  readonly status?: ShardNodeStatus
  readonly error?: string
}

export async function statusOfNodes(rpc: HttpKvRpc, timeoutMs: number): Promise<NodeView[]> {
  return Promise.all(
    rpc.servers.map(async (node): Promise<NodeView> => {
      try {
        return {
          node,
          status: (await rpc.getJson(node, STATUS_PATH, timeoutMs)) as ShardNodeStatus,
        }
      } catch (e) {
        return { node, error: (e as Error).message }
      }
    }),
  )
}

/** One row per node and group: role, term, commit, applied configuration, shards, keys. */
export function renderStatusTable(views: readonly NodeView[]): string {
  const rows: string[][] = [['node', 'group', 'role', 'term', 'commit', 'config', 'shards', 'keys']]
  for (const v of views) {
    if (!v.status) {
      rows.push([v.node, '-', `unreachable: ${v.error ?? ''}`.slice(0, 60)])
      continue
    }
    for (const [group, g] of Object.entries(v.status.groups)) {
      const shards = g.shards
        ? Object.entries(g.shards)
            .map(([st, list]) => `${st} ${list.join(',')}`)
            .join('; ')
        : ''
      rows.push([
        v.node,
        group,
        g.role,
        String(g.term),
        String(g.commitIndex),
        g.config === undefined ? '' : String(g.config),
        shards,
        g.keys === undefined ? '' : String(g.keys),
      ])
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  )
}
