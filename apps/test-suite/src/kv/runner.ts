/**
 * Runs one key/value scenario on a fresh KvCluster, under a simulated clock (a pure function
 * of the seed) or the real one, with the lab's 120 s budget.
 */
import { SimulatedClock, SystemClock } from '@raftkit/raft-core'
import type { Clock, Logger, RaftConfig } from '@raftkit/raft-core'
import { TEST_TIME_LIMIT_MS } from '../cluster/harness.js'
import type { NetworkFactory } from '../cluster/harness.js'
import type { ClockKind, RunResult } from '../cluster/runner.js'
import type { StorageFactory } from '../cluster/storage-harness.js'
import type { TraceSink } from '../cluster/trace.js'
import { NO_LATENCY } from './delayed-rpc.js'
import type { RpcLatency } from './delayed-rpc.js'
import { DEFAULT_SIM_RPC_LATENCY, KvCluster } from './harness.js'
import type { KvScenario } from './scenario.js'

export interface KvRunOptions {
  readonly seed: number
  readonly clock: ClockKind
  readonly createNetwork: NetworkFactory
  /** @default MemoryStorage per server */
  readonly createStorage?: StorageFactory
  readonly raftConfig?: Partial<RaftConfig>
  readonly logger?: Logger
  readonly trace?: TraceSink
  /** begin/end lines. */
  readonly log?: (line: string) => void
  /**
   * One-way clerk↔server latency. @default 5–15 ms under 'sim' (so that clerk loops let
   * simulated time pass), none under 'real'.
   */
  readonly rpcLatency?: RpcLatency
}

/** Simulated time allowed past the 120 s budget before a run is cut off (cleanup included). */
const SIM_GRACE_MS = 30_000

/** Runs `scenario` once; throws the first failure. */
export async function runKvScenario(
  scenario: KvScenario,
  options: KvRunOptions,
): Promise<RunResult> {
  return options.clock === 'sim' ? runSimulated(scenario, options) : runReal(scenario, options)
}

function clusterOptions(scenario: KvScenario, options: KvRunOptions, clock: Clock) {
  return {
    servers: scenario.servers,
    unreliable: scenario.unreliable,
    maxRaftState: scenario.maxRaftState,
    seed: options.seed,
    clock,
    createNetwork: options.createNetwork,
    rpcLatency:
      options.rpcLatency ?? (options.clock === 'sim' ? DEFAULT_SIM_RPC_LATENCY : NO_LATENCY),
    ...(options.createStorage ? { createStorage: options.createStorage } : {}),
    ...(options.raftConfig ? { raftConfig: options.raftConfig } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.trace ? { trace: options.trace } : {}),
    ...(options.log ? { log: options.log } : {}),
  }
}

async function runSimulated(scenario: KvScenario, options: KvRunOptions): Promise<RunResult> {
  const clock = new SimulatedClock()
  // Storage that does real I/O (files) is held in step with the clock (as in cluster/runner.ts).
  const io = options.createStorage?.simulate?.()
  if (io) clock.waitBeforeAdvancing(() => io.next())
  let cluster: KvCluster | undefined
  try {
    await clock.run(async () => {
      cluster = await KvCluster.create(clusterOptions(scenario, options, clock))
      const c = cluster
      try {
        await c.guard(() => scenario.run(c))
      } finally {
        await c.cleanup()
      }
    }, TEST_TIME_LIMIT_MS + SIM_GRACE_MS)
  } catch (e) {
    // A run cut off by the simulated time limit never reached its finally: clean up now.
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

async function runReal(scenario: KvScenario, options: KvRunOptions): Promise<RunResult> {
  const clock = new SystemClock()
  const t0 = clock.now()
  const cluster = await KvCluster.create(clusterOptions(scenario, options, clock))
  const budget = clock.setTimeout(() => {
    cluster.fail(`test took longer than ${TEST_TIME_LIMIT_MS / 1000} seconds`)
  }, TEST_TIME_LIMIT_MS + SIM_GRACE_MS)
  try {
    await cluster.guard(() => scenario.run(cluster))
  } finally {
    clock.clearTimeout(budget)
    await cluster.cleanup()
  }
  return { elapsedMs: clock.now() - t0 }
}

/** The failure message with what is needed to replay it. */
export function describeKvFailure(
  scenario: Pick<KvScenario, 'name'>,
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
