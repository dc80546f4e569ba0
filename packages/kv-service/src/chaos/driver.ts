/**
 * The chaos monkey: N real `raftkit serve` processes, C concurrent clients recording a history,
 * and a seeded schedule of faults — SIGKILL and restart (the leader too), network partitions
 * through the nodes' fault controls, SIGSTOP/SIGCONT pauses. At the end: heal, read every key,
 * check the history for linearizability and the acknowledged writes for durability. Against a
 * sharded cluster (sharded.ts) it also migrates shards between replica groups under the faults.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { ClusterConfig } from '../index.js'
import { loadClusterConfig } from '../index.js'
import { createRng } from '@raftkit/raft-core'
import type { CheckVerdict } from '@raftkit/linearizability'
import { kvModel, writeHtmlReport } from '@raftkit/linearizability'
import { checkKeyByKey } from './check.js'
import { CompactKvRecorder } from './compact-history.js'
import type { LeaderInfo } from './admin.js'
import { ClusterAdmin, delay } from './admin.js'
import { NodeProcesses, initClusterDir } from './processes.js'
import type { FaultKind, FaultRates, FaultStep } from './schedule.js'
import { faultSchedule, totalRate } from './schedule.js'
import { MembersClient, readClientTls } from '../index.js'
import { formatHostPort } from '../config/cluster-config.js'
import type { LeadersOf } from './inject.js'
import { healAll, injectFault, restoreMembers, seconds } from './inject.js'
import { Workload, duplicatedWrites, finalReads, monotonicClock } from './workload.js'
import { hasShardSection } from '../cli/extension.js'
import type { ShardedChaosCluster } from './sharded.js'
import { loadShardedChaos } from './sharded.js'
import type { ChaosResult } from './summary.js'
import { summary } from './summary.js'

export type { ChaosResult } from './summary.js'

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
  /**
   * How the workload's clients reach the nodes: HTTP (default) or the WebSocket RPC, one
   * connection per node shared by every client (single-group clusters only).
   */
  readonly protocol?: 'http' | 'ws'
  /** A new cluster is sharded, with this many replica groups (`raftkit init --groups`). */
  readonly groups?: number
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

/** Polls the leaders in the background and counts leader changes (of every group). */
class LeaderMonitor {
  private readonly last = new Map<string, LeaderInfo>()
  changes = 0
  private stopped = false
  private readonly loop: Promise<void>

  constructor(private readonly leaders: LeadersOf) {
    this.loop = this.run()
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      for (const [group, l] of await this.leaders(400)) {
        const last = this.last.get(group)
        if (!last || l.term > last.term) {
          if (last) this.changes++
          this.last.set(group, l)
        }
      }
      await delay(250)
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.loop
  }
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
  const plugin =
    options.groups !== undefined ||
    (options.configFile !== undefined && (await hasShardSection(options.configFile)))
      ? await loadShardedChaos()
      : undefined
  const rates: FaultRates =
    plugin && options.rates.migrate === undefined ? { ...options.rates, migrate: 1 } : options.rates
  if (plugin && ((rates.transfer ?? 0) > 0 || (rates.member ?? 0) > 0))
    throw new Error(
      'leadership transfers and membership changes are not supported on sharded clusters',
    )
  if (!plugin && (rates.migrate ?? 0) > 0)
    throw new Error('--migrate-rate needs a sharded cluster (--groups G, or a sharded --config)')
  if (plugin && options.protocol === 'ws')
    throw new Error('--protocol ws is not supported on sharded clusters')
  if (options.configFile !== undefined) {
    configFile = resolve(options.configFile)
    dir = resolve(options.dir ?? dirname(configFile))
  } else {
    temporary = options.dir === undefined
    dir = temporary ? await mkdtemp(join(tmpdir(), 'raftkit-chaos-')) : resolve(options.dir!)
    configFile = join(dir, 'cluster.json')
    if (!existsSync(configFile)) {
      if (plugin) await plugin.init(dir, options.nodes, options.groups ?? 1, { tls: options.tls })
      else await initClusterDir(dir, options.nodes, { tls: options.tls })
    }
  }
  const sharded: ShardedChaosCluster | undefined = plugin
    ? await plugin.open(configFile)
    : undefined
  const config: ClusterConfig = sharded?.config ?? (await loadClusterConfig(configFile))
  const ids = config.nodes.map((n) => n.id)
  const admin = new ClusterAdmin(config)
  const leaders: LeadersOf = sharded
    ? (t) => sharded.leaders(t)
    : async (t) => {
        const l = await admin.leader(undefined, t)
        return new Map(l ? [['', l]] : [])
      }
  const already = [...(await admin.statuses()).entries()].filter(([, s]) => s !== undefined)
  if (already.length > 0)
    throw new Error(
      `nodes of ${configFile} are already running (${already.map(([id]) => id).join(', ')}); stop them first: the chaos monkey starts its own`,
    )
  const logDir = join(dir, 'logs')
  io.out(
    `cluster: ${configFile} (${ids.length} nodes); node logs in ${logDir}\n` +
      `workload: ${options.clients} clients on ${options.keys} keys for ${seconds(options.durationMs)}; ` +
      `faults: kill ${rates.kill}, partition ${rates.partition}, pause ${rates.pause}, ` +
      (sharded
        ? `migrate ${rates.migrate ?? 0} `
        : `transfer ${rates.transfer ?? 0}, member ${rates.member ?? 0} `) +
      `(leader bias ${options.leaderBias}), each ${options.faultMs[0]}-${options.faultMs[1]} ms, ` +
      `gaps ${options.gapMs[0]}-${options.gapMs[1]} ms\n`,
  )
  const nodes = new NodeProcesses({
    configFile,
    ids,
    logDir,
    serveArgs: ['--log-level', options.logLevel],
  })
  const recorder = new CompactKvRecorder(monotonicClock)
  const rng = createRng(options.seed)
  const scheduleRng = rng.fork()
  const workloadRng = rng.fork()
  const faults: Record<FaultKind, number> = {
    kill: 0,
    partition: 0,
    pause: 0,
    transfer: 0,
    member: 0,
    migrate: 0,
  }
  const clientTls = readClientTls(config)
  const members = new MembersClient({
    endpoints: config.nodes.map((n) => formatHostPort(n.http)),
    secret: config.secret,
    deadlineMs: 30_000,
    ...(clientTls ? { tls: clientTls } : {}),
  })
  // Fresh keys for every run: an existing cluster keeps the data of earlier runs, and the
  // checker starts every key empty. Consecutive first characters: a sharded cluster maps a key
  // to a shard by its first character, so the keys spread over the shards.
  const run = Date.now().toString(36)
  const keys = Array.from(
    { length: options.keys },
    (_, i) => `${String.fromCharCode(97 + (i % 26))}-chaos-${run}-k${i}`,
  )
  let workload: Workload | undefined
  let monitor: LeaderMonitor | undefined
  let interrupted = false
  let outcome: CheckVerdict | undefined
  try {
    nodes.startAll()
    if (sharded) {
      await sharded.prepare(say, signal)
      say('starting the workload')
    } else {
      const first = await admin.waitForLeader(60_000, signal ? { signal } : {})
      say(
        `leader ${first.id} (term ${first.term}); starting the workload${options.protocol === 'ws' ? ' (clients over the WebSocket RPC)' : ''}`,
      )
    }
    monitor = new LeaderMonitor(leaders)
    workload = new Workload({
      config,
      clients: options.clients,
      keys,
      rng: workloadRng,
      recorder,
      deadlineMs: options.opTimeoutMs,
      ...(options.protocol !== undefined ? { protocol: options.protocol } : {}),
    })
    workload.start()

    // ---- the faults ----
    const end = Date.now() + options.durationMs
    const anyFaults = totalRate(rates) > 0
    const steps = faultSchedule(scheduleRng, ids.length, { ...options, rates })
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
        leaders,
        sharded,
      })
      faults[step.kind]++
    }
    interrupted = signal?.aborted ?? false

    // ---- repair, drain, final reads ----
    say(interrupted ? 'interrupted: repairing the cluster' : 'time is up: repairing the cluster')
    for (const id of ids) nodes.resume(id)
    for (const id of ids) if (nodes.state(id) === 'down') nodes.start(id)
    await healAll(admin, ids)
    if ((rates.member ?? 0) > 0) await restoreMembers(members, config, ids, say)
    let unsettled: string | undefined
    if (sharded && !interrupted) {
      unsettled = await sharded.settle(60_000)
      say(
        unsettled === undefined ? 'every shard settled on its group' : `not settled: ${unsettled}`,
      )
    } else if (!interrupted) {
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
    say(`checking ${recorder.size} operations for linearizability...`)
    const check = checkKeyByKey(recorder, finals, options.checkTimeoutMs)
    const lostWrites = check.lostWrites
    const duplicates = duplicatedWrites(finals)
    let reportPath: string | undefined
    if (check.result === 'illegal' || lostWrites.length > 0 || duplicates.length > 0) {
      reportPath = await writeHtmlReport(
        options.reportPath ?? join(dir, 'chaos-report.html'),
        kvModel,
        check.report,
        `raftkit chaos, seed ${options.seed}`,
      )
    }
    const verdict: CheckVerdict =
      lostWrites.length > 0 || duplicates.length > 0 ? 'illegal' : check.result
    outcome = unsettled === undefined ? verdict : 'illegal'
    const exitCode =
      verdict === 'illegal' || unsettled !== undefined
        ? 1
        : interrupted
          ? 130
          : verdict === 'unknown'
            ? 3
            : 0
    const result: ChaosResult = {
      seed: options.seed,
      dir,
      verdict,
      lostWrites,
      duplicatedWrites: duplicates,
      sharded: sharded !== undefined,
      migrations: sharded?.migrations ?? 0,
      ...(unsettled !== undefined ? { unsettled } : {}),
      ops: workload.counts,
      operationsRecorded: recorder.size,
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
    sharded?.close()
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
