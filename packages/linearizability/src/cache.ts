/**
 * Lowe's memoisation: the set of (linearized operations, model state) configurations already
 * explored. Reaching one again cannot lead anywhere new, so the search skips it.
 */
import type { Bitset, BitsetKey } from './bitset.js'

interface Configuration<S> {
  readonly linearized: BitsetKey
  readonly state: S
}

export class ConfigurationCache<S> {
  private readonly buckets = new Map<number, Configuration<S>[]>()
  private count = 0

  constructor(
    private readonly equal: (a: S, b: S) => boolean,
    private readonly hashState: (s: S) => number,
  ) {}

  /** Adds the configuration (a compact copy of the set) and returns true, or false if it was present. */
  add(linearized: Bitset, state: S): boolean {
    const key = (linearized.hash() ^ Math.imul(this.hashState(state), 0x9e3779b1)) | 0
    const bucket = this.buckets.get(key)
    if (bucket) {
      for (const c of bucket) {
        if (linearized.matches(c.linearized) && this.equal(c.state, state)) return false
      }
      bucket.push({ linearized: linearized.key(), state })
    } else {
      this.buckets.set(key, [{ linearized: linearized.key(), state }])
    }
    this.count++
    return true
  }

  get size(): number {
    return this.count
  }
}
