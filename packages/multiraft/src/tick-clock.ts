/**
 * The shared tick of a node hosting many groups. Every Raft runtime arms a `tickMs` timer per
 * tick; with 100 groups that is 100 timers per tick. `TickClock` wraps the process clock and
 * rounds each positive timer's deadline up to the next multiple of `quantumMs`, so every group's
 * tick lands in the same bucket, and one underlying timer per bucket runs them all, in the
 * order they were armed (deterministic under SimulatedClock). 0-ms timers (the runtime's
 * "after this turn" deferrals) pass straight through.
 *
 * Rounding up never fires a timer early; a timer fires at most `quantumMs` late, which Raft
 * tolerates (ticks are its unit of time: election timeouts stay randomized in ticks).
 */
import type { Clock, ClockSlot, TimerHandle } from '@raftkit/raft-core'
import { ConfigError } from '@raftkit/raft-core'

interface Bucket {
  readonly handle: TimerHandle
  readonly fns: Map<number, () => void>
}

export interface TickClockStats {
  /** Underlying timers armed for positive delays (one per bucket, however many groups). */
  readonly bucketTimers: number
  /** Positive-delay timers the groups asked for. */
  readonly timers: number
}

export class TickClock implements Clock {
  private readonly buckets = new Map<number, Bucket>()
  /** Timer id -> its bucket's deadline, or the base handle of a passed-through 0-ms timer. */
  private readonly where = new Map<number, number | TimerHandle>()
  private nextId = 1
  private bucketTimers = 0
  private timers = 0

  constructor(
    readonly base: Clock,
    readonly quantumMs: number,
  ) {
    if (!Number.isSafeInteger(quantumMs) || quantumMs <= 0)
      throw new ConfigError('quantumMs', `must be a positive integer, got ${String(quantumMs)}`)
  }

  now(): number {
    return this.base.now()
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++
    if (!(ms > 0)) {
      const handle = this.base.setTimeout(() => {
        this.where.delete(id)
        fn()
      }, ms)
      this.where.set(id, handle)
      return { id }
    }
    this.timers++
    const now = this.base.now()
    const q = this.quantumMs
    const deadline = Math.ceil((now + ms) / q) * q
    let bucket = this.buckets.get(deadline)
    if (!bucket) {
      this.bucketTimers++
      const handle = this.base.setTimeout(() => this.fire(deadline), deadline - now)
      bucket = { handle, fns: new Map() }
      this.buckets.set(deadline, bucket)
    }
    bucket.fns.set(id, fn)
    this.where.set(id, deadline)
    return { id }
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return
    const at = this.where.get(handle.id)
    if (at === undefined) return
    this.where.delete(handle.id)
    if (typeof at !== 'number') {
      this.base.clearTimeout(at)
      return
    }
    const bucket = this.buckets.get(at)
    if (!bucket) return
    bucket.fns.delete(handle.id)
    if (bucket.fns.size === 0) {
      this.base.clearTimeout(bucket.handle)
      this.buckets.delete(at)
    }
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms))
  }

  /** The base clock's slot (0-ms timers pass straight through, so their order is the base's). */
  reserveSlot(): ClockSlot | undefined {
    return this.base.reserveSlot?.()
  }

  setTimeoutInSlot(slot: ClockSlot, fn: () => void): TimerHandle {
    const id = this.nextId++
    const run = (): void => {
      this.where.delete(id)
      fn()
    }
    const base = this.base
    const handle = base.setTimeoutInSlot
      ? base.setTimeoutInSlot(slot, run)
      : base.setTimeout(run, 0)
    this.where.set(id, handle)
    return { id }
  }

  stats(): TickClockStats {
    return { bucketTimers: this.bucketTimers, timers: this.timers }
  }

  /** Timers armed and not yet fired or cleared. */
  pending(): number {
    return this.where.size
  }

  private fire(deadline: number): void {
    const bucket = this.buckets.get(deadline)
    if (!bucket) return
    this.buckets.delete(deadline)
    for (const [id, fn] of bucket.fns) {
      // A callback earlier in this bucket may have cleared a later one.
      if (this.where.get(id) !== deadline) continue
      this.where.delete(id)
      fn()
    }
  }
}
