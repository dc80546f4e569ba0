/**
 * What a sharded node reports about itself: `/v1/status` (JSON: the node's cached
 * configuration and, per hosted group, its Raft state and — for replica groups — the
 * configuration it applied and its shards by status) and `/metrics` (Prometheus text, one
 * series per group, labelled `group="ctrler"` / `group="g101"`).
 */
import type { Status } from '@raftkit/raft-core'
import type { ShardConfig } from '../common.js'
import { NSHARDS } from '../common.js'
import type { ShardStatus } from '../kv/state-machine.js'

/** What the node hosts, as the status and metrics read it. */
export interface HostedGroup {
  /** "ctrler" or "g<gid>". */
  readonly id: string
  readonly status: () => Status
  /** Replica groups only. */
  readonly shards?: () => { config: number; status: readonly ShardStatus[]; keys: number }
}

export interface GroupStatus {
  readonly role: string
  readonly term: number
  readonly leader: string | null
  readonly commitIndex: number
  readonly appliedIndex: number
  readonly lastIndex: number
  readonly snapshotIndex: number
  /** Replica groups: the configuration this replica applied, and its shards by status. */
  readonly config?: number
  readonly shards?: Partial<Record<ShardStatus, number[]>>
  readonly keys?: number
}

export interface ShardNodeStatus {
  readonly id: string
  /** The node's cached configuration (what its router uses). */
  readonly config: ShardConfig
  readonly groups: Readonly<Record<string, GroupStatus>>
}

export function nodeStatus(
  id: string,
  config: ShardConfig,
  groups: readonly HostedGroup[],
): ShardNodeStatus {
  const out: Record<string, GroupStatus> = {}
  for (const g of groups) {
    const s = g.status()
    const base = {
      role: s.role,
      term: s.term,
      leader: s.leader,
      commitIndex: s.commitIndex,
      appliedIndex: s.appliedIndex,
      lastIndex: s.lastIndex,
      snapshotIndex: s.snapshotIndex,
    }
    if (!g.shards) {
      out[g.id] = base
      continue
    }
    const sh = g.shards()
    const by: Partial<Record<ShardStatus, number[]>> = {}
    for (let i = 0; i < NSHARDS; i++) {
      const st = sh.status[i] as ShardStatus
      if (st !== 'absent') (by[st] ??= []).push(i)
    }
    out[g.id] = { ...base, config: sh.config, shards: by, keys: sh.keys }
  }
  return { id, config, groups: out }
}

export interface RequestCounters {
  readonly requests: Record<string, number>
  readonly rpcCalls: number
}

/** Prometheus text exposition of a node's status and counters. */
export function metricsText(status: ShardNodeStatus, counters: RequestCounters): string {
  const lines: string[] = []
  const gauge = (name: string, help: string, rows: Array<[string, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`)
    for (const [labels, v] of rows) lines.push(`${name}{${labels}} ${v}`)
  }
  const groups = Object.entries(status.groups)
  const per = (f: (g: GroupStatus) => number): Array<[string, number]> =>
    groups.map(([id, g]) => [`group="${id}"`, f(g)])
  gauge(
    'raftkit_shard_group_term',
    'Raft term of this replica',
    per((g) => g.term),
  )
  gauge(
    'raftkit_shard_group_is_leader',
    '1 if this replica leads its group',
    per((g) => (g.role === 'leader' ? 1 : 0)),
  )
  gauge(
    'raftkit_shard_group_commit_index',
    'Raft commit index',
    per((g) => g.commitIndex),
  )
  gauge(
    'raftkit_shard_group_applied_index',
    'Raft applied index',
    per((g) => g.appliedIndex),
  )
  const kv = groups.filter(([, g]) => g.shards !== undefined)
  gauge(
    'raftkit_shard_group_config_num',
    'configuration applied by this replica group',
    kv.map(([id, g]) => [`group="${id}"`, g.config ?? 0]),
  )
  gauge(
    'raftkit_shard_group_keys',
    'keys held by this replica (all shards)',
    kv.map(([id, g]) => [`group="${id}"`, g.keys ?? 0]),
  )
  const shardRows: Array<[string, number]> = []
  for (const [id, g] of kv)
    for (const [st, list] of Object.entries(g.shards ?? {}))
      shardRows.push([`group="${id}",status="${st}"`, list.length])
  gauge('raftkit_shard_group_shards', 'shards of this replica by status', shardRows)
  gauge('raftkit_shard_config_num', 'the configuration cached by this node', [
    ['', status.config.num],
  ])
  lines.push('# HELP raftkit_shard_http_requests_total HTTP requests by route')
  lines.push('# TYPE raftkit_shard_http_requests_total counter')
  for (const [route, n] of Object.entries(counters.requests))
    lines.push(`raftkit_shard_http_requests_total{route="${route}"} ${n}`)
  return lines.join('\n').replace(/\{\}/g, '') + '\n'
}
