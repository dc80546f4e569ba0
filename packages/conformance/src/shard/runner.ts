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
import type { TraceSink } from '../raft/trace.js'
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
  /**
   * Receives, once the scenario has passed, one 'apply' event per recorded clerk operation
   * (call time, clerk, input, output, return time): what `raftkit-conformance --seed` hashes.
   */
  readonly trace?: TraceSink
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
        ...(scenario.sessionExpiryEntries !== undefined
          ? { sessionExpiryEntries: scenario.sessionExpiryEntries }
          : {}),
        diskModel: diskModelOn(options),
        ...(options.createStorage ? { createStorage: options.createStorage } : {}),
        ...(options.raftConfig ? { raftConfig: options.raftConfig } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.log ? { log: options.log } : {}),
      }),
    async (cluster) => {
      await scenario.run(cluster)
      if (options.trace) traceHistory(cluster, options.trace)
    },
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

/** One 'apply' event per recorded operation, in call order. */
function traceHistory(cluster: ShardCluster, sink: TraceSink): void {
  const ops = cluster.groups.history.operations()
  ops.forEach((op, index) => {
    sink({
      t: op.call,
      kind: 'apply',
      server: Number(op.clientId),
      index,
      value: JSON.stringify([op.input, op.output ?? null, op.return]),
    })
  })
}
