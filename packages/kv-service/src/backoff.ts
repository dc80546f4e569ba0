/** Exponential backoff with seeded jitter, for the clerk's retry loop. */
import type { Rng } from '@raftkit/raft-core'
import { KvConfigError } from './errors.js'

export interface BackoffOptions {
  /** First pause, in ms. Default 20. */
  readonly initialMs: number
  /** Largest pause, in ms. Default 1000. */
  readonly maxMs: number
  /** Growth factor per pause. Default 2. */
  readonly multiplier: number
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({
  initialMs: 20,
  maxMs: 1000,
  multiplier: 2,
})

export class Backoff {
  private readonly options: BackoffOptions
  private current: number

  constructor(
    options: Partial<BackoffOptions>,
    private readonly rng: Rng,
  ) {
    const o = { ...DEFAULT_BACKOFF, ...options }
    if (!(o.initialMs > 0)) throw new KvConfigError('backoff.initialMs', 'must be positive')
    if (!(o.maxMs >= o.initialMs))
      throw new KvConfigError('backoff.maxMs', 'must be at least initialMs')
    if (!(o.multiplier >= 1)) throw new KvConfigError('backoff.multiplier', 'must be at least 1')
    this.options = o
    this.current = o.initialMs
  }

  /** The next pause: the current step with ±50 % jitter (so clerks do not retry in lockstep). */
  next(): number {
    const ms = this.current * (0.5 + this.rng.next())
    this.current = Math.min(this.options.maxMs, this.current * this.options.multiplier)
    return Math.round(ms)
  }

  reset(): void {
    this.current = this.options.initialMs
  }
}
