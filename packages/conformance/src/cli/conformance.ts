/**
 * raftkit-conformance: runs the Raft lab scenarios over many seeds (simulated time), or
 * replays one seed and prints the hash of its event trace so two replays can be compared.
 */
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { RunOptions } from '../raft/runner.js'
import type { NetworkFactory } from '../raft/harness.js'
import type { StorageFactory } from '../raft/storage-harness.js'
import { TraceHasher, formatEvent } from '../raft/trace.js'
import { USAGE, UsageError, parseCli, replayFlags } from './args.js'
import type { CliOptions } from './args.js'
import { loadStorage, loadTransport } from './adapters.js'
import { describeFailure, loadScenarios } from './scenarios.js'
import { isPoolWorker, runPool, serveSeeds } from './pool.js'
import type { SeedResult } from './pool.js'
import type { AnyScenario as Scenario, ScenarioSet } from './scenarios.js'

/** What one invocation runs: the options, the adapters they name and the selected scenarios. */
interface Run {
  readonly o: CliOptions
  readonly createNetwork: NetworkFactory
  readonly createStorage: StorageFactory
  readonly scenarios: ScenarioSet
}

function baseOptions(r: Run, seed: number): RunOptions {
  const o = r.o
  return {
    seed,
    clock: o.clock,
    createNetwork: r.createNetwork,
    createStorage: r.createStorage,
    diskModel: r.o.diskModel,
    ...(o.raftConfig ? { raftConfig: o.raftConfig } : {}),
    ...(o.verbose ? { log: (line: string) => console.log(line) } : {}),
  }
}

/** --seed S: one run of each scenario, with a trace hash per scenario. */
async function replay(r: Run, seed: number): Promise<number> {
  const o = r.o
  let failures = 0
  for (const s of r.scenarios.selected) {
    const hasher = new TraceHasher()
    const trace = o.trace
      ? (e: Parameters<TraceHasher['sink']>[0]) => {
          hasher.sink(e)
          console.log(`  ${formatEvent(e)}`)
        }
      : hasher.sink
    let outcome = 'ok'
    try {
      await r.scenarios.run(s, { ...baseOptions(r, seed), trace })
    } catch (e) {
      failures++
      outcome = 'FAIL'
      console.log(describeFailure(s, seed, o.clock, e, o.diskModel, replayFlags(o)))
    }
    console.log(
      `${outcome.padEnd(4)} ${s.name} seed=${seed} events=${hasher.count} trace-sha256=${hasher.digest()}`,
    )
  }
  return failures
}

/** Every selected scenario for one seed; `print` gets each failure (with its replay command). */
async function runSeed(r: Run, seed: number, print: (line: string) => void): Promise<SeedResult> {
  const o = r.o
  const failing: string[] = []
  let passed = 0
  for (const s of r.scenarios.selected) {
    try {
      await r.scenarios.run(s, baseOptions(r, seed))
      passed++
    } catch (e) {
      failing.push(`${s.name} --seed ${seed}`)
      print(describeFailure(s, seed, o.clock, e, o.diskModel, replayFlags(o)))
    }
  }
  return { seed, passed, failing, out: [] }
}

/**
 * --seeds N [--first-seed F]: every scenario for seeds F..F+N-1, with a progress line; with
 * --jobs J on J worker processes (pool.ts), printing the same lines in the same order.
 */
async function sweep(r: Run, argv: readonly string[]): Promise<number> {
  const o = r.o
  const selected: readonly Scenario[] = r.scenarios.selected
  const failing: string[] = []
  let passed = 0
  const total = o.seeds * selected.length
  const tty = process.stdout.isTTY === true
  const progress = (seed: number, force = false): void => {
    const line = `seed ${seed} (${seed - o.firstSeed + 1}/${o.seeds})  runs ${passed + failing.length}/${total}  passed ${passed}  failed ${failing.length}`
    if (tty) process.stdout.write(`\r${line}`)
    else if (force || (seed - o.firstSeed + 1) % 10 === 0) console.log(line)
  }
  const print = (line: string): void => {
    if (tty) process.stdout.write('\n')
    console.log(line)
  }
  const done = (res: SeedResult): void => {
    for (const line of res.out) print(line)
    passed += res.passed
    failing.push(...res.failing)
    progress(res.seed)
  }
  if (o.jobs > 1) {
    await runPool({
      script: fileURLToPath(import.meta.url),
      args: withoutJobs(argv),
      jobs: o.jobs,
      first: o.firstSeed,
      count: o.seeds,
      onSeed: done,
    })
  } else {
    for (let seed = o.firstSeed; seed < o.firstSeed + o.seeds; seed++)
      done(await runSeed(r, seed, print))
  }
  if (tty) process.stdout.write('\n')
  console.log(`${total} runs: ${passed} passed, ${failing.length} failed`)
  if (failing.length > 0) console.log(`failing:\n  ${failing.join('\n  ')}`)
  return failing.length
}

/** The command line for a worker: the same, without --jobs (a worker runs its seeds itself). */
function withoutJobs(argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--jobs') i++
    else if (!a.startsWith('--jobs=')) out.push(a)
  }
  return out
}

async function main(argv: readonly string[]): Promise<number> {
  let o: CliOptions
  try {
    o = parseCli(argv)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    console.error(`raftkit-conformance: ${e.message}\n\n${USAGE}`)
    return 2
  }
  if (o.help) {
    console.log(USAGE)
    return 0
  }
  let run: Run
  try {
    run = {
      o,
      createNetwork: await loadTransport(o.transport),
      createStorage: await loadStorage(o.storage, o.storageOptions),
      scenarios: await loadScenarios(o.grep),
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    console.error(`raftkit-conformance: ${e.message}`)
    return 2
  }
  const selected = run.scenarios.selected
  if (run.scenarios.kvMissing !== undefined)
    console.error(`raftkit-conformance: note: ${run.scenarios.kvMissing}`)
  if (run.scenarios.shardMissing !== undefined)
    console.error(`raftkit-conformance: note: ${run.scenarios.shardMissing}`)
  if (selected.length === 0) {
    console.error(`raftkit-conformance: no scenario matches --grep "${o.grep ?? ''}"`)
    return 2
  }
  if (isPoolWorker()) {
    await serveSeeds((seed, print) => runSeed(run, seed, print))
    return 0
  }
  const t0 = performance.now()
  const failures = o.seed !== undefined ? await replay(run, o.seed) : await sweep(run, argv)
  console.log(
    `${selected.length} scenario(s), ${o.clock} clock, ${o.transport} transport, ${o.storage} storage` +
      `${o.storageOptions ? ` ${JSON.stringify(o.storageOptions)}` : ''}, ` +
      `disk model ${o.diskModel ? 'on' : 'off'}: ` +
      `wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  )
  return failures > 0 ? 1 : 0
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    console.error(e)
    process.exitCode = 1
  },
)
