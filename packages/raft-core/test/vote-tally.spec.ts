/** VoteTally (vote-tally.ts): which answers count in an election, and for how long. */
import { expect } from 'chai'
import { membershipOf } from '../src/membership.js'
import { VoteTally } from '../src/vote-tally.js'

const three = membershipOf(['a', 'b', 'c'])

describe('vote tally', () => {
  it("only a voter's first answer in an election counts: a later grant does not undo its rejection", () => {
    const t = new VoteTally()
    expect(t.poll('pre', 'a', true, three)).to.equal('pending')
    expect(t.poll('pre', 'b', false, three)).to.equal('pending')
    expect(t.poll('pre', 'b', true, three)).to.equal('pending')
    expect(t.poll('pre', 'c', false, three)).to.equal('lost')
  })

  it('a candidate wins with votes from a majority of the servers (§5.2), its own included', () => {
    const t = new VoteTally()
    t.startTerm()
    expect(t.poll('real', 'a', true, three)).to.equal('pending')
    expect(t.poll('real', 'b', true, three)).to.equal('won')
  })

  it("the term's real votes outlive the election's tally: a grant counts for the whole term it was given in", () => {
    const t = new VoteTally()
    t.startTerm()
    t.poll('real', 'a', true, three)
    t.clearElection() // the election timed out: a pre-vote starts, in the same term
    expect(t.poll('pre', 'c', false, three)).to.equal('pending')
    expect(t.hasTermVotes()).to.equal(true)
    expect(t.poll('real', 'b', true, three)).to.equal('won')
  })

  it("a pre-vote's answers never count as real votes, and the other way round", () => {
    const t = new VoteTally()
    t.startTerm()
    t.poll('pre', 'a', true, three)
    expect(t.poll('real', 'b', true, three)).to.equal('pending')
    t.clearElection()
    expect(t.poll('pre', 'b', true, three)).to.equal('pending')
  })

  it('once the term ends (a new term, or this node led in it) its real votes are gone', () => {
    const t = new VoteTally()
    t.startTerm()
    t.poll('real', 'a', true, three)
    t.endTerm()
    expect(t.hasTermVotes()).to.equal(false)
    t.clearElection()
    expect(t.poll('real', 'b', true, three)).to.equal('pending')
  })

  it('while joint, an election is won only with a majority of the incoming AND of the outgoing voters', () => {
    const t = new VoteTally()
    t.startTerm()
    const joint = { ...membershipOf(['a', 'b', 'c']), outgoing: ['c', 'd', 'e'] }
    expect(t.poll('real', 'a', true, joint)).to.equal('pending')
    expect(t.poll('real', 'b', true, joint)).to.equal('pending')
    expect(t.poll('real', 'd', true, joint)).to.equal('pending')
    expect(t.poll('real', 'c', true, joint)).to.equal('won')
  })
})
