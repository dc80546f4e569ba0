/**
 * The lab network's message faults (labrpc), shared by every network that exposes the lab fault
 * controls (transport-memory in process, transport-ws over real sockets): what happens to one
 * message on an unreliable or long-reordering network. Pure logic: every random choice is drawn
 * from the injected seeded `Rng`, in a fixed order, so a run under a simulated clock replays
 * from its seed. No timers, no I/O: the network applies the plan. Who can reach whom is
 * `Reachability` (fault-model-reachability.ts). Every value is the labrpc one; see
 * reference/lab-test-scenarios.md §1.3.
 */
import type { Rng } from './rng.js'

/** Probability that an unreliable network drops a request. @default 0.1 */
export const REQUEST_DROP_PROBABILITY = 0.1
/** Probability that an unreliable network drops a reply. @default 0.1 */
export const REPLY_DROP_PROBABILITY = 0.1
/** An unreliable network delays every message uniformly in [0, this) ms. @default 27 */
export const UNRELIABLE_DELAY_MS = 27
/** With long reordering, this share of replies is held back for a long time. @default 2/3 */
export const LONG_REORDER_PROBABILITY = 2 / 3
/** Shortest long-reordering delay of a reply, in ms. @default 200 */
export const LONG_REORDER_MIN_MS = 200
/** Long-reordering delays are 200 + rand(0 .. rand(0 .. this - 1)) ms, so 200–2199 ms. @default 2000 */
export const LONG_REORDER_SPREAD_MS = 2000

/** What the network does with one message. */
export type DeliveryPlan =
  { readonly drop: true } | { readonly drop: false; readonly delayMs: number }

/** The lab fault modes in force on a network (`setReliable`, `setLongReordering`). */
export interface FaultModes {
  readonly reliable: boolean
  readonly longReordering: boolean
}

/**
 * Draws the fate of one message. Requests and replies may each be dropped (10 %) and delayed
 * 0–26 ms on an unreliable network; with long reordering 2/3 of the replies are held back
 * 200–2199 ms, skewed toward the short end like labrpc's nested random bound.
 *
 * The draws, in order: unreliable → `int(27)` (delay), `next()` (drop); then, for a reply under
 * long reordering → `next()` (hold back?), and if held back `int(2000)` then `int(1 + that)`.
 * A reliable network without long reordering draws nothing. Changing this order changes every
 * seeded run's trace.
 */
export function planDelivery(rng: Rng, modes: FaultModes, request: boolean): DeliveryPlan {
  let delayMs = 0
  if (!modes.reliable) {
    delayMs = rng.int(UNRELIABLE_DELAY_MS)
    const dropProbability = request ? REQUEST_DROP_PROBABILITY : REPLY_DROP_PROBABILITY
    if (rng.next() < dropProbability) return { drop: true }
  }
  if (!request && modes.longReordering && rng.next() < LONG_REORDER_PROBABILITY) {
    delayMs += LONG_REORDER_MIN_MS + rng.int(1 + rng.int(LONG_REORDER_SPREAD_MS))
  }
  return { drop: false, delayMs }
}
