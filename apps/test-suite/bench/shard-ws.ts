/**
 * A sharded cluster on this machine: `raftkit serve` processes with WebSocket peers and one
 * FileStorage directory per group, 3 replicas per group.
 *
 *  1. writes/s with 1, 2 and 4 replica groups at 64 and 256 closed-loop clients (each a
 *     ShardKvHttpClient: it sends a key to a node of its group), storageSync always and never;
 *     the servers' CPU per write (all processes summed) and **each group's leader CPU per
 *     write of that group** (the leader process's CPU during the phase / the writes the
 *     clients had acknowledged for the group's shards);
 *  2. migration time of one shard holding --migration-keys keys (`shard move`, 2 groups,
 *     storageSync always): from the controller's acknowledgement to the new owner serving the
 *     shard on every replica.
 *
 * Layouts (`--layout`): `separate` (default) gives every group its own 3 processes (3 × G
 * processes; the controller's replicas share group 100's processes, so g100's leader CPU
 * includes the controller's share: every group leader's configuration poll), so a leader's
 * process CPU is that group's leader CPU. `shared` is `raftkit init --groups G --nodes 3`: 3
 * processes each hosting a replica of every group; the per-group leader figure is then the
 * whole process (every group it hosts), printed with `shared` beside it.
 *
 *   npm run build && npx tsx --conditions=@raftkit/source bench/shard-ws.ts
 *     [--seconds 5] [--warmup 2] [--clients 64,256] [--groups 1,2,4] [--sync always,never]
 *     [--layout separate|shared] [--migration-keys 10000]
 *
 * The servers run the built bin (build first; else the sources through tsx, slower to start).
 * One JSON line per measurement (with the 1-minute load average), then a table.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { HttpKvRpc } from '@raftkit/kv-service'
import { NodeProcesses, delay, killEveryChild, runRaftkit } from '@raftkit/kv-service/chaos'
import { SystemClock } from '@raftkit/raft-core'
import type { ShardCluster, ShardNodeStatus } from '@raftkit/shardkv'
import {
  CtrlerClient,
  HttpShardRpc,
  NSHARDS,
  ShardKvHttpClient,
  endpointName,
  key2shard,
  loadShardCluster,
} from '@raftkit/shardkv'
import type { Worker } from './closed-loop.js'
import { measure, warmUp } from './closed-loop.js'
import { value } from './kv-workload.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    layout: { type: 'string', default: 'separate' },
    clients: { type: 'string', default: '64,256' },
    groups: { type: 'string', default: '1,2,4' },
    sync: { type: 'string', default: 'always,never' },
    'migration-keys': { type: 'string', default: '10000' },
  },
})
const seconds = Number(values.seconds)
const clientLevels = values.clients.split(',').map(Number)
const groupLevels = values.groups.split(',').map(Number)
const syncs = values.sync.split(',') as Array<'always' | 'never'>
const migrationKeys = Number(values['migration-keys'])
const warmupSeconds = Number(values.warmup)
const layout = values.layout
if (layout !== 'separate' && layout !== 'shared')
  throw new Error(`--layout expects separate or shared, got ${layout}`)

/** Key i: its first character picks the shard (key2shard), so keys spread over all shards. */
const keyOf = (i: number): string => `${String.fromCharCode(100 + (i % NSHARDS))}${i}`

interface Running {
  readonly cluster: ShardCluster
  readonly nodes: NodeProcesses
  readonly dir: string
  readonly admin: (fn: (c: CtrlerClient) => Promise<unknown>) => Promise<unknown>
  readonly statuses: () => Promise<Array<ShardNodeStatus | undefined>>
  readonly endpoints: Record<string, string>
}

async function start(groups: number, sync: 'always' | 'never'): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), 'raftkit-bench-shard-'))
  const processes = layout === 'separate' ? 3 * groups : 3
  const init = await runRaftkit([
    'init',
    '--groups',
    String(groups),
    '--nodes',
    String(processes),
    '--dir',
    dir,
  ])
  if (init.code !== 0) throw new Error(`raftkit init failed: ${init.stderr}`)
  const file = join(dir, 'cluster.json')
  const raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  raw.server = { storageSync: sync }
  if (layout === 'separate') {
    // Group i on n(3i+1)..n(3i+3); the controller with group 100.
    const ids = (i: number): string[] => [1, 2, 3].map((k) => `n${3 * i + k}`)
    const shard = raw.shard as { ctrler: string[]; groups: Array<{ gid: number; nodes: string[] }> }
    shard.ctrler = ids(0)
    shard.groups = shard.groups.map((g, i) => ({ gid: g.gid, nodes: ids(i) }))
  }
  await writeFile(file, JSON.stringify(raw, null, 2))
  const cluster = await loadShardCluster(file)
  const nodes = new NodeProcesses({
    cli: 'built',
    configFile: file,
    ids: cluster.config.nodes.map((n) => n.id),
    logDir: join(dir, 'logs'),
    serveArgs: ['--log-level', 'warn'],
  })
  nodes.startAll()
  const endpoints: Record<string, string> = {}
  for (const n of cluster.config.nodes) endpoints[n.id] = `${n.http.host}:${n.http.port}`
  const admin = async (fn: (c: CtrlerClient) => Promise<unknown>): Promise<unknown> => {
    const rpc = new HttpShardRpc({ addresses: endpoints, secret: cluster.config.secret })
    const c = new CtrlerClient({
      rpc,
      servers: cluster.shard.ctrler.map((n) => endpointName('ctrler', n)),
      clock: new SystemClock(),
      name: 'bench',
    })
    try {
      return await fn(c)
    } finally {
      c.close()
      rpc.close()
    }
  }
  const statuses = () =>
    Promise.all(
      Object.values(endpoints).map(async (a) => {
        try {
          const r = await fetch(`http://${a}/v1/status`, { signal: AbortSignal.timeout(2000) })
          return (await r.json()) as ShardNodeStatus
        } catch {
          return undefined
        }
      }),
    )
  return { cluster, nodes, dir, admin, statuses, endpoints }
}

async function stop(r: Running): Promise<void> {
  await r.nodes.stopAll(10_000)
  await rm(r.dir, { recursive: true, force: true })
}

/** Waits (bounded) until every replica of `gid` serves `shards` at configuration `num`. */
async function waitServing(r: Running, gid: number, shards: number[], num: number): Promise<void> {
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    // Every replica of the group (the nodes that host it; with --layout separate not all do).
    const hosts = r.cluster.shard.groups.find((g) => g.gid === gid)?.nodes ?? []
    const all = await r.statuses()
    const replicas = all.filter((s) => s !== undefined && hosts.includes(s.id))
    const ok =
      replicas.length === hosts.length &&
      replicas.every((s) => {
        const g = s?.groups[`g${gid}`]
        const serving = g?.shards?.serving ?? []
        return g?.config === num && shards.every((x) => serving.includes(x))
      })
    if (ok) return
    await delay(10)
  }
  throw new Error(`g${gid} did not serve ${shards.join(',')} at ${num} within 120 s`)
}

/** n clients writing keys over every shard; `perGroup` counts acknowledged writes by gid. */
function clientsOf(
  r: Running,
  n: number,
): { workers: Worker[]; perGroup: Map<number, number>; close: () => void } {
  const made: Array<{ c: ShardKvHttpClient; rpc: HttpKvRpc }> = []
  const perGroup = new Map<number, number>()
  let next = 0
  const workers = Array.from({ length: n }, () => {
    const rpc = new HttpKvRpc({ endpoints: r.endpoints })
    const c = new ShardKvHttpClient({ rpc, deadlineMs: 30_000 })
    made.push({ c, rpc })
    return async () => {
      const key = keyOf(next++)
      await c.put(key, value)
      const gid = c.cachedConfig.shards[key2shard(key)] ?? 0
      perGroup.set(gid, (perGroup.get(gid) ?? 0) + 1)
    }
  })
  return {
    workers,
    perGroup,
    close: () => {
      for (const { c, rpc } of made) (c.close(), rpc.close())
    },
  }
}

/** Each group's leader node ("g100" → "n1"), from the nodes' status. */
async function leadersOf(r: Running): Promise<Map<string, string>> {
  const out = new Map<string, { node: string; term: number }>()
  for (const s of await r.statuses())
    for (const [group, g] of Object.entries(s?.groups ?? {})) {
      const best = out.get(group)
      if (s && g.role === 'leader' && (!best || g.term > best.term))
        out.set(group, { node: s.id, term: g.term })
    }
  return new Map([...out].map(([group, l]) => [group, l.node]))
}

const rows: string[] = []
const migrations: string[] = []
try {
  for (const sync of syncs) {
    for (const groups of groupLevels) {
      const r = await start(groups, sync)
      try {
        const gids = Array.from({ length: groups }, (_, i) => 100 + i)
        const join: Record<number, string[]> = {}
        for (const g of r.cluster.shard.groups)
          join[g.gid] = g.nodes.map((n) => endpointName(`g${g.gid}`, n))
        await r.admin((c) => c.join(join))
        await delay(1000)
        const pids = Object.fromEntries(
          r.cluster.config.nodes.map((n) => [n.id, r.nodes.pid(n.id)]),
        )
        for (const n of clientLevels) {
          const set = clientsOf(r, n)
          try {
            await warmUp(set.workers, warmupSeconds)
            set.perGroup.clear()
            const before = await leadersOf(r)
            const m = await measure(set.workers, seconds, pids)
            const after = await leadersOf(r)
            // Per group: its leader's process CPU / the writes acknowledged for its shards.
            const perGroup = gids.map((gid) => {
              const group = `g${gid}`
              const leader = after.get(group)
              const writes = set.perGroup.get(gid) ?? 0
              const cpuMs = leader === undefined ? NaN : (m.serverCpuMs[leader] ?? NaN)
              return {
                group,
                leader: leader ?? '?',
                stable: leader !== undefined && before.get(group) === leader,
                writes,
                leaderCpuUsPerWrite: Math.round((cpuMs * 1000) / Math.max(1, writes)),
              }
            })
            const line = {
              bench: 'shard-ws',
              layout,
              sync,
              groups,
              clients: n,
              ctrlerLeader: after.get('ctrler'),
              perGroup,
              ...m,
              load: loadavg()[0],
            }
            console.log(JSON.stringify(line))
            const leaderCpu = perGroup
              .map(
                (p) =>
                  `${p.group}@${p.leader}${p.stable ? '' : '*'} ${p.leaderCpuUsPerWrite} (${p.writes})`,
              )
              .join('; ')
            rows.push(
              `| ${layout} | ${sync} | ${groups} | ${n} | ${m.opsPerSec} | ${Math.round(m.p50Us / 1000)} | ${Math.round(m.p99Us / 1000)} | ${m.serverCpuUsPerOp} | ${leaderCpu} | ${m.errors} | ${loadavg()[0]!.toFixed(1)} |`,
            )
          } finally {
            set.close()
          }
        }
        if (sync === 'always' && groups === 2 && migrationKeys > 0) {
          // One shard (7: keys starting with 'a') filled with migrationKeys keys, then moved.
          const shard = 7
          const rpcFill = new HttpKvRpc({ endpoints: r.endpoints })
          const filler = Array.from({ length: 64 }, () => new ShardKvHttpClient({ rpc: rpcFill }))
          let i = 0
          await Promise.all(
            filler.map(async (c) => {
              while (i < migrationKeys) await c.put(`a${i++}`, value)
            }),
          )
          rpcFill.close()
          const before = ((await r.admin((c) => c.query(-1))) as { shards: number[] }).shards
          const to = before[shard] === 100 ? 101 : 100
          await r.admin((c) => c.move(shard, to))
          const t0 = performance.now()
          const num = ((await r.admin((c) => c.query(-1))) as { num: number }).num
          await waitServing(r, to, [shard], num)
          const ms = Math.round(performance.now() - t0)
          console.log(JSON.stringify({ bench: 'shard-ws-migration', keys: migrationKeys, ms }))
          migrations.push(
            `migration of one shard holding ${migrationKeys} keys (${layout}, 2 groups, storageSync ${sync}): ${ms} ms (load ${loadavg()[0]!.toFixed(1)})`,
          )
        }
      } finally {
        await stop(r)
      }
    }
  }
} finally {
  killEveryChild()
}
console.log(
  '\n| layout | sync | groups | clients | writes/s | p50 ms | p99 ms | server CPU µs/write (all processes) | leader CPU µs/write per group (group@node, * leader changed; writes) | errors | load |',
)
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
for (const row of rows) console.log(row)
for (const line of migrations) console.log(`\n${line}`)
