/**
 * Runs one scenario on a fresh cluster, under a simulated clock (a pure function of the
 * seed) or the real one, with the lab's 120 s budget. Used by the mocha registration and by
 * the raftkit-conformance CLI.
 */
import { SimulatedClock, SystemClock } from '@raftkit/raft-core'
import type { Logger, RaftConfig } from '@raftkit/raft-core'
import { Cluster, TEST_TIME_LIMIT_MS } from './harness.js'
import type { NetworkFactory } from './harness.js'
import type { NodeFactory } from './node.js'
import type { Scenario } from './scenario.js'
import type { StorageFactory } from './storage-harness.js'
import type { TraceSink } from './trace.js'

export type ClockKind = 'sim' | 'real'

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
}

export interface RunResult {
  /** Clock time the scenario took (simulated milliseconds under 'sim'). */
  readonly elapsedMs: number
}

/** Simulated time allowed past the 120 s budget before a run is cut off (cleanup included). */
const SIM_GRACE_MS = 30_000

/** Runs `scenario` once; throws the first failure. */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  return options.clock === 'sim' ? runSimulated(scenario, options) : runReal(scenario, options)
}

function clusterOptions(
  scenario: Scenario,
  options: RunOptions,
  clock: SimulatedClock | SystemClock,
) {
  return {
    servers: scenario.servers,
    unreliable: scenario.unreliable,
    snapshot: scenario.snapshot,
    seed: options.seed,
    clock,
    createNetwork: options.createNetwork,
    createStorage: options.createStorage,
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

async function runSimulated(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  const clock = new SimulatedClock()
  // Storage that does real I/O (files) is held in step with the clock: see IoSequencer.
  const io = options.createStorage.simulate?.()
  if (io) clock.waitBeforeAdvancing(() => io.next())
  let cluster: Cluster | undefined
  try {
    await clock.run(async () => {
      cluster = await Cluster.create(clusterOptions(scenario, options, clock))
      const c = cluster
      try {
        await c.guard(() => scenario.run(c))
        c.checkInvariants()
      } finally {
        await c.cleanup()
      }
    }, TEST_TIME_LIMIT_MS + SIM_GRACE_MS)
  } catch (e) {
    // A run cut off by the simulated time limit (or by an exception thrown inside a timer)
    // never reached its finally: clean up in a fresh simulation.
    const c = cluster
    if (c) await clock.run(() => c.cleanup(), SIM_GRACE_MS).catch(() => undefined)
    if (e instanceof Error && e.name === 'SimulationStalledError' && /limit/.test(e.message))
      throw new Error(
        `test took longer than ${TEST_TIME_LIMIT_MS / 1000} seconds (simulated): ${e.message}`,
      )
    throw e
  } finally {
    clock.waitBeforeAdvancing(null)
    io?.detach()
  }
  return { elapsedMs: clock.now() }
}

async function runReal(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  const clock = new SystemClock()
  const t0 = clock.now()
  const cluster = await Cluster.create(clusterOptions(scenario, options, clock))
  // The lab only checks its budget at the end; a real-time run is also cut off there.
  const budget = clock.setTimeout(() => {
    cluster.fail(`test took longer than ${TEST_TIME_LIMIT_MS / 1000} seconds`)
  }, TEST_TIME_LIMIT_MS + SIM_GRACE_MS)
  try {
    await cluster.guard(() => scenario.run(cluster))
    cluster.checkInvariants()
  } finally {
    clock.clearTimeout(budget)
    await cluster.cleanup()
  }
  return { elapsedMs: clock.now() - t0 }
}

/** The failure message with what is needed to replay it. */
export function describeFailure(
  scenario: Scenario,
  seed: number,
  clock: ClockKind,
  error: unknown,
): string {
  const message = error instanceof Error ? error.message : String(error)
  const replay =
    clock === 'sim'
      ? `npm run conformance -w @raftkit/test-suite -- --grep '^${scenario.name}$' --seed ${seed}` +
        ` (memory adapters), or RAFTKIT_SEED=${seed} npx mocha --grep '${scenario.name}'`
      : `RAFTKIT_SEED=${seed} npx mocha --grep '${scenario.name}' (real clock: timing may differ)`
  return `${scenario.name} failed with seed ${seed}: ${message}\n  replay: ${replay}`
}
