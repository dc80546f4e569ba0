import { expect } from 'chai'
import { committedIndex, hasQuorum, majority, voteResult } from '../src/quorum.js'

describe('quorum', () => {
  it('majority of n voters', () => {
    expect([1, 2, 3, 4, 5].map(majority)).to.deep.equal([1, 2, 2, 3, 3])
  })
  it('committedIndex is the highest index a majority matched', () => {
    expect(committedIndex([5])).to.equal(5)
    expect(committedIndex([5, 1, 3])).to.equal(3)
    expect(committedIndex([5, 5, 1, 1])).to.equal(1)
    expect(committedIndex([9, 8, 7, 2, 1])).to.equal(7)
  })
  it('voteResult: won, lost or pending', () => {
    const voters = ['a', 'b', 'c']
    expect(voteResult(new Map([['a', true]]), voters)).to.equal('pending')
    expect(
      voteResult(
        new Map([
          ['a', true],
          ['b', true],
        ]),
        voters,
      ),
    ).to.equal('won')
    expect(
      voteResult(
        new Map([
          ['a', true],
          ['b', false],
          ['c', false],
        ]),
        voters,
      ),
    ).to.equal('lost')
    expect(
      voteResult(
        new Map([
          ['z', true],
          ['a', true],
        ]),
        voters,
      ),
    ).to.equal('pending')
  })
  it('hasQuorum counts only voters', () => {
    expect(hasQuorum(new Set(['a', 'x', 'y']), ['a', 'b', 'c'])).to.equal(false)
    expect(hasQuorum(new Set(['a', 'c']), ['a', 'b', 'c'])).to.equal(true)
  })
})
