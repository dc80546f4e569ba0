/**
 * The latency model of a simulated disk (see simulated-disk.ts), drawn from a seed: each node's
 * disk gets a base time to transfer a batch's data and a base fsync time; every operation
 * jitters around them, a few are slow outliers, and in some runs one disk is persistently
 * slow. All values are whole milliseconds of the (simulated) clock. A pure leaf: only an Rng.
 */
import type { Rng } from './rng.js'

export interface DiskLatency {
  /** Base time to transfer one operation's data to the device (before its fsync), ms. */
  readonly dataMs: number
  /** Base time of the fsync that makes an operation durable, ms. */
  readonly fsyncMs: number
  /** Each operation takes base × a factor uniform in [1 − jitter, 1 + jitter]. */
  readonly jitter: number
  /** Chance that one operation's fsync is a slow outlier. */
  readonly outlierProbability: number
  /** An outlier's fsync takes up to this much longer (uniform in [outlierMaxMs / 10, outlierMaxMs]). */
  readonly outlierMaxMs: number
  /** Multiplies dataMs and fsyncMs: 1 for a healthy disk, more for the persistently slow one. */
  readonly slowFactor: number
}

/** The time one operation takes: its data phase, then its fsync (at least 1 ms). */
export interface OpTiming {
  readonly dataMs: number
  readonly fsyncMs: number
  /** True when this operation drew a slow outlier. */
  readonly outlier: boolean
}

/** Ranges the per-node draws come from (see drawDiskLatency). */
export const DISK_LATENCY_RANGES = Object.freeze({
  dataMs: [0, 2] as const,
  fsyncMs: [1, 8] as const,
  jitter: 0.5,
  outlierProbability: [0.005, 0.03] as const,
  outlierMaxMs: [40, 200] as const,
  slowFactor: [4, 12] as const,
})

function uniform(rng: Rng, [lo, hi]: readonly [number, number]): number {
  return lo + (hi - lo) * rng.next()
}

/** One node's disk, drawn from `rng`; `slow` makes it the persistently slow one. */
export function drawDiskLatency(rng: Rng, slow = false): DiskLatency {
  const r = DISK_LATENCY_RANGES
  return {
    dataMs: uniform(rng, r.dataMs),
    fsyncMs: uniform(rng, r.fsyncMs),
    jitter: r.jitter,
    outlierProbability: uniform(rng, r.outlierProbability),
    outlierMaxMs: uniform(rng, r.outlierMaxMs),
    slowFactor: slow ? uniform(rng, r.slowFactor) : 1,
  }
}

/** The timing of one operation on a disk with `latency`, drawn from `rng`. */
export function drawOpTiming(latency: DiskLatency, rng: Rng): OpTiming {
  const jittered = (base: number): number =>
    base * latency.slowFactor * (1 + latency.jitter * (2 * rng.next() - 1))
  const dataMs = Math.max(0, Math.round(jittered(latency.dataMs)))
  let fsyncMs = Math.max(1, Math.round(jittered(latency.fsyncMs)))
  const outlier = rng.next() < latency.outlierProbability
  if (outlier)
    fsyncMs += Math.round(
      latency.outlierMaxMs / 10 + (rng.next() * (latency.outlierMaxMs * 9)) / 10,
    )
  return { dataMs, fsyncMs, outlier }
}

/** A short human-readable description, for run headers and failure reports. */
export function describeDiskLatency(l: DiskLatency): string {
  const slow = l.slowFactor > 1 ? `, persistently slow ×${l.slowFactor.toFixed(1)}` : ''
  return (
    `data ${l.dataMs.toFixed(1)} ms + fsync ${l.fsyncMs.toFixed(1)} ms ±${l.jitter * 100}%, ` +
    `outliers ${(l.outlierProbability * 100).toFixed(1)}% up to +${Math.round(l.outlierMaxMs)} ms${slow}`
  )
}
