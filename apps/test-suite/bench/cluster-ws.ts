/**
 * Real-cluster key/value throughput and latency: `raftkit init --nodes 3` into a temporary
 * directory, three `raftkit serve` processes (WebSocket peer transport, FileStorage with the
 * cluster file's `storageSync`, default `always`), then closed-loop clients at concurrency 1, 8
 * and 64. Every client is its own KvClient over its own HttpKvRpc (one keep-alive connection to
 * the leader) with its own session id: a phase of puts (16-byte keys, 128-byte values) for
 * --seconds, then a phase of gets (ReadIndex reads) for --seconds, each after --warmup seconds
 * (default 5) of the same load left out of the figures (connections open, JIT settled). Before
 * the first level, --server-warmup seconds (default 3) of puts and then gets from 8 clients,
 * also left out: V8 compiles the servers' code during their first seconds, and the first level
 * (1 client) would otherwise measure that (BENCHMARKS #15 session 11; side-by-side.ts does the
 * same).
 * Reports operations/s, p50/p99 latency in µs (hdr-histogram-js) and this load generator's own
 * CPU (process.cpuUsage delta / wall time, 1.0 = one core busy). One JSON line per row, then a
 * table. Every node is stopped on the way out, even after an error; the temporary directory is
 * removed unless --keep.
 *
 *   npx tsx --conditions=@raftkit/source bench/cluster-ws.ts [--seconds 5] [--warmup 5]
 *     [--server-warmup 3]
 *     [--concurrency 1,8,64] [--keys 1000] [--storage-sync always|never] [--nodes 3] [--keep]
 *     [--cpu-prof DIR] [--tls] [--raft JSON]
 *
 * `--tls`: `raftkit init --tls` (needs openssl): peers over wss, clients over HTTPS.
 *
 * Each row also gives every server process's CPU (utime + stime from /proc, 1.0 = one core) and
 * the leader's CPU time per operation and the three servers' summed, which depend far less on
 * other load than ops/s do.
 * `--cpu-prof DIR` starts the servers with `node --cpu-prof` (profiles written on clean stop).
 *
 * `--raft '{"maxInflightAppends":4}'` merges settings into the cluster file's `raft` section
 * (the cluster file validates them: a bad name or value stops the servers with an error).
 *
 * `--storage-sync never` (no fdatasync on appends) separates the disk's fsync latency from the
 * CPU cost of the write path.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { killEveryChild } from '@raftkit/kv-service/chaos'
import { cpuShares, cpuUsPerOp, measure, warmUp } from './closed-loop.js'
import { loadFlags } from './kv-workload.js'
import {
  clerkWorkers,
  closeClerk,
  startRaftkitCluster,
  type Clerk,
  type RaftkitCluster,
} from './raftkit-cluster.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '5' },
    'server-warmup': { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1,8,64' },
    keys: { type: 'string', default: '1000' },
    nodes: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    'storage-sync': { type: 'string', default: 'always' },
    'cpu-prof': { type: 'string' },
    tls: { type: 'boolean', default: false },
    raft: { type: 'string', default: '{}' },
  },
})
const storageSync = values['storage-sync']
if (storageSync !== 'always' && storageSync !== 'never')
  throw new RangeError('--storage-sync: always or never')
const sync: 'always' | 'never' = storageSync
const { seconds, levels, keyCount } = loadFlags(values)
const raftOverrides = JSON.parse(values.raft) as object
if (typeof raftOverrides !== 'object' || raftOverrides === null || Array.isArray(raftOverrides))
  throw new RangeError('--raft: a JSON object of cluster-file raft settings')
const nodeCount = Number(values.nodes)
if (!(Number.isInteger(nodeCount) && nodeCount > 0))
  throw new RangeError('--nodes: a positive integer')
const warmupSeconds = Number(values.warmup)
if (!(warmupSeconds >= 0)) throw new RangeError('--warmup: seconds >= 0')
const serverWarmupSeconds = Number(values['server-warmup'])
if (!(serverWarmupSeconds >= 0)) throw new RangeError('--server-warmup: seconds >= 0')

interface Row {
  readonly bench: 'cluster-ws'
  readonly op: 'put' | 'get'
  readonly clients: number
  readonly opsPerSec: number
  readonly p50Us: number
  readonly p99Us: number
  readonly ops: number
  readonly errors: number
  /** The load generator's CPU time / wall time (1 = one core). */
  readonly loadGenCpu: number
  /** Each server process's CPU time / wall time, by node id. */
  readonly serverCpu: Readonly<Record<string, number>>
  /** The leader process's CPU time per operation, in µs. */
  readonly leaderCpuUsPerOp: number
  /** Every server process's CPU time per operation, summed, in µs. */
  readonly serverCpuUsPerOp: number
}

async function phase(
  clerks: readonly Clerk[],
  op: 'put' | 'get',
  cluster: RaftkitCluster,
): Promise<Row> {
  const commit0 = op === 'put' ? await cluster.commitIndex() : 0
  const m = await measure(
    clerkWorkers(clerks, op, keyCount, op === 'put' ? 1 : 2),
    seconds,
    cluster.pids(),
  )
  // Every acknowledged put is a log entry of its own: fewer new entries than puts means some
  // were answered without being replicated (e.g. as retries of another client's session).
  if (op === 'put') {
    const entries = (await cluster.commitIndex()) - commit0
    if (!(entries >= m.ops))
      throw new Error(`${m.ops} puts acknowledged but the log grew by ${entries} entries`)
  }
  return {
    bench: 'cluster-ws',
    op,
    clients: clerks.length,
    opsPerSec: m.opsPerSec,
    p50Us: m.p50Us,
    p99Us: m.p99Us,
    ops: m.ops,
    errors: m.errors,
    loadGenCpu: m.loadGenCpu,
    serverCpu: cpuShares(m),
    leaderCpuUsPerOp: cpuUsPerOp(m, cluster.leader),
    serverCpuUsPerOp: m.serverCpuUsPerOp,
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'raftkit-bench-ws-'))
  let cluster: RaftkitCluster | undefined
  const rows: Row[] = []
  const clerks: Clerk[] = []
  try {
    cluster = await startRaftkitCluster({
      dir,
      nodes: nodeCount,
      storageSync: sync,
      raft: raftOverrides,
      tls: values.tls,
      cpuProf: values['cpu-prof'],
    })
    // Preload every key (so that gets read 128-byte values).
    await cluster.preload(keyCount)
    if (serverWarmupSeconds > 0) {
      clerks.push(...Array.from({ length: 8 }, cluster.newClerk))
      for (const op of ['put', 'get'] as const)
        await warmUp(clerkWorkers(clerks, op, keyCount, 3), serverWarmupSeconds / 2)
      for (const c of clerks.splice(0)) closeClerk(c)
    }
    for (const n of levels) {
      clerks.push(...Array.from({ length: n }, cluster.newClerk))
      for (const op of ['put', 'get'] as const) {
        // Unmeasured first: connections opened and every process's JIT settled on this
        // level's code paths before the clock starts (a long-running server is measured warm).
        await warmUp(clerkWorkers(clerks, op, keyCount, 3), warmupSeconds)
        const row = await phase(clerks, op, cluster)
        rows.push(row)
        console.log(JSON.stringify(row))
      }
      for (const c of clerks.splice(0)) closeClerk(c)
    }
  } finally {
    for (const c of clerks) closeClerk(c)
    try {
      await cluster?.stop()
    } finally {
      killEveryChild()
      if (values.keep) console.error(`kept ${dir}`)
      else await rm(dir, { recursive: true, force: true })
    }
  }
  console.table(
    rows.map((r) => ({
      op: r.op,
      clients: r.clients,
      'ops/s': r.opsPerSec,
      'p50 µs': r.p50Us,
      'p99 µs': r.p99Us,
      errors: r.errors,
      'load-gen CPU': r.loadGenCpu,
      'server CPU': Object.values(r.serverCpu).join(' / '),
      'leader µs CPU/op': r.leaderCpuUsPerOp,
      'servers µs CPU/op': r.serverCpuUsPerOp,
    })),
  )
}

process.once('SIGINT', () => {
  killEveryChild()
  process.exit(130)
})
await main()
