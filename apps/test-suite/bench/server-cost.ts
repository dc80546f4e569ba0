/**
 * Load-independent cost per operation of a 3-process raftkit cluster (for A/B comparisons on a
 * shared machine, issue 15): for each --concurrency level a put phase and a get phase (closed
 * loop, like cluster-ws.ts), and per server process its CPU time per operation (/proc
 * utime + stime; `sysUsPerOp` the kernel's part of it), heap bytes allocated per operation and GC count and pause time per 10 000
 * operations (gc-probe.cjs, loaded into every server with `--require`, read at the start and end
 * of each phase). Also per server the Raft messages it sent and the log syncs it made per 100
 * operations (its /metrics counters: they follow the batching, so they explain a CPU figure,
 * and they move with the load), and the phase's ops/s and p50/p99 (wall figures: noisy under
 * load). One JSON line per row on stdout.
 *
 *   npx tsx --conditions=@raftkit/source bench/server-cost.ts [--seconds 4] [--warmup 2]
 *     [--concurrency 1,64] [--keys 1000] [--storage-sync always|never] [--server-flags "..."]
 *     [--raftkit-protocol http|ws]
 *
 * --raftkit-protocol: the clients' KvClients over the WebSocket RPC (one connection per server,
 * shared by all of them; the default since BENCHMARKS #15 session 9, where it cost the servers
 * about half the CPU per write of HTTP) or over HTTP (a keep-alive connection each: every figure
 * recorded before that session).
 */
import { rmSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { killEveryChild } from '@raftkit/kv-service/chaos'
import { measure, processSysMs, warmUp } from './closed-loop.js'
import { loadFlags } from './kv-workload.js'
import {
  clerkSet,
  raftkitProtocol,
  startRaftkitCluster,
  type RaftkitCluster,
} from './raftkit-cluster.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '1,64' },
    keys: { type: 'string', default: '1000' },
    'storage-sync': { type: 'string', default: 'always' },
    /** More `node` flags for the servers, space-separated (e.g. "--single-threaded-gc"). */
    'server-flags': { type: 'string', default: '' },
    /** How the clients reach the servers: http (a keep-alive connection each) or ws (shared). */
    'raftkit-protocol': { type: 'string', default: 'ws' },
  },
})
const protocol = raftkitProtocol(values['raftkit-protocol'])
const sync = values['storage-sync']
if (sync !== 'always' && sync !== 'never') throw new RangeError('--storage-sync: always|never')
const { seconds, levels, keyCount } = loadFlags(values)
const warmupSeconds = Number(values.warmup)

interface Probe {
  readonly allocated: number
  readonly gcs: number
  readonly gcUs: number
  /** GCs by V8's type (gc-probe.cjs). */
  readonly types: Readonly<Record<string, number>>
}

/**
 * Asks every server's probe for its figures so far. The previous answer is deleted first and the
 * new one awaited by its existence (the probe writes it by rename): comparing the file's mtime
 * with Date.now() missed answers written within a clock tick (the file system's coarse
 * timestamps lag the wall clock by up to a tick), and the run then stopped at "no probe answer".
 */
async function probeAll(cluster: RaftkitCluster, dir: string): Promise<Record<string, Probe>> {
  const pids = cluster.pids()
  const before = Date.now()
  for (const pid of Object.values(pids))
    if (pid !== undefined) rmSync(join(dir, `${pid}.json`), { force: true })
  for (const pid of Object.values(pids)) if (pid !== undefined) process.kill(pid, 'SIGUSR2')
  const out: Record<string, Probe> = {}
  for (const [id, pid] of Object.entries(pids)) {
    if (pid === undefined) throw new Error(`server ${id} is not running`)
    for (;;) {
      try {
        out[id] = JSON.parse(await readFile(join(dir, `${pid}.json`), 'utf8')) as Probe
        break
      } catch {
        // not written yet
      }
      if (Date.now() - before > 10_000) throw new Error(`no probe answer from ${id}`)
      await sleep(20)
    }
  }
  return out
}

interface Traffic {
  readonly messages: number
  readonly syncs: number
}

/** Every server's running totals of Raft messages sent and log fdatasyncs (GET /metrics). */
async function trafficAll(cluster: RaftkitCluster): Promise<Record<string, Traffic>> {
  const read = (text: string, name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'))
    return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  const out: Record<string, Traffic> = {}
  for (const n of cluster.config.nodes) {
    const res = await fetch(`http://${n.http.host}:${n.http.port}/metrics`)
    const text = await res.text()
    out[n.id] = {
      messages: read(text, 'raftkit_transport_messages_sent_total'),
      syncs: read(text, 'raftkit_storage_syncs_total'),
    }
  }
  return out
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'raftkit-cost-'))
  const probeDir = join(dir, 'probe')
  await mkdir(probeDir)
  process.env.RAFTKIT_GC_PROBE_DIR = probeDir
  const probe = fileURLToPath(new URL('./gc-probe.cjs', import.meta.url))
  let cluster: RaftkitCluster | undefined
  try {
    cluster = await startRaftkitCluster({
      dir,
      nodes: 3,
      storageSync: sync as 'always' | 'never',
      protocol,
      nodeArgs: ['--require', probe, ...values['server-flags'].split(' ').filter(Boolean)],
    })
    await cluster.preload(keyCount)
    for (const n of levels) {
      const set = clerkSet(cluster, n, keyCount)
      try {
        for (const op of ['put', 'get'] as const) {
          await warmUp(set.workers(op, 7), warmupSeconds)
          const t0 = await trafficAll(cluster)
          const p0 = await probeAll(cluster, probeDir)
          const pids = cluster.pids()
          const sys0 = Object.fromEntries(
            Object.entries(pids).map(([n, p]) => [n, processSysMs(p)]),
          )
          const m = await measure(set.workers(op, op === 'put' ? 1 : 2), seconds, pids)
          const sys1 = Object.fromEntries(
            Object.entries(pids).map(([n, p]) => [n, processSysMs(p)]),
          )
          const p1 = await probeAll(cluster, probeDir)
          const t1 = await trafficAll(cluster)
          const per: Record<string, object> = {}
          for (const id of Object.keys(p1)) {
            const a = p0[id] as Probe
            const b = p1[id] as Probe
            per[id + (id === cluster.leader ? '*' : '')] = {
              cpuUsPerOp: Math.round(((m.serverCpuMs[id] ?? NaN) * 1000) / m.ops),
              sysUsPerOp: Math.round((((sys1[id] ?? NaN) - (sys0[id] ?? NaN)) * 1000) / m.ops),
              allocBytesPerOp: Math.round((b.allocated - a.allocated) / m.ops),
              gcsPer10k: Math.round(((b.gcs - a.gcs) * 10_000 * 10) / m.ops) / 10,
              gcMsPer10k: Math.round(((b.gcUs - a.gcUs) * 10) / m.ops) / 10,
              scavengesPer10k:
                Math.round(
                  (((b.types.Scavenge ?? 0) - (a.types.Scavenge ?? 0)) * 100_000) / m.ops,
                ) / 10,
              msgsPer100: perHundred(t0[id]?.messages, t1[id]?.messages, m.ops),
              syncsPer100: perHundred(t0[id]?.syncs, t1[id]?.syncs, m.ops),
            }
          }
          console.log(
            JSON.stringify({
              op,
              protocol,
              clients: n,
              ops: m.ops,
              opsPerSec: m.opsPerSec,
              p50Us: m.p50Us,
              p99Us: m.p99Us,
              serverCpuUsPerOp: m.serverCpuUsPerOp,
              load1: Math.round((loadavg()[0] ?? 0) * 10) / 10,
              per,
            }),
          )
        }
      } finally {
        await set.close()
      }
    }
  } finally {
    await cluster?.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

function perHundred(a: number | undefined, b: number | undefined, ops: number): number {
  return a === undefined || b === undefined ? NaN : Math.round(((b - a) * 1000) / ops) / 10
}

main().catch((e: unknown) => {
  console.error(e)
  killEveryChild()
  process.exitCode = 1
})
