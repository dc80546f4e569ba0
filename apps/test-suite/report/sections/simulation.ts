/**
 * Section 4: the Raft paper's Figure 16 in simulated time (sim/election-sim.ts): five servers,
 * a broadcast time of about 15 ms, the leader crashed at a random point of its heartbeat
 * interval, the paper's election-timeout ranges, with PreVote off and on.
 */
import { simulateLeaderElections } from '../sim/election-sim.js'
import type { Progress } from '../progress.js'
import type { SimulatedSetting, SimulationData } from '../types.js'

export interface SimulationPlan {
  readonly trials: number
  /** Trials for 150–150 ms (the paper ran 100 there). */
  readonly trialsNoRandomness: number
  readonly maxTrialMs: number
  /** A setting stops after this many censored trials (it would only add more of them). */
  readonly maxCensored: number
}

export const TOP_RANGES: readonly (readonly [number, number])[] = [
  [150, 150],
  [150, 151],
  [150, 155],
  [150, 175],
  [150, 200],
  [150, 300],
]
export const BOTTOM_RANGES: readonly (readonly [number, number])[] = [
  [12, 24],
  [25, 50],
  [50, 100],
  [100, 200],
  [150, 300],
]

/** The network and disk model (see the report's text for why it is split this way). */
export const SIM_MODEL = {
  servers: 5,
  tickMs: 0.1,
  delayMs: [0.1, 0.5] as const,
  diskMs: [2, 12] as const,
}

export function simulationCommand(plan: SimulationPlan): string {
  return `npx tsx --conditions=@raftkit/source report/main.ts --only simulation --sim-trials ${plan.trials}`
}

/** A fast local disk and network: a broadcast time of about 2–4 ms instead of 15. */
export const FAST_DISK_MODEL = { delayMs: [0.1, 0.5] as const, diskMs: [0.5, 1.5] as const }
const FAST_DISK_RANGES: readonly (readonly [number, number])[] = [
  [150, 151],
  [150, 155],
  [150, 175],
  [12, 24],
]

export function runSimulation(plan: SimulationPlan, progress: Progress): SimulationData {
  type Plot = readonly ['top' | 'bottom', readonly [number, number]]
  const main: Plot[] = [
    ...TOP_RANGES.map((r): Plot => ['top', r]),
    ...BOTTOM_RANGES.map((r): Plot => ['bottom', r]),
  ]
  const settings = runModel(plan, progress, main, SIM_MODEL, '')
  const fast = FAST_DISK_RANGES.map((r) => ['top', r] as const)
  const fastSettings = runModel(plan, progress, fast, FAST_DISK_MODEL, 'fast disk: ')
  return {
    servers: SIM_MODEL.servers,
    tickMs: SIM_MODEL.tickMs,
    delayMs: SIM_MODEL.delayMs,
    diskMs: SIM_MODEL.diskMs,
    maxTrialMs: plan.maxTrialMs,
    settings,
    fastDisk: { ...FAST_DISK_MODEL, settings: fastSettings },
  }
}

function runModel(
  plan: SimulationPlan,
  progress: Progress,
  all: readonly (readonly ['top' | 'bottom', readonly [number, number]])[],
  model: {
    readonly delayMs: readonly [number, number]
    readonly diskMs: readonly [number, number]
  },
  prefix: string,
): SimulatedSetting[] {
  const settings: SimulatedSetting[] = []
  let seed = 1
  for (const preVote of [false, true])
    for (const [plot, [min, max]] of all) {
      const same = settings.find(
        (s) => s.preVote === preVote && s.electionMinMs === min && s.electionMaxMs === max,
      )
      if (same) {
        // 150–300 ms is in both of the paper's plots: one run serves both.
        settings.push({ ...same, plot })
        continue
      }
      const trials = min === max ? plan.trialsNoRandomness : plan.trials
      const t0 = performance.now()
      const downtimeMs: (number | null)[] = []
      const terms: number[] = []
      let censored = 0
      let stoppedEarly = false
      // In batches, so that a setting that never elects stops after maxCensored trials.
      const batch = Math.max(1, Math.min(trials, plan.maxCensored))
      while (downtimeMs.length < trials) {
        const r = simulateLeaderElections({
          servers: SIM_MODEL.servers,
          electionMinMs: min,
          electionMaxMs: max,
          tickMs: SIM_MODEL.tickMs,
          delayMinMs: model.delayMs[0],
          delayMaxMs: model.delayMs[1],
          diskMinMs: model.diskMs[0],
          diskMaxMs: model.diskMs[1],
          preVote,
          checkQuorum: true,
          trials: Math.min(batch, trials - downtimeMs.length),
          seed: seed++,
          maxTrialMs: plan.maxTrialMs,
        })
        for (const d of r.downtimeMs) downtimeMs.push(Number.isFinite(d) ? round(d) : null)
        terms.push(...r.termsUsed)
        censored += r.censored
        if (censored >= plan.maxCensored && downtimeMs.length < trials) {
          stoppedEarly = true
          break
        }
      }
      const label = `${min}–${max} ms`
      settings.push({
        plot,
        label,
        electionMinMs: min,
        electionMaxMs: max,
        heartbeatMs: min / 3,
        preVote,
        trials: downtimeMs.length,
        censored,
        downtimeMs,
        splitTrials: terms.filter((t) => !(t <= 1)).length,
        stoppedEarly,
      })
      progress.info(
        `simulated ${prefix}${label} (${plot}), PreVote ${preVote ? 'on' : 'off'}: ${downtimeMs.length} trials, ` +
          `median ${median(downtimeMs)} ms, ${censored} without a leader after ${plan.maxTrialMs / 1000} s ` +
          `(${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      )
    }
  return settings
}

function round(x: number): number {
  return Math.round(x * 100) / 100
}

function median(xs: readonly (number | null)[]): string {
  const s = xs.map((x) => x ?? Infinity).sort((a, b) => a - b)
  const m = s[Math.floor(s.length / 2)]
  return m === undefined || !Number.isFinite(m) ? '∞' : m.toFixed(0)
}
