/**
 * The chaos monkey: N real `raftkit serve` processes, C concurrent clients recording a history,
 * and a seeded schedule of faults — SIGKILL and restart (the leader too), network partitions
 * through the nodes' fault controls, SIGSTOP/SIGCONT pauses. At the end: heal, read every key,
 * check the history for linearizability and the acknowledged writes for durability.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { ClusterConfig } from '../index.js'
import { loadClusterConfig } from '../index.js'
import { createRng } from '@raftkit/raft-core'
import type { CheckVerdict } from '@raftkit/linearizability'
import { checkOperations, kvModel, writeHtmlReport } from '@raftkit/linearizability'
import type { LeaderInfo } from './admin.js'
import { ClusterAdmin, delay } from './admin.js'
import { NodeProcesses, initClusterDir } from './processes.js'
import type { FaultKind, FaultRates, FaultStep } from './schedule.js'
import { faultSchedule, pickNode, splitGroups, totalRate } from './schedule.js'
import { MembersClient, readClientTls } from '../index.js'
import { formatHostPort } from '../config/cluster-config.js'
import type { LostWrite, OpCounts } from './workload.js'
import { Workload, finalReads, lostAcknowledgedWrites, newRecorder } from './workload.js'

export interface ChaosOptions {
  /** An existing cluster file (its nodes must not be running). Else one is made with `raftkit init`. */
  readonly configFile?: string
  /** Nodes of a new cluster (default 3). */
  readonly nodes: number
  /** Folder for a new cluster (default: a temporary one), and for logs and the report. */
  readonly dir?: string
  /** Keep a temporary folder even when the run passed. */
  readonly keep: boolean
  /** A new cluster is made with TLS (`raftkit init --tls`). */
  readonly tls: boolean
  readonly durationMs: number
  readonly clients: number
  readonly keys: number
  readonly seed: number
  readonly rates: FaultRates
  readonly leaderBias: number
  readonly faultMs: readonly [number, number]
  readonly gapMs: readonly [number, number]
  /** Deadline of one client operation (then its outcome is unknown). */
  readonly opTimeoutMs: number
  /** Time budget of the linearizability check. */
  readonly checkTimeoutMs: number
  /** Where the HTML report goes on failure (default `<dir>/chaos-report.html`). */
  readonly reportPath?: string
  /** The nodes' log level. */
  readonly logLevel: string
  /** No line per fault. */
  readonly quiet: boolean
}

export const DEFAULT_CHAOS_OPTIONS: ChaosOptions = Object.freeze({
  nodes: 3,
  keep: false,
  tls: false,
  durationMs: 60_000,
  clients: 4,
  keys: 4,
  seed: 1,
  rates: Object.freeze({ kill: 1, partition: 1, pause: 1 }),
  leaderBias: 0.5,
  faultMs: Object.freeze([1000, 4000] as const),
  gapMs: Object.freeze([500, 2000] as const),
  opTimeoutMs: 5000,
  checkTimeoutMs: 60_000,
  logLevel: 'info',
  quiet: false,
})

export interface ChaosIo {
  readonly out: (text: string) => void
  /** Aborting ends the run early (Ctrl-C): faults are repaired, the partial history checked. */
  readonly signal?: AbortSignal
}

export interface ChaosResult {
  readonly seed: number
  readonly dir: string
  /** ok: linearizable and no acknowledged write lost. */
  readonly verdict: CheckVerdict
  readonly lostWrites: readonly LostWrite[]
  readonly ops: OpCounts
  readonly operationsRecorded: number
  /** Leader changes observed by polling /v1/status (new leader or new term). */
  readonly failovers: number
  readonly faults: Readonly<Record<FaultKind, number>>
  readonly interrupted: boolean
  readonly explanation?: string
  readonly reportPath?: string
  /** 0 pass, 1 illegal history or lost writes, 3 check inconclusive, 130 interrupted. */
  readonly exitCode: number
}

/** Polls the leader in the background and counts leader changes. */
class LeaderMonitor {
  private last: LeaderInfo | undefined
  changes = 0
  private stopped = false
  private readonly loop: Promise<void>

  constructor(private readonly admin: ClusterAdmin) {
    this.loop = this.run()
  }

  get current(): LeaderInfo | undefined {
    return this.last
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const l = await this.admin.leader(undefined, 400)
      if (l && (!this.last || l.term > this.last.term)) {
        if (this.last && (l.id !== this.last.id || l.term !== this.last.term)) this.changes++
        this.last = l
      }
      await delay(250)
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.loop
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

/** Runs one chaos session; see ChaosOptions. Throws only on setup errors (bad config, ...). */
export async function runChaos(options: ChaosOptions, io: ChaosIo): Promise<ChaosResult> {
  const t0 = Date.now()
  const say = (line: string): void =>
    io.out(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`)
  const signal = io.signal
  io.out(`chaos seed: ${options.seed} (replay this fault schedule with --seed ${options.seed})\n`)

  // ---- the cluster ----
  let temporary = false
  let dir: string
  let configFile: string
  if (options.configFile !== undefined) {
    configFile = resolve(options.configFile)
    dir = resolve(options.dir ?? dirname(configFile))
  } else {
    temporary = options.dir === undefined
    dir = temporary ? await mkdtemp(join(tmpdir(), 'raftkit-chaos-')) : resolve(options.dir!)
    configFile = join(dir, 'cluster.json')
    if (!existsSync(configFile)) await initClusterDir(dir, options.nodes, { tls: options.tls })
  }
  const config: ClusterConfig = await loadClusterConfig(configFile)
  const ids = config.nodes.map((n) => n.id)
  const admin = new ClusterAdmin(config)
  const already = [...(await admin.statuses()).entries()].filter(([, s]) => s !== undefined)
  if (already.length > 0)
    throw new Error(
      `nodes of ${configFile} are already running (${already.map(([id]) => id).join(', ')}); stop them first: the chaos monkey starts its own`,
    )
  const logDir = join(dir, 'logs')
  io.out(
    `cluster: ${configFile} (${ids.length} nodes); node logs in ${logDir}\n` +
      `workload: ${options.clients} clients on ${options.keys} keys for ${seconds(options.durationMs)}; ` +
      `faults: kill ${options.rates.kill}, partition ${options.rates.partition}, pause ${options.rates.pause}, transfer ${options.rates.transfer ?? 0}, member ${options.rates.member ?? 0} ` +
      `(leader bias ${options.leaderBias}), each ${options.faultMs[0]}-${options.faultMs[1]} ms, ` +
      `gaps ${options.gapMs[0]}-${options.gapMs[1]} ms\n`,
  )
  const nodes = new NodeProcesses({
    configFile,
    ids,
    logDir,
    serveArgs: ['--log-level', options.logLevel],
  })
  const recorder = newRecorder()
  const rng = createRng(options.seed)
  const scheduleRng = rng.fork()
  const workloadRng = rng.fork()
  const faults: Record<FaultKind, number> = {
    kill: 0,
    partition: 0,
    pause: 0,
    transfer: 0,
    member: 0,
  }
  const clientTls = readClientTls(config)
  const members = new MembersClient({
    endpoints: config.nodes.map((n) => formatHostPort(n.http)),
    secret: config.secret,
    deadlineMs: 30_000,
    ...(clientTls ? { tls: clientTls } : {}),
  })
  // Fresh keys for every run: an existing cluster keeps the data of earlier runs, and the
  // checker starts every key empty.
  const run = Date.now().toString(36)
  const keys = Array.from({ length: options.keys }, (_, i) => `chaos-${run}-k${i}`)
  let workload: Workload | undefined
  let monitor: LeaderMonitor | undefined
  let interrupted = false
  let outcome: CheckVerdict | undefined
  try {
    nodes.startAll()
    const first = await admin.waitForLeader(60_000, signal ? { signal } : {})
    say(`leader ${first.id} (term ${first.term}); starting the workload`)
    monitor = new LeaderMonitor(admin)
    workload = new Workload({
      config,
      clients: options.clients,
      keys,
      rng: workloadRng,
      recorder,
      deadlineMs: options.opTimeoutMs,
    })
    workload.start()

    // ---- the faults ----
    const end = Date.now() + options.durationMs
    const anyFaults = totalRate(options.rates) > 0
    const steps = faultSchedule(scheduleRng, ids.length, options)
    while (Date.now() < end && !signal?.aborted) {
      if (!anyFaults) {
        await delay(end - Date.now(), signal)
        break
      }
      const step = steps.next().value as FaultStep
      await delay(Math.min(step.gapMs, end - Date.now()), signal)
      if (Date.now() >= end || signal?.aborted) break
      await injectFault(step, {
        nodes,
        admin,
        ids,
        say,
        signal,
        quiet: options.quiet,
        members,
        config,
      })
      faults[step.kind]++
    }
    interrupted = signal?.aborted ?? false

    // ---- repair, drain, final reads ----
    say(interrupted ? 'interrupted: repairing the cluster' : 'time is up: repairing the cluster')
    for (const id of ids) nodes.resume(id)
    for (const id of ids) if (nodes.state(id) === 'down') nodes.start(id)
    await healAll(admin, ids)
    if ((options.rates.member ?? 0) > 0) await restoreMembers(members, config, ids, say)
    if (!interrupted) {
      const l = await admin.waitForLeader(60_000).catch(() => undefined)
      say(l ? `leader ${l.id} (term ${l.term}); stopping the workload` : 'no leader after repair!')
    }
    await workload.stop(interrupted ? 1000 : options.opTimeoutMs)
    await monitor.stop()
    const finals = interrupted
      ? new Map<string, string>()
      : await finalReads(config, recorder, keys)
    if (!interrupted && finals.size < keys.length)
      say(`final reads: only ${finals.size} of ${keys.length} keys could be read`)

    // ---- the verdict ----
    const history = recorder.operations()
    say(`checking ${history.length} operations for linearizability...`)
    const check = checkOperations(kvModel, history, { timeoutMs: options.checkTimeoutMs })
    const lostWrites = lostAcknowledgedWrites(history, finals)
    let reportPath: string | undefined
    if (check.result === 'illegal' || lostWrites.length > 0) {
      reportPath = await writeHtmlReport(
        options.reportPath ?? join(dir, 'chaos-report.html'),
        kvModel,
        check,
        `raftkit chaos, seed ${options.seed}`,
      )
    }
    const verdict: CheckVerdict = lostWrites.length > 0 ? 'illegal' : check.result
    outcome = verdict
    const exitCode = verdict === 'illegal' ? 1 : interrupted ? 130 : verdict === 'unknown' ? 3 : 0
    const result: ChaosResult = {
      seed: options.seed,
      dir,
      verdict,
      lostWrites,
      ops: workload.counts,
      operationsRecorded: history.length,
      failovers: monitor.changes,
      faults,
      interrupted,
      ...(check.explanation !== undefined ? { explanation: check.explanation } : {}),
      ...(reportPath !== undefined ? { reportPath } : {}),
      exitCode,
    }
    io.out(summary(result, workload, nodes))
    return result
  } finally {
    if (workload) await workload.stop(0)
    if (monitor) await monitor.stop()
    const exits = await nodes.stopAll()
    const unclean = [...exits].filter(([, e]) => e && e.code !== 0)
    if (unclean.length > 0)
      io.out(
        `nodes that did not stop cleanly: ${unclean.map(([id, e]) => `${id} (${e?.signal ?? String(e?.code)})`).join(', ')}\n`,
      )
    if (temporary) {
      if (options.keep || outcome !== 'ok') io.out(`cluster folder kept: ${dir}\n`)
      else await rm(dir, { recursive: true, force: true })
    }
  }
}

interface FaultContext {
  readonly nodes: NodeProcesses
  readonly admin: ClusterAdmin
  readonly ids: readonly string[]
  readonly say: (line: string) => void
  readonly signal: AbortSignal | undefined
  readonly quiet: boolean
  readonly members: MembersClient
  readonly config: ClusterConfig
}

/** Adds back (learner, then voter) every node of the cluster file that is not a voter. */
async function restoreMembers(
  members: MembersClient,
  config: ClusterConfig,
  ids: readonly string[],
  say: (line: string) => void,
): Promise<void> {
  for (const id of ids) {
    const view = await members.list().catch(() => undefined)
    if (!view || view.voters.includes(id)) continue
    await readd(members, config, id).catch((e: unknown) =>
      say(`could not add ${id} back: ${(e as Error).message}`),
    )
  }
}

async function readd(members: MembersClient, config: ClusterConfig, id: string): Promise<void> {
  const spec = config.nodes.find((n) => n.id === id)
  if (!spec) return
  const view = await members.list()
  if (!view.learners.includes(id) && !view.voters.includes(id))
    await members.addLearner({
      id,
      peer: formatHostPort(spec.peer),
      http: formatHostPort(spec.http),
    })
  if (!view.voters.includes(id)) await members.promote(id)
}

async function healAll(admin: ClusterAdmin, ids: readonly string[]): Promise<void> {
  // A node just restarted may not listen yet: retry the ones that did not answer, bounded.
  let pending = [...ids]
  for (let i = 0; i < 20 && pending.length > 0; i++) {
    pending = await admin.heal(pending)
    if (pending.length > 0) await delay(250)
  }
}

/** Applies one fault, holds it, repairs it. */
async function injectFault(step: FaultStep, ctx: FaultContext): Promise<void> {
  const { nodes, admin, ids, signal } = ctx
  const say = ctx.quiet ? () => undefined : ctx.say
  const running = ids.filter((id) => nodes.state(id) === 'running')
  const leader = step.atLeader ? (await admin.leader())?.id : undefined
  const target = leader ?? pickNode(running, step.pick)
  const role = (id: string): string => (id === leader ? ' (the leader)' : '')
  switch (step.kind) {
    case 'kill': {
      if (target === undefined) return
      await nodes.kill(target)
      say(`kill -9 ${target}${role(target)}; restart in ${seconds(step.holdMs)}`)
      await delay(step.holdMs, signal)
      if (nodes.state(target) === 'down') nodes.start(target)
      say(`restarted ${target}`)
      return
    }
    case 'pause': {
      if (target === undefined) return
      nodes.pause(target)
      say(`SIGSTOP ${target}${role(target)} for ${seconds(step.holdMs)}`)
      await delay(step.holdMs, signal)
      nodes.resume(target)
      say(`SIGCONT ${target}`)
      return
    }
    case 'transfer': {
      const current = (await admin.leader())?.id
      const to = pickNode(
        running.filter((id) => id !== current),
        step.pick,
      )
      if (current === undefined || to === undefined) return
      try {
        await ctx.members.transferLeader(to)
        say(`transfer-leader ${current} -> ${to}`)
      } catch (e) {
        say(`transfer-leader ${current} -> ${to} failed: ${(e as Error).message}`)
      }
      await delay(step.holdMs, signal)
      return
    }
    case 'member': {
      if (target === undefined) return
      try {
        await ctx.members.remove(target)
        say(`member remove ${target}${role(target)}; add back in ${seconds(step.holdMs)}`)
        await delay(step.holdMs, signal)
        await readd(ctx.members, ctx.config, target)
        say(`member add + promote ${target}`)
      } catch (e) {
        say(`membership change of ${target} failed: ${(e as Error).message}`)
      }
      return
    }
    case 'partition': {
      const { minority, majority } = splitGroups(ids, step, leader)
      const failed = await admin.partition([minority, majority])
      say(
        `partition {${minority.join(',')}}${leader ? ' (with the leader)' : ''} | {${majority.join(',')}} for ${seconds(step.holdMs)}` +
          (failed.length > 0 ? ` (not told: ${failed.join(',')})` : ''),
      )
      await delay(step.holdMs, signal)
      await healAll(admin, ids)
      say('healed')
      return
    }
  }
}

function summary(r: ChaosResult, workload: Workload, nodes: NodeProcesses): string {
  const b = r.ops.byOp
  const lines = [
    '',
    `chaos summary (seed ${r.seed})${r.interrupted ? ' — interrupted' : ''}`,
    `  operations: ${r.ops.ok + r.ops.unknown} by the workload — ${r.ops.ok} ok, ${r.ops.unknown} unknown outcome` +
      ` (get ${b.get.ok}/${b.get.unknown}, put ${b.put.ok}/${b.put.unknown}, append ${b.append.ok}/${b.append.unknown} ok/unknown);` +
      ` ${r.operationsRecorded} in the checked history`,
    `  failovers observed: ${r.failovers}`,
    `  faults injected: ${r.faults.kill} kill -9 + restart, ${r.faults.partition} partitions, ${r.faults.pause} pauses, ${r.faults.transfer} leadership transfers, ${r.faults.member} membership changes`,
  ]
  if (nodes.unexpectedExits.length > 0)
    lines.push(
      `  unexpected node exits: ${nodes.unexpectedExits.map((e) => `${e.id} (${e.exit.signal ?? String(e.exit.code)})`).join(', ')} — see the node logs`,
    )
  for (const [name, message] of workload.errors)
    lines.push(`  client error seen: ${name}: ${message}`)
  if (r.lostWrites.length > 0) {
    lines.push(`  LOST ACKNOWLEDGED WRITES: ${r.lostWrites.length}`)
    for (const w of r.lostWrites.slice(0, 10))
      lines.push(
        `    ${w.op} ${w.key} ${w.value} acknowledged, final value ${JSON.stringify(w.finalValue.slice(0, 200))}`,
      )
  }
  const verdict =
    r.verdict === 'ok'
      ? 'LINEARIZABLE, no acknowledged write lost'
      : r.verdict === 'illegal'
        ? 'NOT LINEARIZABLE'
        : 'INCONCLUSIVE (the checker ran out of its time budget)'
  lines.push(`  verdict: ${verdict}`)
  if (r.verdict !== 'ok' && r.explanation) lines.push(r.explanation)
  if (r.reportPath) lines.push(`  report: ${r.reportPath}`)
  return lines.join('\n') + '\n'
}
