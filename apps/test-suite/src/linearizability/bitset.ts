/** A fixed-size set of small integers (the operations linearized so far). */
export class Bitset {
  private constructor(private readonly words: Uint32Array) {}

  static ofSize(bits: number): Bitset {
    return new Bitset(new Uint32Array(Math.max(1, Math.ceil(bits / 32))))
  }

  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31)
  }

  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31))
  }

  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0
  }

  clone(): Bitset {
    return new Bitset(this.words.slice())
  }

  equals(other: Bitset): boolean {
    const a = this.words
    const b = other.words
    if (a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  }

  /** Mixes every word, so sets of equal size still land in different buckets. */
  hash(): number {
    let h = 0x811c9dc5
    for (let i = 0; i < this.words.length; i++) {
      h = Math.imul(h ^ this.words[i]!, 0x01000193)
    }
    return h | 0
  }
}
