/**
 * Runs one scenario on a fresh cluster, under a simulated clock (a pure function of the
 * seed) or the real one, with the lab's 120 s budget. Used by the mocha registration and by
 * the raftkit-conformance CLI.
 */
import type { Clock, Logger, RaftConfig } from '@raftkit/raft-core'
import { runClocked } from './clocked-run.js'
import type { ClockKind, RunResult } from './clocked-run.js'
import { Cluster } from './harness.js'
import type { NetworkFactory } from './harness.js'
import type { NodeFactory } from './node.js'
import type { Scenario } from './scenario.js'
import type { StorageFactory } from './storage-harness.js'
import type { TraceSink } from './trace.js'

export type { ClockKind, RunResult } from './clocked-run.js'

export interface RunOptions {
  readonly seed: number
  readonly clock: ClockKind
  readonly createNetwork: NetworkFactory
  readonly createStorage: StorageFactory
  readonly createNode?: NodeFactory
  readonly raftConfig?: Partial<RaftConfig>
  readonly logger?: Logger
  readonly trace?: TraceSink
  /** begin/end lines. */
  readonly log?: (line: string) => void
  readonly invariantIntervalMs?: number
  /**
   * Simulated disks (writes take simulated time, crashes cut power mid-write; see
   * disk-harness.ts). @default true under the 'sim' clock; the 'real' clock has none.
   */
  readonly diskModel?: boolean
}

/** Runs `scenario` once; throws the first failure. */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  return runClocked(
    options.clock,
    (clock) => Cluster.create(clusterOptions(scenario, options, clock)),
    async (cluster) => {
      await scenario.run(cluster)
      cluster.checkInvariants()
    },
    options.createStorage,
  )
}

function clusterOptions(scenario: Scenario, options: RunOptions, clock: Clock) {
  return {
    servers: scenario.servers,
    ...(scenario.initialVoters !== undefined ? { initialVoters: scenario.initialVoters } : {}),
    unreliable: scenario.unreliable,
    snapshot: scenario.snapshot,
    seed: options.seed,
    clock,
    createNetwork: options.createNetwork,
    createStorage: options.createStorage,
    diskModel: diskModelOn(options),
    ...(options.createNode ? { createNode: options.createNode } : {}),
    ...(options.raftConfig ? { raftConfig: options.raftConfig } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.trace ? { trace: options.trace } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.invariantIntervalMs !== undefined
      ? { invariantIntervalMs: options.invariantIntervalMs }
      : {}),
  }
}

/** Whether a run gets simulated disks: by default every simulated run, never a real one. */
export function diskModelOn(options: {
  readonly clock: ClockKind
  readonly diskModel?: boolean
}): boolean {
  if (options.clock !== 'sim') return false
  return options.diskModel ?? true
}

/**
 * The failure message with what is needed to replay it. `cliFlags`: the runner's flags that
 * change the run (`--clock real`, `--transport ws`, `--raft '{...}'`, `--storage fs`), repeated
 * in the replay command; without them (mocha) a real-clock failure names the mocha line.
 */
export function describeFailure(
  scenario: Pick<Scenario, 'name'>,
  seed: number,
  clock: ClockKind,
  error: unknown,
  diskModel = clock === 'sim',
  cliFlags = '',
): string {
  const message = error instanceof Error ? error.message : String(error)
  const off = clock === 'sim' && !diskModel
  const cli = `npx raftkit-conformance --grep '^${scenario.name}$' --seed ${seed}${off ? ' --disk-model off' : ''}`
  const timing = clock !== 'sim' ? ' (real clock: timing may differ)' : ''
  const replay =
    cliFlags !== ''
      ? `${cli} ${cliFlags}${timing}`
      : clock !== 'sim'
        ? `RAFTKIT_SEED=${seed} npx mocha --grep '${scenario.name}'${timing}`
        : `${cli} (memory adapters), or ` +
          `${off ? 'RAFTKIT_DISK_MODEL=off ' : ''}RAFTKIT_SEED=${seed} npx mocha --grep '${scenario.name}'`
  return `${scenario.name} failed with seed ${seed}: ${message}\n  replay: ${replay}`
}
