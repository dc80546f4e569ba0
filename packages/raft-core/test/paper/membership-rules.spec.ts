/**
 * Membership rules that the mutation run of session 16 (TESTING.md, "Membership, learners and
 * leadership transfer") found unpinned: planning a change (confchange.ts), the leader's and the
 * follower's side of a change in the core (membership-change.ts) and the configuration history
 * (membership.ts). One rule per test, on RawNode over the synchronous test network
 * (helpers/network.ts) or on the pure planning functions.
 */
import { expect } from 'chai'
import { InvalidMembershipError } from '../../src/errors.js'
import { planChange, removeTarget } from '../../src/confchange.js'
import type { Membership } from '../../src/types.js'
import { Network } from '../helpers/network.js'

const sorted = (m: Membership | undefined): Membership => ({
  voters: [...(m?.voters ?? [])].sort(),
  learners: [...(m?.learners ?? [])].sort(),
  outgoing: [...(m?.outgoing ?? [])].sort(),
})

/** a leads a, b, c (d a learner) and has committed one entry of its term. */
function withLearner(): Network {
  const net = new Network(['a', 'b', 'c'], { seed: 1 })
  net.elect('a')
  net.propose('a', 'x')
  net.join('d')
  net.node('a').proposeMembership({ voters: ['a', 'b', 'c'], learners: ['d'] })
  net.settle()
  net.tick(['a'])
  return net
}

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

  it('Membership: a change is planned only from a configuration that is not joint', () => {
    const joint = { voters: ['a', 'b', 'd'], learners: [], outgoing: ['a', 'b', 'c'] }
    expect(() => planChange(joint, { voters: ['a', 'b'] })).to.throw(
      InvalidMembershipError,
      /joint/,
    )
  })
})

function membership(voters: string[], learners: string[] = []): Membership {
  return { voters, learners, outgoing: [] }
}
