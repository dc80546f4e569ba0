/**
 * Membership rules that the mutation run of session 16 (TESTING.md, "Membership, learners and
 * leadership transfer") found unpinned: planning a change (confchange.ts), the leader's and the
 * follower's side of a change in the core (membership-change.ts) and the configuration history
 * (membership.ts). One rule per test, on RawNode over the synchronous test network
 * (helpers/network.ts) or on the pure planning functions.
 */
import { expect } from 'chai'
import {
  InvalidMembershipError,
  TransferInProgressError,
  UnknownNodeError,
} from '../../src/errors.js'
import { addLearnerTarget, planChange, promoteTarget, removeTarget } from '../../src/confchange.js'
import type { Membership } from '../../src/types.js'
import { sortedMembership, withLearner } from '../helpers/membership.js'
import { Network } from '../helpers/network.js'

const sorted = sortedMembership

describe('Membership rules: planning a change', () => {
  it('Membership: removing a learner takes it out of the learners, in one entry that touches no quorum', () => {
    const net = withLearner()
    const a = net.node('a')
    const before = a.status().lastIndex
    a.proposeMembership(removeTarget(a.membership().current, 'd'))
    net.settle()
    net.tick(['a'])
    expect(sorted(a.membership().committed)).to.deep.equal(sorted(membership(['a', 'b', 'c'])))
    expect(a.status().lastIndex).to.equal(before + 1)
    expect(sorted(net.node('b').status().membership)).to.deep.equal(
      sorted(membership(['a', 'b', 'c'])),
    )
  })

  it('Membership: removing a voter takes it out of the voters (through C_old,new)', () => {
    const net = withLearner()
    const a = net.node('a')
    a.proposeMembership(removeTarget(a.membership().current, 'c'))
    net.settle()
    net.tick(['a'])
    expect(sorted(a.membership().committed)).to.deep.equal(sorted(membership(['a', 'b'], ['d'])))
  })

  it('Membership: a target that changes nothing, or adds a member it has, is refused saying which', () => {
    const m = { voters: ['a', 'b'], learners: ['l'], outgoing: [] }
    expect(() => planChange(m, { voters: ['b', 'a'], learners: ['l'] })).to.throw(
      InvalidMembershipError,
      /the target configuration is the current one/,
    )
    expect(() => planChange(m, { voters: [] })).to.throw(InvalidMembershipError, /"target"/)
    expect(() => addLearnerTarget(m, 'a')).to.throw(
      InvalidMembershipError,
      /"a" is a voter already/,
    )
    expect(() => addLearnerTarget(m, 'l')).to.throw(
      InvalidMembershipError,
      /"l" is a learner already/,
    )
    expect(() => promoteTarget(m, 'b')).to.throw(UnknownNodeError, /add it as a learner first/)
  })

  it('Membership: a change is planned only from a configuration that is not joint', () => {
    const joint = { voters: ['a', 'b', 'd'], learners: [], outgoing: ['a', 'b', 'c'] }
    expect(() => planChange(joint, { voters: ['a', 'b'] })).to.throw(
      InvalidMembershipError,
      /joint/,
    )
  })
})

describe('Membership rules: the members a node replicates to', () => {
  it('Membership: a follower that stored a configuration entry replicates to the members it names once it leads', () => {
    const net = withLearner() // b stored the entry adding learner d (nothing truncated)
    net.node('a').transferLeadership('b')
    net.settle()
    expect(net.leaders()).to.deep.equal(['b'])
    net.propose('b', 'from b')
    net.tick(['b'])
    expect(net.appliedTexts('d')).to.deep.equal(['x', 'from b'])
  })

  it('Membership: a follower that installed a snapshot takes the members of its configuration as peers (it replicates to them once it leads)', () => {
    const net = new Network(['a', 'b', 'c'], { seed: 1 })
    net.elect('a')
    net.propose('a', 'x')
    net.isolate('b')
    net.join('d')
    net.node('a').proposeMembership({ voters: ['a', 'b', 'c'], learners: ['d'] })
    net.settle()
    net.propose('a', 'y')
    net.tick(['a'])
    const commit = net.node('a').status().commitIndex
    net.compact('a', commit)
    net.heal()
    net.tick(['a']) // b is behind the compacted log: it gets the snapshot
    expect(net.node('b').status().snapshotIndex).to.equal(commit)
    expect(sorted(net.node('b').status().membership)).to.deep.equal(
      sorted(membership(['a', 'b', 'c'], ['d'])),
    )
    net.node('a').transferLeadership('b')
    net.settle()
    expect(net.leaders()).to.deep.equal(['b'])
    net.propose('b', 'from b')
    net.tick(['b'])
    expect(net.appliedTexts('d')).to.deep.equal(['x', 'y', 'from b'])
  })
})

describe('Membership rules: changes and leadership transfer', () => {
  it('Membership: a leader refuses a change while it transfers leadership (TransferInProgressError)', () => {
    const net = withLearner()
    net.isolate('c')
    net.propose('a', 'y') // c lags: the transfer cannot complete at once
    const a = net.node('a')
    a.transferLeadership('c')
    expect(() => a.proposeMembership({ voters: ['a', 'b'] })).to.throw(TransferInProgressError)
    expect(a.membership().current.voters).to.have.members(['a', 'b', 'c'])
  })

  it('LeadershipTransfer: a transfer to a voter the change adds survives the leader leaving the joint configuration', () => {
    const net = new Network(['a', 'b', 'c'], { seed: 1 })
    net.elect('a')
    net.propose('a', 'x')
    net.join('d')
    const a = net.node('a')
    a.proposeMembership({ voters: ['a', 'b', 'c', 'd'] }) // C_old,new: d is a voter already
    a.transferLeadership('d') // d is empty: it catches up first, after C_new is appended
    net.settle()
    net.tick(['a'])
    expect(net.leaders()).to.deep.equal(['d'])
    expect(sorted(net.node('d').membership().committed)).to.deep.equal(
      sorted(membership(['a', 'b', 'c', 'd'])),
    )
  })
})

function membership(voters: string[], learners: string[] = []): Membership {
  return { voters, learners, outgoing: [] }
}
