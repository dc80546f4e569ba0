/**
 * Runs extracted README examples (see readme-examples.ts): writes them into a folder from which
 * the packages resolve, compiles them with tsc, and runs each the way its block says. Used by
 * test/readme (against the sources) and scripts/pack-examples.ts (against packed tarballs).
 */
import type { ChildProcess } from 'node:child_process'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@raftkit/kv-service'
import type { ReadmeExample } from './readme-examples.js'

export interface ExampleEnv {
  /** The folder the examples are written to (packages must resolve from there). */
  readonly dir: string
  /** node flags that load TypeScript (and pick the source condition, in the repository). */
  readonly nodeFlags: readonly string[]
  /** Path of mocha's bin/mocha.js. */
  readonly mochaBin: string
  /** Path of typescript's bin/tsc. */
  readonly tscBin: string
  /** compilerOptions for the examples' tsconfig.json. */
  readonly compilerOptions: Record<string, unknown>
  /** `extends` for that tsconfig.json, if any. */
  readonly extendsConfig?: string
}

export interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly output: string
}

export function writeExamples(env: ExampleEnv, examples: readonly ReadmeExample[]): void {
  mkdirSync(env.dir, { recursive: true })
  for (const e of examples) writeFileSync(join(env.dir, e.fileName), e.code)
  const tsconfig = {
    ...(env.extendsConfig ? { extends: env.extendsConfig } : {}),
    compilerOptions: env.compilerOptions,
    include: examples.map((e) => e.fileName),
  }
  writeFileSync(join(env.dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
}

/** tsc over every example at once; returns tsc's output ('' when it compiles). */
export function compileExamples(env: ExampleEnv): string {
  const r = spawnSync(process.execPath, [env.tscBin, '-p', join(env.dir, 'tsconfig.json')], {
    encoding: 'utf8',
  })
  return r.status === 0 ? '' : `${r.stdout}${r.stderr}` || `tsc exited with ${r.status}`
}

function collect(child: ChildProcess): () => string {
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (output += s))
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (output += s))
  return () => output
}

function finish(child: ChildProcess, timeoutMs: number): Promise<RunResult> {
  const output = collect(child)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, output: output() })
    })
  })
}

/** A fresh working directory, so examples that write files (./data/n1) start from nothing. */
export function freshCwd(): string {
  return mkdtempSync(join(tmpdir(), 'raftkit-readme-'))
}

export function removeCwd(cwd: string): void {
  rmSync(cwd, { recursive: true, force: true })
}

export function runProgram(
  env: ExampleEnv,
  e: ReadmeExample,
  cwd: string,
  timeoutMs: number,
): Promise<RunResult> {
  const child = spawn(process.execPath, [...env.nodeFlags, join(env.dir, e.fileName)], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return finish(child, timeoutMs)
}

export function runMocha(
  env: ExampleEnv,
  e: ReadmeExample,
  cwd: string,
  timeoutMs: number,
): Promise<RunResult> {
  const args = [...env.nodeFlags, env.mochaBin, '--no-config', '--timeout', '120000']
  if (e.grep !== undefined) args.push('--grep', e.grep)
  args.push(join(env.dir, e.fileName))
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  return finish(child, timeoutMs)
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

interface NodeRun {
  readonly child: ChildProcess
  readonly output: () => string
  readonly done: Promise<RunResult>
}

function startNode(env: ExampleEnv, e: ReadmeExample, cwd: string, args: string[]): NodeRun {
  const child = spawn(process.execPath, [...env.nodeFlags, join(env.dir, e.fileName), ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = collect(child)
  const done = new Promise<RunResult>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, output: output() })),
  )
  return { child, output, done }
}

async function waitFor(
  runs: readonly NodeRun[],
  test: (output: string) => boolean,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (runs.every((r) => test(r.output()))) return true
    await sleep(100)
  }
  return false
}

/**
 * The cluster-node example, as its README section describes: three processes with the same
 * addresses, each must apply entries; SIGTERM stops each cleanly (exit 0); restarted on the same
 * data directories, each replays what it had applied and applies more. Returns what went wrong,
 * or undefined.
 */
export async function runClusterNode(
  env: ExampleEnv,
  e: ReadmeExample,
  cwd: string,
  timeoutMs: number,
): Promise<string | undefined> {
  const ids = ['n1', 'n2', 'n3']
  const ports = [await freePort(), await freePort(), await freePort()]
  const addresses = ids.map((id, i) => `${id}=127.0.0.1:${ports[i]}`)
  const describe = (runs: readonly NodeRun[]): string =>
    runs.map((r, i) => `--- ${ids[i]}:\n${r.output()}`).join('\n')
  const applied = (n: number) => (output: string) => new RegExp(`applied #${n}\\b`).test(output)
  const stopAll = async (runs: readonly NodeRun[]): Promise<RunResult[]> => {
    for (const r of runs) r.child.kill('SIGTERM')
    const killer = setTimeout(() => runs.forEach((r) => r.child.kill('SIGKILL')), 10_000)
    const results = await Promise.all(runs.map((r) => r.done))
    clearTimeout(killer)
    return results
  }
  const round = async (label: string, until: number): Promise<string | NodeRun[]> => {
    const runs = ids.map((id) => startNode(env, e, cwd, [id, ...addresses]))
    const ok = await waitFor(runs, applied(until), timeoutMs / 2)
    const results = await stopAll(runs)
    if (!ok) return `${label}: not every node applied entry #${until}\n${describe(runs)}`
    const bad = results.findIndex((r) => r.code !== 0)
    if (bad >= 0)
      return `${label}: ${ids[bad]} exited with ${results[bad]?.code ?? results[bad]?.signal}\n${describe(runs)}`
    return runs
  }
  const first = await round('first run', 3)
  if (typeof first === 'string') return first
  const highest = Math.max(
    ...first.flatMap((r) => [...r.output().matchAll(/applied #(\d+)/g)].map((m) => Number(m[1]))),
  )
  // Restarted on the same directories: each node's apply stream replays from index 1 (no
  // snapshot yet below 10) and the cluster goes on past where it stopped.
  const second = await round('after a restart', highest + 2)
  if (typeof second === 'string') return second
  const missing = second.findIndex((r) => !/applied #1\b|restored a snapshot/.test(r.output()))
  if (missing >= 0) return `after a restart: ${ids[missing]} did not replay\n${describe(second)}`
  return undefined
}
