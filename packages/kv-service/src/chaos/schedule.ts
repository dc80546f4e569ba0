/**
 * The chaos monkey's fault schedule, drawn from a seeded Rng: the same seed and parameters give
 * the same sequence of faults (kind, whether it aims at the leader, which other node, how long
 * it lasts, the quiet gap before it). Which node is leader is decided by the run itself.
 */
import type { Rng } from '@raftkit/raft-core'

/**
 * `transfer`: hand leadership to another voter (raftkit transfer-leader); `member`: remove a
 * voter (the leader too), then add it back as a learner and promote it (raftkit member);
 * `migrate` (sharded clusters): join, leave or move replica groups through the controller.
 */
export type FaultKind = 'kill' | 'partition' | 'pause' | 'transfer' | 'member' | 'migrate'

export const FAULT_KINDS: readonly FaultKind[] = [
  'kill',
  'partition',
  'pause',
  'transfer',
  'member',
  'migrate',
]

export interface FaultRates {
  /** Relative weights of the fault kinds (>= 0; all 0: no faults). */
  readonly kill: number
  readonly partition: number
  readonly pause: number
  /** Default 0 (a schedule without them draws exactly as before they existed). */
  readonly transfer?: number
  readonly member?: number
  /** Sharded clusters only (default 0). */
  readonly migrate?: number
}

/** Sum of the weights. */
export function totalRate(rates: FaultRates): number {
  return (
    rates.kill +
    rates.partition +
    rates.pause +
    (rates.transfer ?? 0) +
    (rates.member ?? 0) +
    (rates.migrate ?? 0)
  )
}

export interface ScheduleOptions {
  readonly rates: FaultRates
  /** Probability that a fault aims at the current leader (kill/pause it, or put it in the minority). */
  readonly leaderBias: number
  /** How long each fault lasts, ms: [min, max]. */
  readonly faultMs: readonly [number, number]
  /** Quiet time before each fault, ms: [min, max]. */
  readonly gapMs: readonly [number, number]
}

export interface FaultStep {
  readonly kind: FaultKind
  /** Aim at the leader (else at the node picked by `pick`). */
  readonly atLeader: boolean
  /** Uniform in [0, 1): picks the node among the candidates the run offers. */
  readonly pick: number
  /** Uniform in [0, 1): picks the minority's size (partition). */
  readonly size: number
  /** A seeded shuffle key per node position (partition membership). */
  readonly order: readonly number[]
  readonly holdMs: number
  readonly gapMs: number
}

function between(rng: Rng, [min, max]: readonly [number, number]): number {
  return Math.round(min + rng.next() * (max - min))
}

/** An endless seeded sequence of fault steps for a cluster of `nodes` nodes. */
export function* faultSchedule(
  rng: Rng,
  nodes: number,
  options: ScheduleOptions,
): Generator<FaultStep, void, undefined> {
  const { rates } = options
  const total = totalRate(rates)
  const bounds: Array<[number, FaultKind]> = []
  let sum = 0
  for (const k of FAULT_KINDS) bounds.push([(sum += rates[k] ?? 0), k])
  for (;;) {
    const r = rng.next() * total
    const kind: FaultKind = bounds.find(([b, k]) => r < b && (rates[k] ?? 0) > 0)?.[1] ?? 'pause'
    yield {
      kind,
      atLeader: rng.next() < options.leaderBias,
      pick: rng.next(),
      size: rng.next(),
      order: Array.from({ length: nodes }, () => rng.next()),
      gapMs: between(rng, options.gapMs),
      holdMs: between(rng, options.faultMs),
    }
  }
}

/** Picks one of `candidates` with a step's `pick` draw. */
export function pickNode(candidates: readonly string[], pick: number): string | undefined {
  return candidates[Math.min(candidates.length - 1, Math.floor(pick * candidates.length))]
}

/**
 * Splits `ids` into a minority and a majority: the minority holds 1..floor((n-1)/2) nodes (so the
 * majority can still elect a leader), chosen by the step's draws, with `leader` in it when given.
 */
export function splitGroups(
  ids: readonly string[],
  step: FaultStep,
  leader: string | undefined,
): { minority: string[]; majority: string[] } {
  const maxMinority = Math.max(1, Math.floor((ids.length - 1) / 2))
  const size = 1 + Math.min(maxMinority - 1, Math.floor(step.size * maxMinority))
  const shuffled = ids
    .map((id, i) => ({ id, key: step.order[i] ?? 0 }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.id)
  if (leader !== undefined && ids.includes(leader)) {
    shuffled.splice(shuffled.indexOf(leader), 1)
    shuffled.unshift(leader)
  }
  return { minority: shuffled.slice(0, size), majority: shuffled.slice(size) }
}
