/**
 * Real `raftkit serve` processes on this machine: start, SIGKILL, restart, SIGSTOP/SIGCONT and a
 * clean stop, with every child killed when this process exits (even after an error).
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { raftkitInvocation, type CliInvocation } from '../cli/invocation.js'
import { ignoreStdinErrors, supervisedSpawnOptions } from '../cli/supervised-node.js'
import { ResumeGuard } from './resume-guard.js'

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs one `raftkit` command to completion (killed after `timeoutMs`). */
export function runRaftkit(args: readonly string[], timeoutMs = 60_000): Promise<CliResult> {
  const cli = raftkitInvocation()
  return new Promise((resolveRun, reject) => {
    const child = spawn(cli.command, [...cli.args, ...args], {
      cwd: cli.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    track(child)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolveRun({ code, stdout, stderr })
    })
  })
}

/**
 * `raftkit init --nodes N --dir D [--tls]` (free loopback ports; with `tls`, a CA and node
 * certificates made by openssl); returns the cluster file's path.
 */
export async function initClusterDir(
  dir: string,
  nodes: number,
  options: { readonly tls?: boolean } = {},
): Promise<string> {
  const args = ['init', '--nodes', String(nodes), '--dir', resolve(dir)]
  const r = await runRaftkit(options.tls ? [...args, '--tls'] : args)
  if (r.code !== 0) throw new Error(`raftkit init failed (exit ${String(r.code)}): ${r.stderr}`)
  return join(resolve(dir), 'cluster.json')
}

// ---- cleanup of every child on exit ---------------------------------------------------------

const live = new Set<ChildProcess>()
let exitHookInstalled = false

function track(child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', killEveryChild)
  }
}

/** SIGKILLs every child process started by this module that is still running. Synchronous. */
export function killEveryChild(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
}

// ---- the nodes ------------------------------------------------------------------------------

export type NodeState = 'down' | 'running' | 'paused'

export interface ExitInfo {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

interface Proc {
  readonly child: ChildProcess
  readonly exited: Promise<ExitInfo>
  exit?: ExitInfo
  paused: boolean
}

export interface NodeProcessesOptions {
  /** The cluster file every node is started with. */
  readonly configFile: string
  /** Node ids of the cluster file. */
  readonly ids: readonly string[]
  /** Each node's stdout and stderr (its JSON log) are appended to `<logDir>/<id>.log`. */
  readonly logDir: string
  /** Extra `serve` arguments, e.g. ['--log-level', 'warn']. */
  readonly serveArgs?: readonly string[]
  /** Extra arguments for node itself, before the script (e.g. ['--cpu-prof']). */
  readonly nodeArgs?: readonly string[]
  /** Which CLI the nodes run (see raftkitInvocation); default 'auto'. */
  readonly cli?: 'auto' | 'built'
}

/** One `raftkit serve` child per node id, each restartable. */
export class NodeProcesses {
  private readonly idList: string[]
  /** Nodes started with `raftkit serve --join` (not in the cluster file): their extra arguments. */
  private readonly joining = new Map<string, readonly string[]>()
  private readonly procs = new Map<string, Proc>()
  private readonly cli: CliInvocation
  /** Exits that nobody asked for (a node crashed or could not start). */
  readonly unexpectedExits: { id: string; exit: ExitInfo }[] = []
  private readonly expected = new Set<ChildProcess>()
  /** Resumes the paused nodes if this process dies (see resume-guard.ts). */
  private readonly guard = new ResumeGuard()

  constructor(private readonly options: NodeProcessesOptions) {
    this.idList = [...options.ids]
    this.cli = raftkitInvocation(options.cli)
    mkdirSync(options.logDir, { recursive: true })
  }

  /** Every node id: the cluster file's, then the joining ones (addJoining). */
  get ids(): readonly string[] {
    return this.idList
  }

  /**
   * Registers a node that is not in the cluster file: start(id) runs `raftkit serve --join
   * --config F --id ID` with `args` (--peer, --http, --data-dir). It is not started here.
   */
  addJoining(id: string, args: readonly string[]): void {
    if (this.idList.includes(id)) throw new Error(`node ${id} is already known`)
    this.idList.push(id)
    this.joining.set(id, [...args])
  }

  /** The script every node runs (the built bin, or the sources through tsx). */
  get script(): string {
    return this.cli.args[this.cli.args.length - 1] ?? ''
  }

  state(id: string): NodeState {
    const p = this.procs.get(id)
    if (!p || p.exit) return 'down'
    return p.paused ? 'paused' : 'running'
  }

  pid(id: string): number | undefined {
    const p = this.procs.get(id)
    return p && !p.exit ? p.child.pid : undefined
  }

  /** Starts the node's process; it must not be running. */
  start(id: string): void {
    this.check(id)
    if (this.state(id) !== 'down') throw new Error(`node ${id} is already running`)
    const log = openSync(join(this.options.logDir, `${id}.log`), 'a')
    let child: ChildProcess
    try {
      child = spawn(
        this.cli.command,
        [
          ...(this.options.nodeArgs ?? []),
          ...this.cli.args,
          'serve',
          ...(this.joining.has(id) ? ['--join'] : []),
          '--config',
          resolve(this.options.configFile),
          '--id',
          id,
          ...(this.joining.get(id) ?? []),
          ...(this.options.serveArgs ?? []),
        ],
        // Own process group: a Ctrl-C in the terminal reaches only the driver, which stops the
        // nodes itself (and can resume paused ones first). The node stops when its stdin pipe
        // ends: when the driver is gone, even by SIGKILL (a paused one once resume-guard.ts has
        // resumed it).
        { cwd: this.cli.cwd, ...supervisedSpawnOptions(log), detached: true },
      )
      ignoreStdinErrors(child)
    } finally {
      closeSync(log)
    }
    track(child)
    const proc: Proc = {
      child,
      paused: false,
      exited: new Promise<ExitInfo>((resolveExit) => {
        const done = (exit: ExitInfo): void => {
          if (proc.exit) return
          proc.exit = exit
          if (proc.paused && child.pid !== undefined) this.guard.resumed(child.pid)
          if (!this.expected.delete(child)) this.unexpectedExits.push({ id, exit })
          resolveExit(exit)
        }
        child.once('exit', (code, signal) => done({ code, signal }))
        child.once('error', () => done({ code: null, signal: null }))
      }),
    }
    this.procs.set(id, proc)
  }

  startAll(): void {
    for (const id of this.ids) if (this.state(id) === 'down') this.start(id)
  }

  /** kill -9: the node loses everything not yet on disk. Resolves when the process is gone. */
  async kill(id: string): Promise<ExitInfo | undefined> {
    const p = this.live(id)
    if (!p) return undefined
    this.expected.add(p.child)
    p.child.kill('SIGKILL')
    return p.exited
  }

  /** SIGSTOP: the process stays but does nothing (no heartbeats, no answers). */
  pause(id: string): void {
    const p = this.live(id)
    if (!p || p.paused || p.child.pid === undefined) return
    this.guard.pausing(p.child.pid)
    p.child.kill('SIGSTOP')
    p.paused = true
  }

  /** SIGCONT after pause(). */
  resume(id: string): void {
    const p = this.live(id)
    if (!p || !p.paused) return
    p.child.kill('SIGCONT')
    p.paused = false
    if (p.child.pid !== undefined) this.guard.resumed(p.child.pid)
  }

  /** SIGTERM (a clean shutdown), SIGKILL after `graceMs`; resolves with the exit. */
  async stop(id: string, graceMs = 10_000): Promise<ExitInfo | undefined> {
    const p = this.live(id)
    if (!p) return this.procs.get(id)?.exit
    this.expected.add(p.child)
    this.resume(id)
    p.child.kill('SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const forced = new Promise<void>((r) => {
      timer = setTimeout(() => {
        if (!p.exit) p.child.kill('SIGKILL')
        r()
      }, graceMs)
    })
    await Promise.race([p.exited, forced])
    clearTimeout(timer)
    return p.exited
  }

  /** Stops every node (SIGTERM, SIGKILL after `graceMs`); returns each node's exit. */
  async stopAll(graceMs = 10_000): Promise<Map<string, ExitInfo | undefined>> {
    const exits = await Promise.all(this.ids.map(async (id) => [id, await this.stop(id, graceMs)]))
    this.guard.close()
    return new Map(exits as [string, ExitInfo | undefined][])
  }

  /** Resolves when the node's current process exits (immediately if it is down). */
  async exited(id: string): Promise<ExitInfo | undefined> {
    return this.procs.get(id)?.exited
  }

  private live(id: string): Proc | undefined {
    this.check(id)
    const p = this.procs.get(id)
    return p && !p.exit ? p : undefined
  }

  private check(id: string): void {
    if (!this.ids.includes(id)) throw new Error(`unknown node ${JSON.stringify(id)}`)
  }
}
