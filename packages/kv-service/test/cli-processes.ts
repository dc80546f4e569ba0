/**
 * Child `raftkit` processes for the multi-process backup tests: run a command to its end,
 * serve every node of a cluster file (stopped with SIGTERM, each expected to exit 0), find the
 * leader's HTTP address (bounded), and kill whatever is left after a test (SIGKILL).
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { expect } from 'chai'
import { raftkitInvocation } from '../src/cli/invocation.js'
import type { ClusterConfig } from '../src/config/cluster-config.js'
import { formatHostPort } from '../src/config/cluster-config.js'
import { call } from './http-helpers.js'

export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export class CliProcesses {
  private readonly children: ChildProcess[] = []

  /** Starts `raftkit ARGS`; `done` resolves when it has exited and its output ended. */
  start(args: readonly string[]): { child: ChildProcess; done: Promise<Run> } {
    const cli = raftkitInvocation()
    const child = spawn(cli.command, [...cli.args, ...args], {
      cwd: cli.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.children.push(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const done = new Promise<Run>((resolve) =>
      child.once('close', (code) => resolve({ code, stdout, stderr })),
    )
    return { child, done }
  }

  run(args: readonly string[]): Promise<Run> {
    return this.start(args).done
  }

  /** Starts every node of `config` with `raftkit serve`; resolves with a stop function. */
  serveAll(file: string, config: ClusterConfig): () => Promise<void> {
    const nodes = config.nodes.map((n) => this.start(['serve', '--config', file, '--id', n.id]))
    return async () => {
      for (const n of nodes) n.child.kill('SIGTERM')
      for (const n of nodes) expect((await n.done).code).to.equal(0)
    }
  }

  /** The leader's HTTP address, once one node of `config` says it leads (60 s at most). */
  async leaderOf(config: ClusterConfig): Promise<string> {
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      for (const n of config.nodes) {
        const address = formatHostPort(n.http)
        const r = await call(`http://${address}/v1/status`).catch(() => undefined)
        if (r?.status === 200 && (JSON.parse(r.body) as { role: string }).role === 'leader')
          return address
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('no leader within 60 s')
  }

  /** Kills (SIGKILL) every child still running. */
  killAll(): void {
    for (const c of this.children)
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    this.children.length = 0
  }
}
