/**
 * raftkit and etcd side by side, interleaved, with one load generator (issue 15's "How it is
 * measured"): --pairs times (default 3) a fresh --nodes-member etcd cluster (etcd's defaults:
 * fsync on every commit) and then a fresh raftkit cluster (storageSync always), each preloaded
 * with --keys keys and driven by the same closed loop (closed-loop.ts): after --server-warmup
 * seconds of puts and gets from 8 clients (default 3; left out: raftkit's servers run JavaScript
 * that V8 compiles as it runs, so a fresh process is slower for its first seconds — BENCHMARKS
 * #15 session 11 — and etcd gets the same), at each --concurrency level a put phase, then a get
 * phase (linearizable reads), each after --warmup seconds left out, 16-byte keys over the --keys keys, 128-byte values, every client to the leader. etcd's
 * clients speak raw gRPC (etcd-grpc.ts, Put / Range) multiplexed over --etcd-conns HTTP/2
 * connections (default 1, as one etcd clientv3 and etcd's benchmark tool do; 0: one per
 * client); raftkit's are KvClients, each with its own at-most-once session, over one shared
 * WebSocket RPC connection per server (--raftkit-protocol ws, the default since BENCHMARKS #15
 * session 9; as etcd's clients share one) or over HTTP with a keep-alive connection each
 * (--raftkit-protocol http: every figure before that session). Each row gives ops/s, p50/p99,
 * the servers' CPU per operation summed over every server process (/proc/<pid>/stat user +
 * sys) and this load generator's CPU per operation; the summary gives, per level, each system's median over the pairs and the ratio
 * raftkit/etcd of every pair and their median.
 * Without etcd on the PATH it says how to install it and runs raftkit alone.
 *
 *   npx tsx --conditions=@raftkit/source bench/side-by-side.ts [--pairs 3] [--seconds 2]
 *     [--warmup 1] [--server-warmup 3] [--concurrency 1,64,256] [--keys 1000] [--nodes 3] [--etcd-conns 1]
 *     [--raftkit-protocol http|ws]
 *
 * Servers run the built `raftkit` bin when it exists (`npm run build` first), else the sources.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { killEveryChild } from '@raftkit/kv-service/chaos'
import { measure, warmUp, type ClientSet } from './closed-loop.js'
import { ETCD_INSTALL_HINT, etcdVersion, startEtcdCluster } from './etcd-cluster.js'
import { etcdClients, preloadEtcd } from './etcd-grpc.js'
import { loadFlags } from './kv-workload.js'
import { clerkSet, raftkitProtocol, startRaftkitCluster } from './raftkit-cluster.js'
import { summarize, type Row, type System } from './side-by-side-summary.js'

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '1' },
    'server-warmup': { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1,64,256' },
    keys: { type: 'string', default: '1000' },
    nodes: { type: 'string', default: '3' },
    'etcd-conns': { type: 'string', default: '1' },
    /** How raftkit's clients reach its servers: http (a connection each) or ws (one shared). */
    'raftkit-protocol': { type: 'string', default: 'ws' },
  },
})
const protocol = raftkitProtocol(values['raftkit-protocol'])
const { seconds, levels, keyCount } = loadFlags(values)
const pairs = Number(values.pairs)
const nodeCount = Number(values.nodes)
const warmupSeconds = Number(values.warmup)
const serverWarmupSeconds = Number(values['server-warmup'])
const etcdConns = Number(values['etcd-conns'])
if (!(Number.isInteger(etcdConns) && etcdConns >= 0))
  throw new RangeError('--etcd-conns: an integer >= 0 (0: one connection per client)')
if (!(Number.isInteger(pairs) && pairs > 0)) throw new RangeError('--pairs: a positive integer')
if (!(Number.isInteger(nodeCount) && nodeCount > 0)) throw new RangeError('--nodes: positive')
if (!(warmupSeconds >= 0)) throw new RangeError('--warmup: seconds >= 0')
if (!(serverWarmupSeconds >= 0)) throw new RangeError('--server-warmup: seconds >= 0')

/** One system under test, started fresh: its clients' workers per level and phase. */
interface Running {
  readonly pids: () => Readonly<Record<string, number | undefined>>
  /** Opens n clients. */
  readonly clients: (n: number) => ClientSet
  /** Checked after each put phase (raftkit: the log grew by at least the acknowledged puts). */
  readonly before: (op: 'put' | 'get') => Promise<(ops: number) => Promise<void>>
  stop(): Promise<void>
}

async function startEtcd(dir: string): Promise<Running> {
  const cluster = await startEtcdCluster(dir, nodeCount)
  await preloadEtcd(cluster.leaderAddress, keyCount)
  return {
    pids: cluster.pids,
    clients: (n) => etcdClients(cluster.leaderAddress, n, keyCount, etcdConns),
    before: async () => async () => undefined,
    stop: cluster.stop,
  }
}

async function startRaftkit(dir: string): Promise<Running> {
  const cluster = await startRaftkitCluster({
    dir,
    nodes: nodeCount,
    storageSync: 'always',
    protocol,
  })
  try {
    await cluster.preload(keyCount)
  } catch (e) {
    await cluster.stop()
    throw e
  }
  return {
    pids: cluster.pids,
    clients: (n) => clerkSet(cluster, n, keyCount),
    before: async (op) => {
      if (op === 'get') return async () => undefined
      const commit0 = await cluster.commitIndex()
      return async (ops) => {
        // Every acknowledged put is a log entry of its own (none answered as another's retry).
        const grew = (await cluster.commitIndex()) - commit0
        if (!(grew >= ops)) throw new Error(`${ops} puts but the log grew by ${grew}`)
      }
    },
    stop: cluster.stop,
  }
}

async function runSystem(system: System, pair: number): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), `raftkit-bench-sbs-${system}-`))
  const rows: Row[] = []
  let running: Running | undefined
  try {
    running = await (system === 'etcd' ? startEtcd(dir) : startRaftkit(dir))
    if (serverWarmupSeconds > 0) {
      const warm = running.clients(8)
      try {
        for (const op of ['put', 'get'] as const)
          await warmUp(warm.workers(op, 4), serverWarmupSeconds / 2)
      } finally {
        await warm.close()
      }
    }
    for (const n of levels) {
      const clients = running.clients(n)
      try {
        for (const op of ['put', 'get'] as const) {
          await warmUp(clients.workers(op, 3), warmupSeconds)
          const check = await running.before(op)
          const m = await measure(
            clients.workers(op, op === 'put' ? 1 : 2),
            seconds,
            running.pids(),
          )
          await check(m.ops)
          const row: Row = {
            bench: 'side-by-side',
            pair,
            system,
            op,
            clients: n,
            opsPerSec: m.opsPerSec,
            p50Us: m.p50Us,
            p99Us: m.p99Us,
            ops: m.ops,
            errors: m.errors,
            serverCpuUsPerOp: m.serverCpuUsPerOp,
            serverSleepsPerOp: m.serverSleepsPerOp,
            loadGenCpuUsPerOp: m.loadGenCpuUsPerOp,
            loadGenCpu: m.loadGenCpu,
          }
          rows.push(row)
          console.log(JSON.stringify(row))
        }
      } finally {
        await clients.close()
      }
    }
  } finally {
    try {
      await running?.stop()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
  return rows
}

async function main(): Promise<void> {
  const version = etcdVersion()
  if (version === undefined)
    console.error(`${ETCD_INSTALL_HINT}; measuring raftkit alone (install etcd for the ratios)`)
  const systems: System[] = version === undefined ? ['raftkit'] : ['etcd', 'raftkit']
  const load0 = loadavg().map((x) => x.toFixed(2))
  console.error(
    `side by side: ${systems.join(' then ')}${version ? ` (etcd ${version}, gRPC over ${etcdConns === 0 ? 'one connection per client' : `${etcdConns} connection(s)`})` : ''}, raftkit over ${protocol === 'ws' ? 'the WebSocket RPC (one connection per server)' : 'HTTP (one connection per client)'}, ${pairs} pair(s), ${levels.join('/')} clients, ${warmupSeconds} s warm-up + ${seconds} s per phase; load average ${load0.join(' ')}`,
  )
  const rows: Row[] = []
  for (let pair = 1; pair <= pairs; pair++)
    for (const system of systems) rows.push(...(await runSystem(system, pair)))
  console.error(
    `load average at the end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  )
  const summary = summarize(rows)
  console.log(JSON.stringify({ bench: 'side-by-side', summary }))
  console.table(summary.map((l) => ({ ...l, ratios: l.ratios.join(' ') })))
}

process.once('SIGINT', () => {
  killEveryChild()
  process.exit(130)
})
try {
  await main()
} finally {
  killEveryChild()
}
