/**
 * A Clock that runs a hook after every timer it fires. The harness hands it to the nodes and
 * the network, so with a SimulatedClock the invariant checks run after every simulated step
 * (each tick, each delivered message), and with a real clock after every timer.
 */
import type { Clock, ClockSlot, TimerHandle } from '@raftkit/raft-core'

export class ObservedClock implements Clock {
  private hook: (() => void) | null = null

  constructor(readonly inner: Clock) {}

  /** Installs the after-fire hook (one at a time; null removes it). */
  observe(hook: (() => void) | null): void {
    this.hook = hook
  }

  now(): number {
    return this.inner.now()
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.inner.setTimeout(this.observed(fn), ms)
  }

  reserveSlot(): ClockSlot | undefined {
    return this.inner.reserveSlot?.()
  }

  setTimeoutInSlot(slot: ClockSlot, fn: () => void): TimerHandle {
    const inner = this.inner
    return inner.setTimeoutInSlot
      ? inner.setTimeoutInSlot(slot, this.observed(fn))
      : inner.setTimeout(this.observed(fn), 0)
  }

  private observed(fn: () => void): () => void {
    return () => {
      try {
        fn()
      } finally {
        this.hook?.()
      }
    }
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    this.inner.clearTimeout(handle)
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms))
  }
}
