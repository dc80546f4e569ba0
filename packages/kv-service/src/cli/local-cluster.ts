/**
 * `raftkit cluster`: N `raftkit serve` child processes on one machine, their status polled over
 * HTTP, and a clean stop (SIGTERM to each, wait for the exits).
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ClusterConfig } from '../config/cluster-config.js'
import { formatHostPort } from '../config/cluster-config.js'
import { readClientTls } from '../config/tls.js'
import { HttpKvRpc } from '../http/client-rpc.js'
import type { NodeStatus } from '../http/protocol.js'
import { raftkitInvocation } from './invocation.js'
import { ignoreStdinErrors, supervisedSpawnOptions } from './supervised-node.js'

export type { NodeStatus }

export interface NodeView {
  readonly id: string
  readonly http: string
  readonly status?: NodeStatus
  readonly error?: string
  readonly pid?: number
  readonly exitCode?: number | null
}

/** Polls /v1/status of every node (nodes that do not answer get `error`). */
export async function pollStatuses(
  config: ClusterConfig,
  rpc: HttpKvRpc,
  timeoutMs = 400,
): Promise<NodeView[]> {
  return Promise.all(
    config.nodes.map(async (n): Promise<NodeView> => {
      const http = formatHostPort(n.http)
      try {
        return {
          id: n.id,
          http,
          status: (await rpc.getJson(n.id, '/v1/status', timeoutMs)) as NodeStatus,
        }
      } catch (e) {
        return { id: n.id, http, error: e instanceof Error ? e.message : String(e) }
      }
    }),
  )
}

/**
 * An HttpKvRpc to every node of the cluster file: HTTPS trusting the cluster's CA (or `caFile`,
 * given on the command line) when the cluster uses TLS. Reads the CA file: KvConfigError when
 * it is missing or not PEM.
 */
export function statusRpc(config: ClusterConfig, caFile?: string): HttpKvRpc {
  const endpoints: Record<string, string> = {}
  for (const n of config.nodes) endpoints[n.id] = formatHostPort(n.http)
  const tls = readClientTls(config, caFile)
  return new HttpKvRpc({ endpoints, ...(tls ? { tls } : {}) })
}

/** A fixed-width table of node states. */
export function renderTable(views: readonly NodeView[]): string {
  const rows: string[][] = [
    ['node', 'http', 'role', 'term', 'leader', 'commit', 'applied', 'log', 'keys', 'replication'],
  ]
  for (const v of views) {
    const s = v.status
    if (!s) {
      const why =
        v.exitCode !== undefined ? `exited (${String(v.exitCode)})` : `down: ${v.error ?? '?'}`
      rows.push([v.id, v.http, why.slice(0, 60), '', '', '', '', '', '', ''])
      continue
    }
    const replication = Object.entries(s.peers)
      .map(([peer, p]) => `${peer}:${p.match}`)
      .join(' ')
    rows.push([
      v.id,
      v.http,
      s.role,
      String(s.term),
      s.leader ?? '-',
      String(s.commitIndex),
      String(s.appliedIndex),
      `${s.firstIndex}..${s.lastIndex}`,
      String(s.kv.keys),
      replication,
    ])
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)))
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export interface LocalClusterOptions {
  readonly configFile: string
  readonly config: ClusterConfig
  /** Each node's stderr (its JSON log) goes to `<logDir>/<id>.log`. */
  readonly logDir: string
  /** Extra arguments for every `serve` (e.g. ['--log-level', 'debug']). */
  readonly serveArgs?: readonly string[]
}

/**
 * A node's exit as `stop()` reports it: its exit code; -1 when a signal ended it; but 0 when the
 * SIGTERM that `stop()` sends ended it, as systemd counts it: a node whose own clean stop
 * (after a Ctrl-C to the whole process group) was already past its signal handlers, in Node's
 * exit, when that SIGTERM arrived has stopped as asked, not failed.
 */
export function exitStatus(
  code: number | null,
  signal: NodeJS.Signals | null,
  stopSent: boolean,
): number | null {
  if (code !== null) return code
  if (signal === null) return null
  return stopSent && signal === 'SIGTERM' ? 0 : -1
}

interface Child {
  readonly id: string
  readonly process: ChildProcess
  readonly exited: Promise<number | null>
  exitCode?: number | null
}

export class LocalCluster {
  readonly config: ClusterConfig
  private readonly children = new Map<string, Child>()
  private readonly rpc: HttpKvRpc
  private stopping: Promise<Map<string, number | null>> | undefined

  private constructor(options: LocalClusterOptions) {
    this.config = options.config
    this.rpc = statusRpc(options.config)
  }

  /** Spawns one `raftkit serve` per node of the cluster file. */
  static start(options: LocalClusterOptions): LocalCluster {
    const cluster = new LocalCluster(options)
    const cli = raftkitInvocation()
    mkdirSync(options.logDir, { recursive: true })
    for (const node of options.config.nodes) {
      const log = openSync(join(options.logDir, `${node.id}.log`), 'a')
      try {
        const child = spawn(
          cli.command,
          [
            ...cli.args,
            'serve',
            '--config',
            resolve(options.configFile),
            '--id',
            node.id,
            ...(options.serveArgs ?? []),
          ],
          // The node stops when its stdin pipe ends: when this process is gone, even by SIGKILL.
          { cwd: cli.cwd, ...supervisedSpawnOptions(log) },
        )
        ignoreStdinErrors(child)
        const entry: Child = {
          id: node.id,
          process: child,
          exited: new Promise((resolveExit) => {
            child.once('exit', (code, signal) => {
              entry.exitCode = exitStatus(code, signal, cluster.stopping !== undefined)
              resolveExit(entry.exitCode)
            })
            child.once('error', () => {
              entry.exitCode = -1
              resolveExit(-1)
            })
          }),
        }
        cluster.children.set(node.id, entry)
      } finally {
        closeSync(log)
      }
    }
    return cluster
  }

  pid(id: string): number | undefined {
    return this.children.get(id)?.process.pid
  }

  /** Status of every node, with process state. */
  async views(timeoutMs = 400): Promise<NodeView[]> {
    const views = await pollStatuses(this.config, this.rpc, timeoutMs)
    return views.map((v) => {
      const child = this.children.get(v.id)
      return {
        ...v,
        ...(child?.process.pid !== undefined ? { pid: child.process.pid } : {}),
        ...(child && child.exitCode !== undefined && !v.status ? { exitCode: child.exitCode } : {}),
      }
    })
  }

  /** Waits (bounded) until some node reports itself leader; returns its id. */
  async waitForLeader(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const views = await this.views()
      const leader = views.find((v) => v.status?.role === 'leader')
      if (leader) return leader.id
      if ([...this.children.values()].every((c) => c.exitCode !== undefined))
        throw new Error('every node exited; see their logs')
      await sleep(200)
    }
    throw new Error(`no leader was elected within ${timeoutMs} ms; see the node logs`)
  }

  /** SIGTERM to every running node, then waits for the exits (SIGKILL after `graceMs`). */
  stop(graceMs = 15_000): Promise<Map<string, number | null>> {
    this.stopping ??= (async () => {
      for (const c of this.children.values())
        if (c.exitCode === undefined) c.process.kill('SIGTERM')
      const codes = new Map<string, number | null>()
      await Promise.all(
        [...this.children.values()].map(async (c) => {
          let timer: NodeJS.Timeout | undefined
          const killed = new Promise<void>((r) => {
            timer = setTimeout(() => {
              if (c.exitCode === undefined) c.process.kill('SIGKILL')
              r()
            }, graceMs)
          })
          await Promise.race([c.exited, killed])
          codes.set(c.id, await c.exited)
          clearTimeout(timer)
        }),
      )
      this.rpc.close()
      return codes
    })()
    return this.stopping
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
