/**
 * Real I/O under a simulated clock. A storage adapter such as FileStorage completes its work in
 * Node's thread pool, which the SimulatedClock does not schedule: left alone, simulated time
 * would race ahead of the disk, and the order in which concurrent writes finish (and so the
 * order of everything that follows) would vary from run to run.
 *
 * The IoSequencer runs every storage operation the harness issues. Unattached it stays out of
 * the way (the real clock). Attached to a simulated run it holds each result and releases them
 * one at a time, in the order the operations were issued, whenever the clock has nothing else
 * to do and before it moves time. So storage I/O takes no simulated time, a run never looks
 * stalled while a write is in flight, and what the nodes observe does not depend on how fast
 * the disk was.
 */
import type { IoGate } from './storage-harness.js'

/** Real time one storage operation may take before a simulated run gives up on it. */
export const IO_WATCHDOG_MS = 60_000

/** Storage I/O that did not finish within IO_WATCHDOG_MS while a simulated run waited for it. */
export class StorageIoTimeoutError extends Error {
  constructor(ms: number) {
    super(
      `a storage operation did not finish within ${ms / 1000} s of real time; ` +
        'the simulated run cannot move on (is the disk stuck, or the directory locked?)',
    )
    this.name = 'StorageIoTimeoutError'
  }
}

interface Held {
  /** Settles (never rejects) when the operation has finished. */
  readonly finished: Promise<void>
  /** Hands the operation's outcome to its caller. */
  readonly release: () => void
}

export class IoSequencer {
  private held: Held[] = []
  private attached = false

  constructor(private readonly watchdogMs = IO_WATCHDOG_MS) {}

  /** Runs `op` now; while attached, its outcome reaches the caller when next() releases it. */
  run<T>(op: () => Promise<T>): Promise<T> {
    let raw: Promise<T>
    try {
      raw = op()
    } catch (e) {
      raw = Promise.reject(e instanceof Error ? e : new Error(String(e)))
    }
    if (!this.attached) return raw
    return new Promise<T>((resolve, reject) => {
      this.held.push({
        finished: raw.then(
          () => undefined,
          () => undefined,
        ),
        release: () => {
          raw.then(resolve, reject)
        },
      })
    })
  }

  /** Operations issued but not yet released. */
  get pending(): number {
    return this.held.length
  }

  /**
   * Starts holding results for a simulated run. Give the gate's next() to
   * SimulatedClock.waitBeforeAdvancing; call detach() when the run is over.
   */
  attach(): IoGate {
    if (this.attached)
      throw new Error(
        'this storage factory is already attached to a simulated run: run one at a time, ' +
          'or create one factory per concurrent run',
      )
    this.attached = true
    return {
      next: () => this.next(),
      detach: () => this.detach(),
    }
  }

  private next(): Promise<void> | undefined {
    const head = this.held[0]
    if (!head) return undefined
    return new Promise<void>((resolve, reject) => {
      const watchdog = setTimeout(
        () => reject(new StorageIoTimeoutError(this.watchdogMs)),
        this.watchdogMs,
      )
      void head.finished.then(() => {
        clearTimeout(watchdog)
        if (this.held[0] === head) this.held.shift()
        head.release()
        resolve()
      })
    })
  }

  private detach(): void {
    this.attached = false
    const held = this.held
    this.held = []
    for (const h of held) void h.finished.then(h.release)
  }
}
