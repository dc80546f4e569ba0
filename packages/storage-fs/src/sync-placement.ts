/**
 * Where the log's fdatasync runs: on the main thread or on libuv's thread pool.
 *
 * On the thread pool the event loop goes on (messages, heartbeats, client requests) while the
 * disk works, but the call is handed to a pool thread and its completion comes back through the
 * loop: two thread wake-ups on the path of every commit. Where an idle CPU sleeps deeply (a
 * virtual machine that halts idle vCPUs) each wake-up costs tens of µs (BENCHMARKS #15
 * session 12: write + fdatasync 208 µs p50 on the main thread, 310 µs through the pool).
 *
 * The rule: when the log has been idle at least as long as its last fdatasync took (the disk
 * was busy at most half the time: light load, little for the loop to do meanwhile), the next
 * fdatasync runs on the main thread. Under load (fdatasyncs back to back) it goes to the pool,
 * where it overlaps with the loop's work. After an fdatasync slower than `maxInlineMs` (a slow
 * or stalled disk) the next goes to the pool, so a stalling disk blocks the loop at most once.
 */

/** Default `maxInlineMs`: far above a healthy fdatasync, far below an election timeout. */
export const DEFAULT_MAX_INLINE_SYNC_MS = 20

export class SyncPlacement {
  private lastEnd = Number.NEGATIVE_INFINITY
  private lastTook = 0

  constructor(private readonly maxInlineMs: number = DEFAULT_MAX_INLINE_SYNC_MS) {}

  /** Whether an fdatasync starting at `now` (ms, monotonic) should run on the main thread. */
  inline(now: number): boolean {
    return this.lastTook <= this.maxInlineMs && now - this.lastEnd >= this.lastTook
  }

  /** Records an fdatasync that ran from `start` to `end` (ms, monotonic), wherever it ran. */
  done(start: number, end: number): void {
    this.lastEnd = end
    this.lastTook = end - start
  }
}
