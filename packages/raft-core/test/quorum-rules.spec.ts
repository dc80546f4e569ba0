/** Quorum rules that mutation testing found unpinned (see TESTING.md). */
import { expect } from 'chai'
import fc from 'fast-check'
import { committedIndex, jointHasQuorum, jointVoteResult, voteResult } from '../src/quorum.js'

const votes = (entries: Array<[string, boolean]>) => new Map(entries)

describe('quorum rules', () => {
  it('an election is lost only once a majority rejected: one rejection of three leaves it pending', () => {
    const voters = ['a', 'b', 'c']
    expect(voteResult(votes([['b', false]]), voters)).to.equal('pending')
    expect(
      voteResult(
        votes([
          ['a', true],
          ['b', false],
        ]),
        voters,
      ),
    ).to.equal('pending')
    expect(
      voteResult(
        votes([
          ['b', false],
          ['c', false],
        ]),
        voters,
      ),
    ).to.equal('lost')
  })

  it('no voters: nothing is committed', () => {
    expect(committedIndex([])).to.equal(0)
  })

  it('while joint, a decision needs a majority of the incoming AND of the outgoing voters', () => {
    const incoming = ['a', 'b', 'c']
    const outgoing = ['c', 'd', 'e']
    expect(jointHasQuorum(new Set(['a', 'b']), incoming, outgoing)).to.equal(false)
    expect(jointHasQuorum(new Set(['d', 'e']), incoming, outgoing)).to.equal(false)
    expect(jointHasQuorum(new Set(['a', 'c', 'd']), incoming, outgoing)).to.equal(true)
    expect(jointHasQuorum(new Set(['a', 'b']), incoming, [])).to.equal(true)
  })

  it('a joint election is lost when either half is lost, won when both are won, pending otherwise', () => {
    const incoming = ['a', 'b', 'c']
    const outgoing = ['c', 'd', 'e']
    const lostOut = votes([
      ['a', true],
      ['b', true],
      ['d', false],
      ['e', false],
    ])
    expect(jointVoteResult(lostOut, incoming, outgoing)).to.equal('lost')
    const lostIn = votes([
      ['a', false],
      ['b', false],
      ['d', true],
      ['e', true],
    ])
    expect(jointVoteResult(lostIn, incoming, outgoing)).to.equal('lost')
    const halfWon = votes([
      ['a', true],
      ['b', true],
      ['d', true],
    ])
    expect(jointVoteResult(halfWon, incoming, outgoing)).to.equal('pending')
    expect(jointVoteResult(votes([...halfWon, ['e', true]]), incoming, outgoing)).to.equal('won')
  })

  it('the commit index is the highest index that a majority of the match indexes reach, and the matches are left as they were', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 9 }), (matches) => {
        const before = matches.slice()
        const got = committedIndex(matches)
        const reach = (i: number) => matches.filter((m) => m >= i).length
        expect(reach(got)).to.be.at.least(Math.floor(matches.length / 2) + 1)
        expect(reach(got + 1)).to.be.below(Math.floor(matches.length / 2) + 1)
        expect(matches).to.deep.equal(before)
      }),
      { numRuns: 500 },
    )
  })
})
