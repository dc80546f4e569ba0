/**
 * A rate limit for log lines of an event that repeats for one key, e.g. a node removed from
 * the cluster but still running, redialling every second with an id this node does not know:
 * the first occurrence of a key is logged, then at most one line per interval, which carries
 * how many occurrences were left out since the line before. The left-out ones are for a lower
 * level (debug). At most `maxKeys` keys are tracked (the least recently logged one is forgotten
 * first), so parties that send many different keys cannot grow it.
 */

/** Default interval between two lines for one key. */
export const REPEAT_LOG_INTERVAL_MS = 60_000
/** Default number of keys tracked. */
export const REPEAT_LOG_MAX_KEYS = 64

/** What `RepeatLog.take` answers for an occurrence to log. */
export interface Repeat {
  /** Occurrences not logged (at the line's level) since the key's last line. */
  readonly leftOut: number
  /** Time since the key's last line. */
  readonly sinceMs: number
}

/** A first occurrence: nothing left out. */
export const FIRST: Repeat = { leftOut: 0, sinceMs: 0 }

/** The end of a line that sums up left-out occurrences ('' when none were left out). */
export function leftOutNote(r: Repeat | undefined): string {
  if (r === undefined || r.leftOut === 0) return ''
  return ` (${r.leftOut} more like it in the last ${Math.round(r.sinceMs / 1000)} s, logged at debug)`
}

export class RepeatLog {
  /** Per key: when its last line was logged and how many occurrences were left out since. */
  private readonly keys = new Map<string, { loggedAt: number; leftOut: number }>()

  constructor(
    private readonly now: () => number,
    private readonly intervalMs = REPEAT_LOG_INTERVAL_MS,
    private readonly maxKeys = REPEAT_LOG_MAX_KEYS,
  ) {}

  /**
   * One occurrence of `key`: undefined when it is not to be logged (another line for the key
   * came within the interval); else log it, saying that `leftOut` occurrences were not in the
   * `sinceMs` since the key's last line (both 0 for the first one).
   */
  take(key: string): Repeat | undefined {
    const t = this.now()
    const k = this.keys.get(key)
    if (k !== undefined && t - k.loggedAt < this.intervalMs) {
      k.leftOut++
      return undefined
    }
    const summary = k === undefined ? FIRST : { leftOut: k.leftOut, sinceMs: t - k.loggedAt }
    this.keys.delete(key) // re-inserted last: the Map's order is the order of the last lines
    if (this.keys.size >= this.maxKeys) {
      const oldest = this.keys.keys().next()
      if (oldest.done !== true) this.keys.delete(oldest.value)
    }
    this.keys.set(key, { loggedAt: t, leftOut: 0 })
    return summary
  }
}
