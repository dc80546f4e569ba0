/**
 * A fixed-size set of small integers (the operations linearized so far), with a compact key for
 * Lowe's cache. In a search the set is nearly always "every operation up to some point, plus a
 * few after it": the key leaves out the leading words that are all ones and the trailing words
 * that are all zeros, so hashing, comparing and storing a configuration costs the width of that
 * frontier rather than the length of the history.
 */
const ALL_ONES = 0xffffffff

/** A stored copy of a set: words[lo..lo + words.length) of it; all ones before, zeros after. */
export interface BitsetKey {
  readonly lo: number
  readonly words: Uint32Array
}

export class Bitset {
  /** words[0..full) are all ones. */
  private full = 0
  /** words[top..) are all zeros (words[top - 1] may be zero too until trimmed). */
  private top = 0

  private constructor(private readonly words: Uint32Array) {}

  static ofSize(bits: number): Bitset {
    return new Bitset(new Uint32Array(Math.max(1, Math.ceil(bits / 32))))
  }

  set(i: number): void {
    const w = i >>> 5
    this.words[w]! |= 1 << (i & 31)
    if (w >= this.top) this.top = w + 1
    while (this.full < this.words.length && this.words[this.full] === ALL_ONES) this.full++
  }

  clear(i: number): void {
    const w = i >>> 5
    this.words[w]! &= ~(1 << (i & 31))
    if (w < this.full) this.full = w
  }

  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0
  }

  /** The words between the leading ones and the trailing zeros: [lo, hi). */
  private span(): [number, number] {
    while (this.top > this.full && this.words[this.top - 1] === 0) this.top--
    return [this.full, Math.max(this.full, this.top)]
  }

  /** Depends only on the members, so equal sets hash alike. */
  hash(): number {
    const [lo, hi] = this.span()
    let h = Math.imul(0x811c9dc5 ^ lo, 0x01000193)
    for (let i = lo; i < hi; i++) h = Math.imul(h ^ this.words[i]!, 0x01000193)
    return h | 0
  }

  /** A copy to keep (the set itself keeps changing). */
  key(): BitsetKey {
    const [lo, hi] = this.span()
    return { lo, words: this.words.slice(lo, hi) }
  }

  /** True when this set is the one `key` was taken from. */
  matches(key: BitsetKey): boolean {
    const [lo, hi] = this.span()
    if (lo !== key.lo || hi - lo !== key.words.length) return false
    for (let i = lo; i < hi; i++) if (this.words[i] !== key.words[i - lo]) return false
    return true
  }
}
