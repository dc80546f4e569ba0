/**
 * raftkit-conformance: runs the Raft lab scenarios over many seeds (simulated time), or
 * replays one seed and prints the hash of its event trace so two replays can be compared.
 */
import { performance } from 'node:perf_hooks'
import type { RunOptions } from '../raft/runner.js'
import type { NetworkFactory } from '../raft/harness.js'
import type { StorageFactory } from '../raft/storage-harness.js'
import { TraceHasher, formatEvent } from '../raft/trace.js'
import { USAGE, UsageError, parseCli } from './args.js'
import type { CliOptions } from './args.js'
import { loadStorage, loadTransport } from './adapters.js'
import { describeFailure, loadScenarios } from './scenarios.js'
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

/** --seeds N [--first-seed F]: every scenario for seeds F..F+N-1, with a progress line. */
async function sweep(r: Run): Promise<number> {
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
  for (let seed = o.firstSeed; seed < o.firstSeed + o.seeds; seed++) {
    for (const s of selected) {
      try {
        await r.scenarios.run(s, baseOptions(r, seed))
        passed++
      } catch (e) {
        failing.push(`${s.name} --seed ${seed}`)
        if (tty) process.stdout.write('\n')
        console.log(describeFailure(s, seed, o.clock, e, o.diskModel, replayFlags(o)))
      }
    }
    progress(seed)
  }
  if (tty) process.stdout.write('\n')
  console.log(`${total} runs: ${passed} passed, ${failing.length} failed`)
  if (failing.length > 0) console.log(`failing:\n  ${failing.join('\n  ')}`)
  return failing.length
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
      createStorage: await loadStorage(o.storage),
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
  const t0 = performance.now()
  const failures = o.seed !== undefined ? await replay(run, o.seed) : await sweep(run)
  console.log(
    `${selected.length} scenario(s), ${o.clock} clock, ${o.transport} transport, ${o.storage} storage, ` +
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

/** The flags that change a run, for the replay command printed with a failure. */
function replayFlags(o: Run['o']): string {
  return [
    o.raftConfig ? `--raft '${JSON.stringify(o.raftConfig)}'` : '',
    o.storage !== 'memory' ? `--storage ${o.storage}` : '',
  ]
    .filter((f) => f !== '')
    .join(' ')
}
