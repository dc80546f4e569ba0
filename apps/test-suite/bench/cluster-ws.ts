/**
 * Real-cluster key/value throughput and latency: `raftkit init --nodes 3` into a temporary
 * directory, three `raftkit serve` processes (WebSocket peer transport, FileStorage with the
 * cluster file's `storageSync`, default `always`), then closed-loop clients at concurrency 1, 8
 * and 64. Every client is its own KvClient over its own HttpKvRpc (one keep-alive connection to
 * the leader) with its own session id: a phase of puts (16-byte keys, 128-byte values) for
 * --seconds, then a phase of gets (ReadIndex reads) for --seconds, each after --warmup seconds
 * (default 5) of the same load left out of the figures (connections open, JIT settled).
 * Reports operations/s, p50/p99 latency in µs (hdr-histogram-js) and this load generator's own
 * CPU (process.cpuUsage delta / wall time, 1.0 = one core busy). One JSON line per row, then a
 * table. Every node is stopped on the way out, even after an error; the temporary directory is
 * removed unless --keep.
 *
 *   npx tsx --conditions=@raftkit/source bench/cluster-ws.ts [--seconds 5] [--warmup 5]
 *     [--concurrency 1,8,64] [--keys 1000] [--storage-sync always|never] [--nodes 3] [--keep]
 *     [--cpu-prof DIR] [--tls] [--raft JSON]
 *
 * `--tls`: `raftkit init --tls` (needs openssl): peers over wss, clients over HTTPS.
 *
 * Each row also gives every server process's CPU (utime + stime from /proc, 1.0 = one core) and
 * the leader's CPU time per operation, which depend far less on other load than ops/s do.
 * `--cpu-prof DIR` starts the servers with `node --cpu-prof` (profiles written on clean stop).
 *
 * `--raft '{"maxInflightAppends":4}'` merges settings into the cluster file's `raft` section
 * (the cluster file validates them: a bad name or value stops the servers with an error).
 *
 * `--storage-sync never` (no fdatasync on appends) separates the disk's fsync latency from the
 * CPU cost of the write path.
 */
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SystemClock, createRng, type Rng } from '@raftkit/raft-core'
import type { ClusterConfig } from '@raftkit/kv-service'
import { HttpKvRpc, KvClient, loadClusterConfig, readClientTls } from '@raftkit/kv-service'
import * as hdr from 'hdr-histogram-js'
import {
  ClusterAdmin,
  NodeProcesses,
  initClusterDir,
  killEveryChild,
} from '@raftkit/kv-service/chaos'
import { ClientIds, key, loadFlags, value } from './kv-workload.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '5' },
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
const { seconds, levels, keyCount } = loadFlags(values)
const raftOverrides = JSON.parse(values.raft) as object
if (typeof raftOverrides !== 'object' || raftOverrides === null || Array.isArray(raftOverrides))
  throw new RangeError('--raft: a JSON object of cluster-file raft settings')
const nodeCount = Number(values.nodes)
if (!(Number.isInteger(nodeCount) && nodeCount > 0))
  throw new RangeError('--nodes: a positive integer')
const warmupSeconds = Number(values.warmup)
if (!(warmupSeconds >= 0)) throw new RangeError('--warmup: seconds >= 0')

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
}

/** A process's user + system CPU time so far, in ms (Linux /proc; NaN elsewhere). */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces): utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return NaN
  }
}
const CLOCK_TICKS = 100

interface Servers {
  readonly pids: () => Readonly<Record<string, number | undefined>>
  readonly leader: string
  /** The leader's commit index (GET /v1/status). */
  readonly commitIndex: () => Promise<number>
}

function endpointsOf(config: ClusterConfig): Record<string, string> {
  return Object.fromEntries(config.nodes.map((n) => [n.id, `${n.http.host}:${n.http.port}`]))
}

interface Clerk {
  readonly client: KvClient
  readonly rpc: HttpKvRpc
}

function newClerk(
  config: ClusterConfig,
  clock: SystemClock,
  ids: ClientIds,
  leader: string,
): Clerk {
  const { clientId, seed } = ids.next()
  const tls = readClientTls(config)
  const rpc = new HttpKvRpc({ endpoints: endpointsOf(config), ...(tls ? { tls } : {}) })
  // The leader first: the clerk starts with the first server and remembers who answers.
  const servers = [leader, ...rpc.servers.filter((s) => s !== leader)]
  const client = new KvClient({
    servers,
    rpc,
    clock,
    rng: createRng(seed),
    clientId,
    deadlineMs: 30_000,
  })
  return { client, rpc }
}

function closeClerk(c: Clerk): void {
  c.client.close()
  c.rpc.close()
}

/** One operation of the workload on a random key. */
function runOp(client: KvClient, op: 'put' | 'get', rng: Rng): Promise<unknown> {
  const k = key(rng.int(keyCount))
  return op === 'put' ? client.put(k, value) : client.get(k)
}

/**
 * The same closed loop, unmeasured: connections opened and every process's JIT settled on
 * this level's code paths before the clock starts (a long-running server is measured warm).
 */
async function warmUp(clerks: readonly Clerk[], op: 'put' | 'get'): Promise<void> {
  const rng = createRng(3)
  const end = performance.now() + warmupSeconds * 1000
  await Promise.all(
    clerks.map(async ({ client }) => {
      while (performance.now() < end) await runOp(client, op, rng).catch(() => undefined)
    }),
  )
}

async function phase(clerks: readonly Clerk[], op: 'put' | 'get', servers: Servers): Promise<Row> {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  })
  const rng = createRng(op === 'put' ? 1 : 2)
  let ops = 0
  let errors = 0
  const cpu0 = process.cpuUsage()
  const pids = servers.pids()
  const serverCpu0 = Object.fromEntries(
    Object.entries(pids).map(([id, pid]) => [id, processCpuMs(pid)]),
  )
  const commit0 = op === 'put' ? await servers.commitIndex() : 0
  const t0 = performance.now()
  const end = t0 + seconds * 1000
  await Promise.all(
    clerks.map(async ({ client }) => {
      while (performance.now() < end) {
        const s = performance.now()
        try {
          await runOp(client, op, rng)
        } catch {
          errors++
          continue
        }
        histogram.recordValue(Math.max(1, Math.round((performance.now() - s) * 1000)))
        ops++
      }
    }),
  )
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  // Every acknowledged put is a log entry of its own: fewer new entries than puts means some
  // were answered without being replicated (e.g. as retries of another client's session).
  if (op === 'put') {
    const entries = (await servers.commitIndex()) - commit0
    if (!(entries >= ops))
      throw new Error(`${ops} puts acknowledged but the log grew by ${entries} entries`)
  }
  const serverCpuMs = Object.fromEntries(
    Object.entries(pids).map(([id, pid]) => [id, processCpuMs(pid) - (serverCpu0[id] ?? NaN)]),
  )
  const row: Row = {
    bench: 'cluster-ws',
    op,
    clients: clerks.length,
    opsPerSec: Math.round((ops * 1000) / wallMs),
    p50Us: histogram.getValueAtPercentile(50),
    p99Us: histogram.getValueAtPercentile(99),
    ops,
    errors,
    loadGenCpu: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 100) / 100,
    serverCpu: Object.fromEntries(
      Object.entries(serverCpuMs).map(([id, ms]) => [id, Math.round((ms / wallMs) * 100) / 100]),
    ),
    leaderCpuUsPerOp: Math.round(((serverCpuMs[servers.leader] ?? NaN) * 1000) / Math.max(1, ops)),
  }
  histogram.destroy()
  return row
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'raftkit-bench-ws-'))
  let nodes: NodeProcesses | undefined
  const rows: Row[] = []
  const clerks: Clerk[] = []
  try {
    const configFile = await initClusterDir(dir, nodeCount, { tls: values.tls })
    // The cluster file's server.storageSync (the one setting this bench varies).
    const file = JSON.parse(await readFile(configFile, 'utf8')) as {
      server?: object
      raft?: object
    }
    file.server = { ...file.server, storageSync }
    file.raft = { ...file.raft, ...raftOverrides }
    await writeFile(configFile, JSON.stringify(file, null, 2))
    const config = await loadClusterConfig(configFile)
    const admin = new ClusterAdmin(config)
    nodes = new NodeProcesses({
      cli: 'built',
      configFile,
      ids: admin.ids,
      logDir: join(dir, 'logs'),
      serveArgs: ['--log-level', 'warn'],
      ...(values['cpu-prof']
        ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] }
        : {}),
    })
    nodes.startAll()
    const leader = await admin.waitForLeader(60_000)
    console.error(
      `cluster ${configFile}: leader ${leader.id} (term ${leader.term}); storageSync ${config.server.storageSync}; tls ${values.tls}; servers run ${nodes.script}; load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    )
    const running = nodes
    const servers: Servers = {
      leader: leader.id,
      pids: () => Object.fromEntries(admin.ids.map((id) => [id, running.pid(id)])),
      commitIndex: async () => {
        const status = await admin.status(leader.id, 5_000)
        if (!status) throw new Error(`the leader ${leader.id} did not report its status`)
        return status.commitIndex
      },
    }
    const clock = new SystemClock()
    const clientIds = new ClientIds()
    // Preload every key (so that gets read 128-byte values), 64 clerks at a time.
    const loaders = Array.from({ length: 64 }, () => newClerk(config, clock, clientIds, leader.id))
    clerks.push(...loaders)
    for (let i = 0; i < keyCount; i += loaders.length)
      await Promise.all(
        loaders.map(async (c, j) => {
          if (i + j < keyCount) await c.client.put(key(i + j), value)
        }),
      )
    for (const c of clerks.splice(0)) closeClerk(c)
    for (const n of levels) {
      clerks.push(...Array.from({ length: n }, () => newClerk(config, clock, clientIds, leader.id)))
      for (const op of ['put', 'get'] as const) {
        await warmUp(clerks, op)
        const row = await phase(clerks, op, servers)
        rows.push(row)
        console.log(JSON.stringify(row))
      }
      for (const c of clerks.splice(0)) closeClerk(c)
    }
    if (nodes.unexpectedExits.length > 0)
      throw new Error(`nodes exited unexpectedly: ${JSON.stringify(nodes.unexpectedExits)}`)
  } finally {
    for (const c of clerks) closeClerk(c)
    if (nodes) await nodes.stopAll(5_000)
    killEveryChild()
    if (values.keep) console.error(`kept ${dir}`)
    else await rm(dir, { recursive: true, force: true })
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
    })),
  )
}

process.once('SIGINT', () => {
  killEveryChild()
  process.exit(130)
})
await main()
