/**
 * `npm run report [-- --quick]`: runs the measurement matrix (profile.ts) on this machine and
 * writes report/report.json (the raw data) and report/index.html (one self-contained page:
 * inline SVG plots, the tables behind them, commands, machine, load average, date) at the
 * repository root. Progress goes to stderr. A section that fails is recorded as failed with
 * its error and the others still run; the exit code is 1 if any failed.
 *
 *   npx tsx --conditions=@raftkit/source report/main.ts [--quick] [--out DIR]
 *     [--only a,b] [--skip a,b]        sections: concurrency, floor, clusterSize, failover,
 *                                      simulation, realElection, chaos, durability, etcd
 */
import { spawnSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { SUITE_DIR } from './child.js'
import { renderReport } from './html/render.js'
import { describeMachine, loadAverage } from './machine.js'
import { matrix } from './profile.js'
import { Progress } from './progress.js'
import { runChaosSection, chaosCommand } from './sections/chaos.js'
import { runFailover } from './sections/failover.js'
import { runFloor } from './sections/floor.js'
import { measureFsync } from './sections/fsync.js'
import { runLoad } from './sections/load.js'
import { runSimulation, simulationCommand } from './sections/simulation.js'
import type { LoadRow, ReportData, Section, SectionName } from './types.js'

const SECTIONS: readonly SectionName[] = [
  'concurrency',
  'floor',
  'clusterSize',
  'failover',
  'simulation',
  'realElection',
  'chaos',
  'durability',
  'etcd',
]

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    skip: { type: 'string' },
  },
})
const profile = values.quick ? 'quick' : 'full'
const pick = (list: string | undefined): SectionName[] =>
  (list ?? '')
    .split(',')
    .filter(Boolean)
    .map((s) => {
      if (!SECTIONS.includes(s as SectionName))
        throw new RangeError(`unknown section ${s}; one of ${SECTIONS.join(', ')}`)
      return s as SectionName
    })
const only = pick(values.only)
const skip = pick(values.skip)
const wanted = SECTIONS.filter((s) => (only.length === 0 || only.includes(s)) && !skip.includes(s))
const repoRoot = resolve(SUITE_DIR, '..', '..')
const outDir = resolve(values.out ?? join(repoRoot, 'report'))
const m = matrix(profile)

const command = `npm run report --${values.quick ? ' --quick' : ''}${values.only ? ` --only ${values.only}` : ''}${values.skip ? ` --skip ${values.skip}` : ''}`
const machine = describeMachine()
const startedAt = new Date().toISOString()
const sections: Record<string, Section<unknown>> = {}

const steps: Record<SectionName, number> = {
  concurrency: 1,
  floor: 1,
  clusterSize: m.clusterSizes.length,
  failover: m.failover.length,
  simulation: 1,
  realElection: m.realElection.length,
  chaos: 1,
  durability: 1,
  etcd: 1,
}
const progress = new Progress(wanted.reduce((n, s) => n + steps[s], 0))

function data(finishedAt: string): ReportData {
  return {
    version: 1,
    profile,
    startedAt,
    finishedAt,
    command,
    machine: { ...machine, loadAverageEnd: loadAverage() },
    sections: sections,
  }
}

async function save(): Promise<void> {
  const d = data(new Date().toISOString())
  await mkdir(outDir, { recursive: true })
  await writeFile(join(outDir, 'report.json'), JSON.stringify(d, null, 1) + '\n')
  await writeFile(join(outDir, 'index.html'), await renderReport(d))
}

/** Runs one section; records its status, commands, time and the load average when it began. */
async function section<D>(
  name: SectionName,
  body: (commands: string[]) => Promise<{ data: D; note?: string } | { skipped: string }>,
): Promise<void> {
  if (!wanted.includes(name)) return
  const t0 = performance.now()
  const load = loadAverage()[0] ?? NaN
  const commands: string[] = []
  let s: Section<D>
  try {
    const r = await body(commands)
    const seconds = Math.round((performance.now() - t0) / 100) / 10
    s =
      'skipped' in r
        ? { status: 'skipped', note: r.skipped, commands, seconds, loadAverage: load }
        : {
            status: 'ok',
            commands,
            seconds,
            loadAverage: load,
            data: r.data,
            ...(r.note ? { note: r.note } : {}),
          }
  } catch (err) {
    const seconds = Math.round((performance.now() - t0) / 100) / 10
    s = { status: 'failed', note: (err as Error).message, commands, seconds, loadAverage: load }
    progress.info(`${name} FAILED: ${(err as Error).message.split('\n')[0]}`)
  }
  sections[name] = s
  await save()
}

async function main(): Promise<void> {
  process.stderr.write(
    `raftkit report, ${profile} profile: ${wanted.join(', ')}\n` +
      `machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}; load average ${machine.loadAverageStart.join(' ')}\n` +
      (machine.cpuIdle === undefined ? '' : `idle CPUs: ${machine.cpuIdle}\n`) +
      `writing ${relative(process.cwd(), outDir) || '.'}/index.html and report.json\n`,
  )
  await section('concurrency', async (commands) => {
    progress.step(
      `throughput and latency vs concurrency (${m.concurrency.levels.join(', ')} clients, 3 nodes)`,
    )
    const r = await runLoad(m.concurrency, progress)
    commands.push(r.command)
    return { data: r.rows }
  })
  await section('floor', async (commands) => {
    progress.step(
      `the floor: round trips, fdatasync and a commit skeleton with no raftkit code (${m.floor.rounds} rounds)`,
    )
    const r = await runFloor(m.floor, progress)
    commands.push(r.command)
    return { data: r.data }
  })
  await section('clusterSize', async (commands) => {
    const rows: LoadRow[] = []
    for (const plan of m.clusterSizes) {
      progress.step(`cluster size ${plan.nodes} (${plan.levels.join(', ')} clients)`)
      const r = await runLoad(plan, progress)
      commands.push(r.command)
      rows.push(...r.rows)
    }
    // The 3-node rows come from the concurrency section at the same levels, when it ran.
    const three = (sections.concurrency?.data as LoadRow[] | undefined) ?? []
    const levels = new Set(m.clusterSizes[0]?.levels ?? [])
    return { data: [...three.filter((r) => levels.has(r.clients)), ...rows] }
  })
  await section('failover', async (commands) => {
    const settings = []
    for (const plan of m.failover) {
      progress.step(
        `failover: ${plan.rounds} × kill -9 the leader of ${plan.nodes} nodes, election timeout ${plan.label}`,
      )
      const r = await runFailover(plan, progress)
      commands.push(r.command)
      settings.push(r.setting)
    }
    return { data: settings }
  })
  await section('simulation', async (commands) => {
    progress.step(
      `the Raft paper's Figure 16 in simulated time (${m.simulation.trials} trials per setting)`,
    )
    commands.push(simulationCommand(m.simulation))
    return { data: runSimulation(m.simulation, progress) }
  })
  await section('realElection', async (commands) => {
    const settings = []
    for (const plan of m.realElection) {
      progress.step(
        `Figure 16 on real processes: ${plan.rounds} × kill -9 the leader of ${plan.nodes} nodes, ${plan.label}`,
      )
      const r = await runFailover(plan, progress)
      commands.push(r.command)
      settings.push(r.setting)
    }
    return { data: settings }
  })
  await section('chaos', async (commands) => {
    progress.step(`availability under chaos (${m.chaos.seconds} s, ${m.chaos.nodes} nodes)`)
    commands.push(chaosCommand(m.chaos))
    return { data: await runChaosSection(m.chaos, progress) }
  })
  await section('durability', async (commands) => {
    progress.step(
      `the cost of durability: fdatasync latency, then storageSync never (${m.noSync.levels.join(', ')} clients)`,
    )
    const fsync = measureFsync(m.fsyncSamples)
    commands.push(
      `(in report/sections/fsync.ts) ${m.fsyncSamples} × write ${fsync.bytes} bytes + fdatasyncSync in ${fsync.dir}`,
    )
    progress.info(`fdatasync: p50 ${fsync.p50Us} µs, p99 ${fsync.p99Us} µs`)
    const r = await runLoad(m.noSync, progress)
    commands.push(r.command)
    const always = ((sections.concurrency?.data as LoadRow[] | undefined) ?? []).filter((x) =>
      m.noSync.levels.includes(x.clients),
    )
    return { data: { fsync, rows: [...always, ...r.rows] } }
  })
  await section('etcd', async (commands) => {
    progress.step(`etcd side by side (${m.etcd.levels.join(', ')} clients)`)
    if (spawnSync('etcd', ['--version']).status !== 0)
      return {
        skipped: 'etcd is not on the PATH (Debian: apt-get install etcd-server); not measured.',
      }
    const { runBench } = await import('./child.js')
    const args = [
      '--nodes',
      String(m.etcd.nodes),
      '--concurrency',
      m.etcd.levels.join(','),
      '--seconds',
      String(m.etcd.seconds),
      '--warmup',
      String(m.etcd.warmup),
    ]
    const run = await runBench('etcd.ts', args, (l) => progress.info(l), 300_000)
    commands.push(run.command)
    const rows = run.rows.map((r): LoadRow => ({
      op: r.op as 'put' | 'get',
      clients: Number(r.clients),
      nodes: m.etcd.nodes,
      storageSync: 'always',
      system: `etcd ${String(r.etcdVersion)}`,
      opsPerSec: Number(r.opsPerSec),
      p50Us: Number(r.p50Us),
      p99Us: Number(r.p99Us),
      ops: Number(r.ops),
      errors: Number(r.errors),
      loadGenCpu: Number(r.loadGenCpu),
      leaderCpuUsPerOp: Number(r.leaderCpuUsPerOp),
    }))
    const raftkit = ((sections.concurrency?.data as LoadRow[] | undefined) ?? []).filter((x) =>
      m.etcd.levels.includes(x.clients),
    )
    return { data: [...raftkit, ...rows] }
  })
  await save()
  const failed = Object.entries(sections).filter(([, s]) => s.status === 'failed')
  process.stderr.write(
    `\nwrote ${join(outDir, 'index.html')} and report.json` +
      (failed.length > 0 ? `; FAILED sections: ${failed.map(([n]) => n).join(', ')}` : '') +
      '\n',
  )
  process.exitCode = failed.length > 0 ? 1 : 0
}

await main()
