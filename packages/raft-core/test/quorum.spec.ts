import { expect } from 'chai'
import {
  committedIndex,
  hasQuorum,
  jointCommittedIndex,
  jointHasQuorum,
  jointVoteResult,
  majority,
  voteResult,
} from '../src/quorum.js'

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

describe('Membership: joint quorums (thesis §4.3)', () => {
  const incoming = ['a', 'd', 'e']
  const outgoing = ['a', 'b', 'c']
  const matches: Record<string, number> = { a: 9, b: 7, c: 3, d: 8, e: 2 }
  const match = (id: string): number => matches[id] ?? 0

  it('jointCommittedIndex is the smaller of the two majorities’ indexes; without outgoing voters, the plain one', () => {
    // incoming: 9, 8, 2 → 8; outgoing: 9, 7, 3 → 7
    expect(jointCommittedIndex(match, incoming, outgoing)).to.equal(7)
    expect(jointCommittedIndex(match, incoming, [])).to.equal(8)
  })

  it('jointVoteResult: won only when both halves are won, lost when either is lost', () => {
    const votes = (granted: string[], rejected: string[] = []): Map<string, boolean> =>
      new Map([
        ...granted.map((v) => [v, true] as const),
        ...rejected.map((v) => [v, false] as const),
      ])
    expect(jointVoteResult(votes(['a', 'd']), incoming, outgoing)).to.equal('pending')
    expect(jointVoteResult(votes(['a', 'b']), incoming, outgoing)).to.equal('pending')
    expect(jointVoteResult(votes(['a', 'b', 'd']), incoming, outgoing)).to.equal('won')
    expect(jointVoteResult(votes(['a', 'd'], ['b', 'c']), incoming, outgoing)).to.equal('lost')
    expect(jointVoteResult(votes(['a', 'b'], ['d', 'e']), incoming, outgoing)).to.equal('lost')
    expect(jointVoteResult(votes(['a', 'd']), incoming, [])).to.equal('won')
  })

  it('jointHasQuorum needs a majority of each half', () => {
    expect(jointHasQuorum(new Set(['a', 'd', 'b']), incoming, outgoing)).to.equal(true)
    expect(jointHasQuorum(new Set(['a', 'd', 'e']), incoming, outgoing)).to.equal(false)
    expect(jointHasQuorum(new Set(['a', 'b', 'c']), incoming, outgoing)).to.equal(false)
    expect(jointHasQuorum(new Set(['a', 'd']), incoming, [])).to.equal(true)
  })
})
