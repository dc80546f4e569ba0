/**
 * The same closed-loop key/value workload as cluster-ws.ts (16-byte keys, 128-byte values,
 * --keys preloaded, a put phase then a get phase per concurrency, each after --warmup seconds),
 * against an etcd cluster on this machine: --nodes `etcd` processes on 127.0.0.1 with data
 * directories in a temporary folder (etcd's defaults: fsync on every commit, linearizable
 * reads). Clients talk to the leader through etcd's HTTP/JSON gateway (POST /v3/kv/put,
 * /v3/kv/range), one keep-alive undici connection each. Prints one JSON line per row (the
 * fields of cluster-ws.ts's rows), then a table. Exits 2 when `etcd` is not on the PATH.
 *
 *   npx tsx --conditions=@raftkit/source bench/etcd-http.ts [--nodes 3] [--seconds 5]
 *     [--warmup 5] [--concurrency 1,8,64] [--keys 1000] [--keep]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createRng } from '@raftkit/raft-core'
import * as hdr from 'hdr-histogram-js'
import { Client } from 'undici'
import { key, loadFlags, value } from './kv-workload.js'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,8,64' },
    keys: { type: 'string', default: '1000' },
    keep: { type: 'boolean', default: false },
  },
})
const { seconds, levels, keyCount } = loadFlags(values)
const nodeCount = Number(values.nodes)
const warmupSeconds = Number(values.warmup)
if (!(Number.isInteger(nodeCount) && nodeCount > 0)) throw new RangeError('--nodes: positive')

const version = spawnSync('etcd', ['--version'], { encoding: 'utf8' })
if (version.error || version.status !== 0) {
  console.error('etcd is not on the PATH (Debian: apt-get install etcd-server)')
  process.exit(2)
}
const etcdVersion = /etcd Version: (\S+)/.exec(version.stdout)?.[1] ?? 'unknown'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))))
    })
  })
}

const b64 = (s: string): string => Buffer.from(s).toString('base64')

async function post(c: Client, path: string, body: object): Promise<Record<string, unknown>> {
  const { statusCode, body: res } = await c.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const json = (await res.json()) as Record<string, unknown>
  if (statusCode !== 200) throw new Error(`${path}: HTTP ${statusCode} ${JSON.stringify(json)}`)
  return json
}

function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100
  } catch {
    return NaN
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'raftkit-bench-etcd-'))
  const procs: ChildProcess[] = []
  const clients: Client[] = []
  try {
    const members = []
    for (let i = 0; i < nodeCount; i++)
      members.push({ name: `e${i + 1}`, client: await freePort(), peer: await freePort() })
    const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',')
    for (const m of members) {
      const p = spawn(
        'etcd',
        [
          '--name',
          m.name,
          '--data-dir',
          join(dir, m.name),
          '--listen-client-urls',
          `http://127.0.0.1:${m.client}`,
          '--advertise-client-urls',
          `http://127.0.0.1:${m.client}`,
          '--listen-peer-urls',
          `http://127.0.0.1:${m.peer}`,
          '--initial-advertise-peer-urls',
          `http://127.0.0.1:${m.peer}`,
          '--initial-cluster',
          initial,
          '--initial-cluster-state',
          'new',
          '--initial-cluster-token',
          'raftkit-bench',
          '--log-level',
          'error',
          '--logger',
          'zap',
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      )
      procs.push(p)
    }
    // The leader: ask every member's status until one names a leader that answers.
    let leaderIndex = -1
    const deadline = Date.now() + 60_000
    while (leaderIndex < 0) {
      if (Date.now() > deadline) throw new Error('etcd elected no leader within 60 s')
      await new Promise((r) => setTimeout(r, 200))
      for (let i = 0; i < members.length && leaderIndex < 0; i++) {
        const c = new Client(`http://127.0.0.1:${members[i]!.client}`)
        try {
          const s = await post(c, '/v3/maintenance/status', {})
          const header = s.header as { member_id?: string } | undefined
          if (s.leader !== undefined && s.leader !== '0' && header?.member_id === s.leader)
            leaderIndex = i
        } catch {
          // not up yet
        } finally {
          await c.close()
        }
      }
    }
    const leaderUrl = `http://127.0.0.1:${members[leaderIndex]!.client}`
    console.error(
      `etcd ${etcdVersion}: ${nodeCount} members in ${dir}, leader ${members[leaderIndex]!.name}`,
    )
    const newClient = (): Client => {
      const c = new Client(leaderUrl, { pipelining: 1 })
      clients.push(c)
      return c
    }
    const loaders = Array.from({ length: 64 }, newClient)
    for (let i = 0; i < keyCount; i += loaders.length)
      await Promise.all(
        loaders.map(async (c, j) => {
          if (i + j < keyCount)
            await post(c, '/v3/kv/put', { key: b64(key(i + j)), value: b64(value) })
        }),
      )
    const rows = []
    for (const n of levels) {
      const level = Array.from({ length: n }, newClient)
      for (const op of ['put', 'get'] as const) {
        const rng = createRng(op === 'put' ? 1 : 2)
        const once = (c: Client): Promise<unknown> => {
          const k = b64(key(rng.int(keyCount)))
          return op === 'put'
            ? post(c, '/v3/kv/put', { key: k, value: b64(value) })
            : post(c, '/v3/kv/range', { key: k })
        }
        const warmEnd = performance.now() + warmupSeconds * 1000
        await Promise.all(
          level.map(async (c) => {
            while (performance.now() < warmEnd) await once(c).catch(() => undefined)
          }),
        )
        const h = hdr.build({
          lowestDiscernibleValue: 1,
          highestTrackableValue: 60_000_000,
          numberOfSignificantValueDigits: 3,
        })
        let ops = 0
        let errors = 0
        const pid = procs[leaderIndex]!.pid
        const leaderCpu0 = cpuMs(pid)
        const cpu0 = process.cpuUsage()
        const t0 = performance.now()
        const end = t0 + seconds * 1000
        await Promise.all(
          level.map(async (c) => {
            while (performance.now() < end) {
              const s = performance.now()
              try {
                await once(c)
              } catch {
                errors++
                continue
              }
              h.recordValue(Math.max(1, Math.round((performance.now() - s) * 1000)))
              ops++
            }
          }),
        )
        const wallMs = performance.now() - t0
        const cpu = process.cpuUsage(cpu0)
        const row = {
          bench: 'etcd-http',
          etcdVersion,
          op,
          clients: n,
          opsPerSec: Math.round((ops * 1000) / wallMs),
          p50Us: h.getValueAtPercentile(50),
          p99Us: h.getValueAtPercentile(99),
          ops,
          errors,
          loadGenCpu: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 100) / 100,
          leaderCpuUsPerOp: Math.round(((cpuMs(pid) - leaderCpu0) * 1000) / Math.max(1, ops)),
        }
        h.destroy()
        rows.push(row)
        console.log(JSON.stringify(row))
      }
      for (const c of level) await c.close()
    }
    console.table(rows.map(({ bench: _b, etcdVersion: _v, ...r }) => r))
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)))
    for (const p of procs) p.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL')
    if (values.keep) console.error(`kept ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  }
}

await main()
