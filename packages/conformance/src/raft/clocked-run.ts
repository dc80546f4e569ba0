/**
 * Drives one harness run on a simulated or a real clock: the part the Raft (cluster) and the
 * key/value (kv) runners share. A harness is created on the clock, the body runs under the
 * harness's guard (which fails the run at the first recorded failure), and the harness is
 * always cleaned up. Simulated runs are cut off past the lab's 120 s budget plus a grace period;
 * real runs fail through the harness once the same budget has passed.
 */
import { SimulatedClock, SystemClock } from '@raftkit/raft-core'
import type { Clock } from '@raftkit/raft-core'
import { MAX_DISK_ALLOWANCE_MS, TEST_TIME_LIMIT_MS } from './harness.js'
import type { StorageFactory } from './storage-harness.js'

export type ClockKind = 'sim' | 'real'

export interface RunResult {
  /** Clock time the scenario took (simulated milliseconds under 'sim'). */
  readonly elapsedMs: number
}

/** What a harness offers the runner. */
export interface GuardedHarness {
  guard<T>(body: () => Promise<T>): Promise<T>
  fail(reason: string): Error
  cleanup(): Promise<void>
}

/** Simulated time allowed past the 120 s budget before a run is cut off (cleanup included). */
const SIM_GRACE_MS = 30_000
/**
 * Where a simulated run is cut off: past the budget, the most disk time a scenario may be
 * granted on top of it (the harness's own end() applies the exact limit), and the grace.
 */
const SIM_CUTOFF_MS = TEST_TIME_LIMIT_MS + MAX_DISK_ALLOWANCE_MS + SIM_GRACE_MS

export async function runClocked<H extends GuardedHarness>(
  kind: ClockKind,
  create: (clock: Clock) => Promise<H>,
  body: (harness: H) => Promise<void>,
  storage?: StorageFactory,
): Promise<RunResult> {
  return kind === 'sim' ? runSimulated(create, body, storage) : runReal(create, body)
}

async function runSimulated<H extends GuardedHarness>(
  create: (clock: Clock) => Promise<H>,
  body: (harness: H) => Promise<void>,
  storage: StorageFactory | undefined,
): Promise<RunResult> {
  const clock = new SimulatedClock()
  // Storage that does real I/O (files) is held in step with the clock: see IoSequencer.
  const io = storage?.simulate?.()
  if (io) clock.waitBeforeAdvancing(() => io.next())
  let harness: H | undefined
  try {
    await clock.run(async () => {
      harness = await create(clock)
      const h = harness
      try {
        await h.guard(() => body(h))
      } finally {
        await h.cleanup()
      }
    }, SIM_CUTOFF_MS)
  } catch (e) {
    // A run cut off by the simulated time limit (or by an exception thrown inside a timer)
    // never reached its finally: clean up in a fresh simulation.
    const h = harness
    if (h) await clock.run(() => h.cleanup(), SIM_GRACE_MS).catch(() => undefined)
    if (e instanceof Error && e.name === 'SimulationStalledError' && /limit/.test(e.message))
      throw new Error(
        `test took longer than ${TEST_TIME_LIMIT_MS / 1000} seconds (simulated): ${e.message}`,
      )
    throw e
  } finally {
    clock.waitBeforeAdvancing(null)
    io?.detach()
  }
  return { elapsedMs: clock.now() }
}

async function runReal<H extends GuardedHarness>(
  create: (clock: Clock) => Promise<H>,
  body: (harness: H) => Promise<void>,
): Promise<RunResult> {
  const clock = new SystemClock()
  const t0 = clock.now()
  const harness = await create(clock)
  // The lab only checks its budget at the end; a real-time run is also cut off there.
  const budget = clock.setTimeout(() => {
    harness.fail(`test took longer than ${TEST_TIME_LIMIT_MS / 1000} seconds`)
  }, TEST_TIME_LIMIT_MS + SIM_GRACE_MS)
  try {
    await harness.guard(() => body(harness))
  } finally {
    clock.clearTimeout(budget)
    await harness.cleanup()
  }
  return { elapsedMs: clock.now() - t0 }
}
