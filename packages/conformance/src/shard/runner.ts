/**
 * Runs one shard scenario on a fresh ShardCluster, under a simulated clock (a pure function of
 * the seed) or the real one, within the lab's 120 s budget.
 */
import type { Clock, Logger, RaftConfig } from '@raftkit/raft-core'
import { runClocked } from '../raft/clocked-run.js'
import type { ClockKind, RunResult } from '../raft/clocked-run.js'
import type { NetworkFactory } from '../raft/harness.js'
import { diskModelOn } from '../raft/runner.js'
import type { StorageFactory } from '../raft/storage-harness.js'
import { ShardCluster } from './harness.js'
import type { ShardScenario } from './scenario.js'

export interface ShardRunOptions {
  readonly seed: number
  readonly clock: ClockKind
  readonly createNetwork: NetworkFactory
  /** @default MemoryStorage per replica */
  readonly createStorage?: StorageFactory
  readonly raftConfig?: Partial<RaftConfig>
  readonly logger?: Logger
  /** begin/"Passed" lines. */
  readonly log?: (line: string) => void
  /** Simulated disks. @default true under the 'sim' clock; the 'real' clock has none. */
  readonly diskModel?: boolean
}

export async function runShardScenario(
  scenario: ShardScenario,
  options: ShardRunOptions,
): Promise<RunResult> {
  return runClocked(
    options.clock,
    (clock: Clock) =>
      ShardCluster.create({
        seed: options.seed,
        clock,
        createNetwork: options.createNetwork,
        groups: scenario.groups,
        unreliable: scenario.unreliable,
        maxRaftState: scenario.maxRaftState,
        diskModel: diskModelOn(options),
        ...(options.createStorage ? { createStorage: options.createStorage } : {}),
        ...(options.raftConfig ? { raftConfig: options.raftConfig } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.log ? { log: options.log } : {}),
      }),
    (cluster) => scenario.run(cluster),
    options.createStorage,
  )
}

/** The failure message with what is needed to replay it. */
export function describeShardFailure(
  s: ShardScenario,
  seed: number,
  clock: ClockKind,
  e: unknown,
): string {
  const msg = e instanceof Error ? (e.stack ?? e.message) : String(e)
  return (
    `${s.name} failed (seed ${seed}, ${clock} clock): ${msg}\n` +
    `  replay: npx raftkit-conformance --grep '^${s.name}$' --seed ${seed}`
  )
}
