/**
 * Runs one key/value scenario on a fresh KvCluster, under a simulated clock (a pure function
 * of the seed) or the real one, with the lab's 120 s budget.
 */
import type { Clock, Logger, RaftConfig } from '@raftkit/raft-core'
import { runClocked } from '../raft/clocked-run.js'
import type { ClockKind, RunResult } from '../raft/clocked-run.js'
import type { NetworkFactory } from '../raft/harness.js'
import { diskModelOn } from '../raft/runner.js'
import type { StorageFactory } from '../raft/storage-harness.js'
import type { TraceSink } from '../raft/trace.js'
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
  /** Simulated disks. @default true under the 'sim' clock; the 'real' clock has none. */
  readonly diskModel?: boolean
}

/** Runs `scenario` once; throws the first failure. */
export async function runKvScenario(
  scenario: KvScenario,
  options: KvRunOptions,
): Promise<RunResult> {
  return runClocked(
    options.clock,
    (clock) => KvCluster.create(clusterOptions(scenario, options, clock)),
    (cluster) => scenario.run(cluster),
    options.createStorage,
  )
}

function clusterOptions(scenario: KvScenario, options: KvRunOptions, clock: Clock) {
  return {
    servers: scenario.servers,
    unreliable: scenario.unreliable,
    maxRaftState: scenario.maxRaftState,
    ...(scenario.initialVoters !== undefined ? { initialVoters: scenario.initialVoters } : {}),
    seed: options.seed,
    clock,
    createNetwork: options.createNetwork,
    diskModel: diskModelOn(options),
    rpcLatency:
      options.rpcLatency ?? (options.clock === 'sim' ? DEFAULT_SIM_RPC_LATENCY : NO_LATENCY),
    ...(options.createStorage ? { createStorage: options.createStorage } : {}),
    ...(options.raftConfig ? { raftConfig: options.raftConfig } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.trace ? { trace: options.trace } : {}),
    ...(options.log ? { log: options.log } : {}),
  }
}

/** The failure message with what is needed to replay it (the same form as for Raft scenarios). */
export { describeFailure as describeKvFailure } from '../raft/runner.js'
