/**
 * The lab network model (labrpc), in numbers. Every value is the labrpc one; see
 * reference/lab-test-scenarios.md §1.3.
 */

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
