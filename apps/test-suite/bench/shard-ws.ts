/**
 * A sharded cluster on this machine (3 `raftkit serve` processes, each hosting a controller
 * replica and a replica of every group; WebSocket peers, one FileStorage directory per group):
 *
 *  1. writes/s with 1, 2 and 4 replica groups × 3 replicas, at 64 and 256 closed-loop clients
 *     (each a ShardKvHttpClient: it sends a key to a node of its group), storageSync always
 *     and never; the servers' CPU per write (all processes summed; every process hosts one
 *     replica of every group, so per-group leader CPU is not separable per process: the
 *     leaders of each group are listed instead);
 *  2. migration time of one shard holding --migration-keys keys (`shard move`): from the
 *     controller's acknowledgement to the new owner serving the shard on every replica.
 *
 *   npm run build && npx tsx --conditions=@raftkit/source bench/shard-ws.ts
 *     [--seconds 5] [--clients 64,256] [--groups 1,2,4] [--sync always,never]
 *     [--migration-keys 10000]
 *
 * The servers run the built bin (build first). One JSON line per measurement, then a table.
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
  loadShardCluster,
} from '@raftkit/shardkv'
import type { Worker } from './closed-loop.js'
import { measure, warmUp } from './closed-loop.js'
import { value } from './kv-workload.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
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
  const init = await runRaftkit(['init', '--groups', String(groups), '--nodes', '3', '--dir', dir])
  if (init.code !== 0) throw new Error(`raftkit init failed: ${init.stderr}`)
  const file = join(dir, 'cluster.json')
  const raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  raw.server = { storageSync: sync }
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
    const all = await r.statuses()
    const ok = all.every((s) => {
      const g = s?.groups[`g${gid}`]
      const serving = g?.shards?.serving ?? []
      return g?.config === num && shards.every((x) => serving.includes(x))
    })
    if (ok) return
    await delay(10)
  }
  throw new Error(`g${gid} did not serve ${shards.join(',')} at ${num} within 120 s`)
}

function clientsOf(r: Running, n: number): { workers: Worker[]; close: () => void } {
  const made: Array<{ c: ShardKvHttpClient; rpc: HttpKvRpc }> = []
  let next = 0
  const workers = Array.from({ length: n }, () => {
    const rpc = new HttpKvRpc({ endpoints: r.endpoints })
    const c = new ShardKvHttpClient({ rpc, deadlineMs: 30_000 })
    made.push({ c, rpc })
    return () => c.put(keyOf(next++), value)
  })
  return {
    workers,
    close: () => {
      for (const { c, rpc } of made) (c.close(), rpc.close())
    },
  }
}

const rows: string[] = []
try {
  for (const sync of syncs) {
    for (const groups of groupLevels) {
      const r = await start(groups, sync)
      try {
        const gids = Array.from({ length: groups }, (_, i) => 100 + i)
        const join: Record<number, string[]> = {}
        for (const g of gids) join[g] = ['n1', 'n2', 'n3'].map((n) => endpointName(`g${g}`, n))
        await r.admin((c) => c.join(join))
        await delay(1000)
        const leaders = (await r.statuses())
          .map((s) =>
            Object.entries(s?.groups ?? {})
              .filter(([, g]) => g.role === 'leader')
              .map(([id]) => `${id}@${s?.id}`),
          )
          .flat()
        const pids = Object.fromEntries(
          r.cluster.config.nodes.map((n) => [n.id, r.nodes.pid(n.id)]),
        )
        for (const n of clientLevels) {
          const set = clientsOf(r, n)
          try {
            await warmUp(set.workers, 2)
            const m = await measure(set.workers, seconds, pids)
            const line = {
              bench: 'shard-ws',
              sync,
              groups,
              clients: n,
              leaders,
              ...m,
              load: loadavg()[0],
            }
            console.log(JSON.stringify(line))
            rows.push(
              `| ${sync} | ${groups} | ${n} | ${m.opsPerSec} | ${m.p50Us} | ${m.p99Us} | ${m.serverCpuUsPerOp} | ${m.errors} |`,
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
          rows.push(`| migration of one shard with ${migrationKeys} keys (${sync}) | ${ms} ms |`)
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
  '\n| sync | groups | clients | writes/s | p50 µs | p99 µs | server CPU µs/write | errors |',
)
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const row of rows) console.log(row)
