/**
 * The placement rule's exact choices (rebalance.ts's header), as examples. Every controller
 * replica, of every version that may share a log, must compute the same array, so which gid
 * gets the larger share and which shards move where are rules, not details: the properties in
 * rebalance.spec.ts (balance, minimal movement, order independence) hold for many placements.
 */
import { expect } from 'chai'
import { NSHARDS, rebalance } from '../src/index.js'

describe('rebalance: which shards go where', () => {
  it('has 10 shards (the examples below count on it)', () => {
    expect(NSHARDS).to.equal(10)
  })

  it('of gids holding equally many shards, the lower gid gets the larger share', () => {
    expect(rebalance(new Array(10).fill(0), [3, 1, 2])).to.deep.equal([
      1, 1, 1, 1, 2, 2, 2, 3, 3, 3,
    ])
    expect(rebalance([1, 1, 1, 2, 2, 2, 3, 3, 3, 0], [2, 3, 1])).to.deep.equal([
      1, 1, 1, 2, 2, 2, 3, 3, 3, 1,
    ])
    expect(rebalance([4, 4, 4, 4, 4, 4, 4, 4, 4, 4], [6, 5, 4])).to.deep.equal([
      4, 4, 4, 4, 5, 5, 5, 6, 6, 6,
    ])
  })

  it('the gids holding the most now get the larger shares', () => {
    // 3 holds 4 shards, 1 and 2 three each: 3 keeps its 4, nothing moves
    expect(rebalance([3, 3, 3, 3, 1, 1, 1, 2, 2, 2], [1, 2, 3])).to.deep.equal([
      3, 3, 3, 3, 1, 1, 1, 2, 2, 2,
    ])
  })

  it('a gid keeps its lowest-numbered shards; the freed ones go out in shard order, lowest first to the lowest gid in need', () => {
    // 9 leaves (shards 0, 1), 2 and 3 join; 1 keeps 2–5 and frees 6–9: the freed shards, in
    // order 0, 1, 6, 7, 8, 9, fill gid 2 (three) and then gid 3 (three)
    expect(rebalance([9, 9, 1, 1, 1, 1, 1, 1, 1, 1], [1, 2, 3])).to.deep.equal([
      2, 2, 1, 1, 1, 1, 2, 3, 3, 3,
    ])
  })
})
