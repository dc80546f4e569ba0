/**
 * The measurement matrix of the two profiles: `full` (what the report is for) and `quick`
 * (under 5 minutes on 2 cores: the same sections with fewer levels, shorter phases and fewer
 * trials, for CI smoke runs and a first look).
 */
import type { FailoverPlan } from './sections/failover.js'
import type { FloorPlan } from './sections/floor.js'
import type { LoadPlan } from './sections/load.js'
import type { SimulationPlan } from './sections/simulation.js'
import type { ChaosPlan } from './sections/chaos.js'
import type { Profile } from './types.js'

export interface Matrix {
  readonly concurrency: LoadPlan
  readonly floor: FloorPlan
  readonly clusterSizes: readonly LoadPlan[]
  readonly failover: readonly FailoverPlan[]
  readonly simulation: SimulationPlan
  readonly realElection: readonly FailoverPlan[]
  readonly chaos: ChaosPlan
  readonly fsyncSamples: number
  readonly noSync: LoadPlan
  readonly etcd: {
    readonly nodes: number
    readonly levels: readonly number[]
    readonly seconds: number
    readonly warmup: number
  }
}

const raft = (
  tickMs: number,
  heartbeatIntervalMs: number,
  min: number,
  max: number,
): FailoverPlan['raft'] => ({
  tickMs,
  heartbeatIntervalMs,
  electionTimeoutMinMs: min,
  electionTimeoutMaxMs: max,
})

export function matrix(profile: Profile): Matrix {
  const quick = profile === 'quick'
  const phase = quick ? { seconds: 1, warmup: 1 } : { seconds: 5, warmup: 3 }
  const levels = quick ? [1, 16, 256] : [1, 4, 16, 64, 256]
  const rounds = quick ? 4 : 100
  return {
    concurrency: { nodes: 3, levels, storageSync: 'always', ...phase },
    // latency-floor.ts's own default (3 000) in the full profile; about 15 s quick.
    floor: { rounds: quick ? 300 : 3000 },
    clusterSizes: (quick ? [5, 9] : [5, 7, 9]).map((nodes) => ({
      nodes,
      levels: quick ? [16] : [1, 16, 64],
      storageSync: 'always' as const,
      ...phase,
    })),
    failover: [
      { label: '300–600 ms (default)', nodes: 3, rounds, raft: raft(10, 100, 300, 600) },
      { label: '150–300 ms', nodes: 3, rounds, raft: raft(10, 50, 150, 300) },
      ...(quick ? [] : [{ label: '50–100 ms', nodes: 3, rounds, raft: raft(5, 15, 50, 100) }]),
    ],
    simulation: quick
      ? { trials: 100, trialsNoRandomness: 10, maxTrialMs: 10_000, maxCensored: 3 }
      : { trials: 1000, trialsNoRandomness: 100, maxTrialMs: 60_000, maxCensored: 20 },
    realElection: [
      // Five servers as in the paper; a 1 ms tick so that the range is what it says.
      { label: '150–300 ms', nodes: 5, rounds, raft: raft(1, 50, 150, 300) },
      { label: '25–50 ms', nodes: 5, rounds, raft: raft(1, 8, 25, 50) },
      ...(quick ? [] : [{ label: '150–155 ms', nodes: 5, rounds, raft: raft(1, 50, 150, 155) }]),
    ],
    chaos: { seconds: quick ? 15 : 60, nodes: 3, seed: 1 },
    fsyncSamples: quick ? 200 : 2000,
    noSync: { nodes: 3, levels: quick ? [1, 16] : [1, 16, 64], storageSync: 'never', ...phase },
    etcd: { nodes: 3, levels: quick ? [1, 16] : [1, 16, 64], ...phase },
  }
}
