/**
 * Tools of the hostile-input suite: the resident set size of each node process (read from
 * /proc, or `ps` where there is no /proc), one raw HTTP exchange over a plain socket (for what
 * no HTTP client sends), and plain requests to a node's API.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ClusterConfig, NodeSpec } from '@raftkit/kv-service'
import { loadClusterConfig } from '@raftkit/kv-service'
import { ClusterAdmin, NodeProcesses, initClusterDir } from '@raftkit/kv-service/chaos'
import type { TestCluster } from '../multiprocess/helpers.js'

export const MiB = 1024 * 1024

/**
 * A 3-node cluster like the multi-process tests' TestCluster, whose cluster file is changed by
 * `patch` between `raftkit init` and the start (e.g. tighter `http` bounds). Its close() stops
 * every node and removes the folder (kept, and said where, when `keep`).
 */
export async function startPatchedCluster(
  patch: (file: Record<string, unknown>) => void,
  n = 3,
): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'raftkit-hostile-'))
  const configFile = await initClusterDir(dir, n)
  const file = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>
  patch(file)
  await writeFile(configFile, JSON.stringify(file, null, 2))
  const config: ClusterConfig = await loadClusterConfig(configFile)
  const nodes = new NodeProcesses({
    configFile,
    ids: config.nodes.map((x) => x.id),
    logDir: join(dir, 'logs'),
    serveArgs: ['--log-level', 'warn'],
  })
  nodes.startAll()
  const admin = new ClusterAdmin(config)
  const cluster = {
    dir,
    configFile,
    config,
    nodes,
    admin,
    ids: nodes.ids,
    waitForLeader: (timeoutMs = 30_000, options = {}) => admin.waitForLeader(timeoutMs, options),
    async waitForStatus(id, what, ok, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        const s = await admin.status(id)
        if (s && ok(s)) return
        await new Promise((r) => setTimeout(r, 150))
      }
      throw new Error(`${id}: not ${what} within ${timeoutMs} ms`)
    },
    async close(keep = false) {
      await nodes.stopAll(5000)
      if (keep) console.log(`    node logs kept in ${dir}/logs`)
      else await rm(dir, { recursive: true, force: true })
    },
  } satisfies TestCluster
  return cluster
}

/** Resident set size of a process, in bytes. */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
    if (kb) return Number(kb[1]) * 1024
  } catch {
    // no /proc (macOS): ask ps
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' })) * 1024
}

/** RSS of every node of the cluster now, by node id. */
export function clusterRss(cluster: TestCluster): Map<string, number> {
  const out = new Map<string, number>()
  for (const id of cluster.ids) {
    const pid = cluster.nodes.pid(id)
    if (pid === undefined) throw new Error(`node ${id} is not running`)
    out.set(id, rssOf(pid))
  }
  return out
}

/** Growth of each node's RSS between two clusterRss() readings, as "id +N MiB" text and max. */
export function rssGrowth(
  before: Map<string, number>,
  after: Map<string, number>,
): { max: number; text: string } {
  let max = 0
  const parts: string[] = []
  for (const [id, b] of before) {
    const g = (after.get(id) ?? b) - b
    max = Math.max(max, g)
    parts.push(`${id} ${(b / MiB).toFixed(0)}→${((after.get(id) ?? b) / MiB).toFixed(0)} MiB`)
  }
  return { max, text: parts.join(', ') }
}

export function nodeSpec(cluster: TestCluster, id: string): NodeSpec {
  const n = cluster.config.nodes.find((x) => x.id === id)
  if (!n) throw new Error(`no node ${id}`)
  return n
}

export function httpBase(cluster: TestCluster, id: string): string {
  const { host, port } = nodeSpec(cluster, id).http
  return `http://${host}:${port}`
}

/** Opens a TCP connection; the socket's errors are swallowed (the peer may reset it). */
export function tcpConnect(host: string, port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, ...(localAddress ? { localAddress } : {}) })
    socket.once('connect', () => {
      socket.off('error', reject)
      socket.on('error', () => undefined)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

export interface RawAnswer {
  /** Status of the first response, or null when the server closed without one. */
  readonly status: number | null
  readonly text: string
}

/** Whether `bytes` hold one complete HTTP response (head, and a Content-Length body if any). */
function completeResponse(bytes: Buffer): boolean {
  const end = bytes.indexOf('\r\n\r\n')
  if (end < 0) return false
  const head = bytes.subarray(0, end).toString('latin1')
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
  if (length) return bytes.length - (end + 4) >= Number(length[1])
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return bytes.includes('\r\n0\r\n\r\n', end)
  return /^HTTP\/1\.[01] (1\d\d|204|304)/.test(head)
}

/**
 * Writes `request` (raw bytes) on a fresh connection and collects what comes back until one
 * complete response is in, the server closes, or `limitMs` passes (then the socket is destroyed:
 * a deadline, not a speed check — a server that neither answers nor closes is reported as
 * such). With `halfClose`, the client also ends its side right after the request (a client that
 * sent all it ever will).
 */
export async function rawExchange(
  host: string,
  port: number,
  request: Uint8Array,
  options: { halfClose?: boolean; limitMs?: number } = {},
): Promise<RawAnswer & { timedOut: boolean }> {
  const socket = await tcpConnect(host, port)
  const chunks: Buffer[] = []
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.on('data', (c: Buffer) => {
    chunks.push(c)
    if (completeResponse(Buffer.concat(chunks))) socket.destroy()
  })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    socket.destroy()
  }, options.limitMs ?? 10_000)
  if (options.halfClose) socket.end(request)
  else socket.write(request)
  await closed
  clearTimeout(timer)
  const text = Buffer.concat(chunks).toString('latin1')
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text)
  return { status: m ? Number(m[1]) : null, text, timedOut }
}

/** A fetch that never follows redirects and gives up after `limitMs`. */
export function request(url: string, init: RequestInit = {}, limitMs = 10_000): Promise<Response> {
  return fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(limitMs), ...init })
}

/** Opens a session on `base`; returns the server-issued client id. */
export async function openSession(base: string): Promise<string> {
  const res = await request(`${base}/v1/sessions`, { method: 'POST' })
  if (res.status !== 201) throw new Error(`POST /v1/sessions answered ${res.status}`)
  return ((await res.json()) as { clientId: string }).clientId
}

/** Samples every node's RSS every `everyMs` until stopped; reports each node's peak. */
export class RssSampler {
  private readonly peak = new Map<string, number>()
  private readonly timer: NodeJS.Timeout
  constructor(
    private readonly cluster: TestCluster,
    everyMs = 50,
  ) {
    this.sample()
    this.timer = setInterval(() => this.sample(), everyMs)
    this.timer.unref() // never what keeps the test process alive
  }

  private sample(): void {
    for (const id of this.cluster.ids) {
      const pid = this.cluster.nodes.pid(id)
      if (pid === undefined) continue // stopped: nothing to measure (the test reports it)
      try {
        this.peak.set(id, Math.max(rssOf(pid), this.peak.get(id) ?? 0))
      } catch {
        // the process ended between pid() and the read
      }
    }
  }

  /** Stops sampling (after one last sample) and returns each node's peak. */
  stop(): Map<string, number> {
    clearInterval(this.timer)
    this.sample()
    return new Map(this.peak)
  }
}

/** Waits for a leader and for every node to follow it (all processes up and serving). */
export async function waitForAllNodes(cluster: TestCluster): Promise<string> {
  const leader = await cluster.waitForLeader()
  for (const id of cluster.ids)
    await cluster.waitForStatus(id, `following ${leader.id}`, (s) => s.leader === leader.id)
  return leader.id
}
