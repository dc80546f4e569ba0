/**
 * The stop switch of a test cluster run, shared by the Raft, kv and shard harnesses: the first
 * failure (a FailureLatch), whether the run finished (cleanup), and the sleeps still pending on
 * the cluster's clock, which stopping cancels. A sleep, and every step that checks
 * throwIfStopped(), gives up once the run failed or finished.
 */
import type { Clock, TimerHandle } from '@raftkit/raft-core'
import { ClusterFinished, FailureLatch } from './failure.js'

export class RunControl {
  private readonly latch = new FailureLatch()
  private readonly sleeps = new Set<TimerHandle>()
  private finished = false

  /** `onStop` runs in stop() before the sleeps are cancelled (e.g. removing a clock's hook). */
  constructor(
    private readonly clock: Clock,
    private readonly onStop: () => void = () => undefined,
  ) {}

  /** Runs `body`, failing as soon as a failure is recorded. */
  guard<T>(body: () => Promise<T>): Promise<T> {
    return this.latch.guard(body)
  }

  /** Records the first failure and returns it (callers `throw cluster.fail(...)`). */
  fail(reason: string | Error): Error {
    return this.latch.fail(reason)
  }

  /** The first failure recorded, if any. */
  get error(): Error | undefined {
    return this.latch.error
  }

  /** True once stop() ran (the cluster is being cleaned up). */
  get isFinished(): boolean {
    return this.finished
  }

  /** True once the run failed or finished. */
  get stopped(): boolean {
    return this.latch.error !== undefined || this.finished
  }

  /** Marks the run finished, runs `onStop` and cancels the pending sleeps. */
  stop(): void {
    this.finished = true
    this.onStop()
    for (const h of this.sleeps) this.clock.clearTimeout(h)
    this.sleeps.clear()
  }

  /** Sleeps on the cluster's clock; throws if the run failed or finished meanwhile. */
  async sleep(ms: number): Promise<void> {
    this.throwIfStopped()
    await new Promise<void>((resolve) => {
      const handle = this.clock.setTimeout(() => {
        this.sleeps.delete(handle)
        resolve()
      }, ms)
      this.sleeps.add(handle)
    })
    this.throwIfStopped()
  }

  throwIfStopped(): void {
    if (this.latch.error) throw this.latch.error
    if (this.finished) throw new ClusterFinished()
  }
}
