import { createRng } from '@raftkit/raft-core'
import { expect } from 'chai'
import { Bitset } from '../src/bitset.js'

/** A set built by setting `members` in the given order on a fresh Bitset of `size`. */
function of(size: number, members: readonly number[]): Bitset {
  const b = Bitset.ofSize(size)
  for (const m of members) b.set(m)
  return b
}

describe('linearizability: Bitset keys for the configuration cache', () => {
  it('gives equal sets the same hash and matching keys, however they were reached', () => {
    const rng = createRng(11)
    for (let round = 0; round < 200; round++) {
      const size = 1 + rng.int(200)
      const a = Bitset.ofSize(size)
      const reference = new Set<number>()
      // Random sets and clears, the way a search with backtracking moves.
      for (let step = 0; step < 400; step++) {
        const i = rng.int(size)
        if (rng.next() < 0.7) {
          a.set(i)
          reference.add(i)
        } else {
          a.clear(i)
          reference.delete(i)
        }
      }
      const b = of(
        size,
        [...reference].sort((x, y) => y - x),
      )
      for (let i = 0; i < size; i++) expect(a.has(i)).to.equal(reference.has(i))
      expect(a.hash()).to.equal(b.hash())
      expect(a.matches(b.key())).to.equal(true)
      expect(b.matches(a.key())).to.equal(true)
    }
  })

  it('tells sets apart that differ in one member, before, inside or after the kept words', () => {
    const size = 200
    const prefix = Array.from({ length: 96 }, (_, i) => i) // three full words of ones
    const base = of(size, [...prefix, 100, 130])
    for (const extra of [96, 101, 131, 199]) {
      const other = of(size, [...prefix, 100, 130, extra])
      expect(other.matches(base.key()), `with ${extra}`).to.equal(false)
      expect(base.matches(other.key()), `without ${extra}`).to.equal(false)
    }
    const missingOne = of(size, [...prefix.slice(1), 100, 130])
    expect(missingOne.matches(base.key())).to.equal(false)
    expect(base.matches(missingOne.key())).to.equal(false)
  })

  it('tells sets apart whose kept words are equal but start at different words', () => {
    // {0..31, 32} keeps word 1 (= 1) after one word of ones; {0} keeps word 0 (= 1). The keys hash
    // differently, but a match must not rest on that: buckets are shared on a hash collision.
    const shifted = of(64, [...Array.from({ length: 32 }, (_, i) => i), 32])
    const plain = of(64, [0])
    expect(shifted.key().words).to.deep.equal(plain.key().words)
    expect(shifted.matches(plain.key())).to.equal(false)
    expect(plain.matches(shifted.key())).to.equal(false)
  })

  it('keeps only the words between the leading ones and the trailing zeros', () => {
    const b = of(10_000, [...Array.from({ length: 9_000 }, (_, i) => i), 9_500])
    // 9 000 members set in a row (281 full words, then 8 bits), and one far ahead.
    const key = b.key()
    expect(key.lo).to.equal(281)
    expect(key.words.length).to.equal(Math.floor(9_500 / 32) - 281 + 1)
  })
})
