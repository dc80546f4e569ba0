/**
 * Learners (non-voting members, thesis §4.2.1) and leadership transfer (thesis §3.10) on
 * RawNode, one rule per test.
 */
import { expect } from 'chai'
import { NotLeaderError, TransferInProgressError, UnknownNodeError } from '../../src/errors.js'
import type { Membership } from '../../src/types.js'
import { sortedMembership, withLearner } from '../helpers/membership.js'
import { Network, text } from '../helpers/network.js'
import { ae, fixture, ofType, vote } from '../helpers/fixture.js'
import { encodeMembership } from '../../src/membership-codec.js'

const learnerD: Membership = { voters: ['a', 'b', 'c'], learners: ['d'], outgoing: [] }

const sorted = sortedMembership

describe('Learner: non-voting members', () => {
  it('Learner: a learner receives the log', () => {
    const net = withLearner()
    expect(sorted(net.node('d').status().membership)).to.deep.equal({
      voters: ['a', 'b', 'c'],
      learners: ['d'],
      outgoing: [],
    })
    net.propose('a', 'y')
    net.tick(['a'])
    expect(net.appliedTexts('d')).to.deep.equal(['x', 'y'])
  })

  it('Learner: adding or removing a learner changes no quorum, so it is one entry and never joint', () => {
    const net = new Network(['a', 'b', 'c'])
    net.elect('a')
    net.propose('a', 'x')
    const before = net.node('a').status().lastIndex
    net.node('a').proposeMembership({ voters: ['a', 'b', 'c'], learners: ['d'] })
    expect(net.node('a').status().joint).to.equal(false)
    net.settle()
    expect(net.node('a').status().lastIndex).to.equal(before + 1)
  })

  it('Learner: a learner does not count toward commit', () => {
    const net = withLearner()
    net.isolate('b')
    net.isolate('c')
    const { index } = net.node('a').propose(text('y'))
    net.settle()
    net.tick(['a', 'd'], 3)
    expect(net.node('d').status().lastIndex).to.equal(index) // d stored it...
    expect(net.node('a').status().commitIndex).to.be.below(index) // ...and that is not a majority
  })

  it('Learner: a learner never campaigns, whatever its election timer does', () => {
    const net = withLearner()
    net.isolate('d')
    const sentBefore = net.sent.length
    for (let i = 0; i < 50; i++) net.node('d').tick()
    net.node('d').campaign()
    const out = net.processReady('d')
    expect(net.node('d').status().role).to.equal('follower')
    expect(net.node('d').status().term).to.equal(net.node('a').status().term)
    expect(ofType(out, 'RequestVote')).to.deep.equal([])
    expect(net.sent.length).to.equal(sentBefore)
  })

  it('Learner: a learner that stopped hearing from the leader answers the vote requests of the voters of a newer configuration (no endless lease)', () => {
    const f = fixture({
      id: 'd',
      peers: [],
      config: { checkQuorum: true, preVote: true },
      store: {
        hardState: { term: 2, votedFor: null, commit: 1 },
        entries: [{ index: 1, term: 2, kind: 'config', data: encodeMembership(learnerD) }],
      },
    })
    f.node.step(
      ae({ from: 'a', to: 'd', term: 2, prevLogIndex: 1, prevLogTerm: 2, leaderCommit: 1 }),
    )
    f.drain()
    for (let i = 0; i < 100; i++) f.node.tick()
    f.node.step(
      vote({ from: 'b', to: 'd', term: 3, lastLogIndex: 1, lastLogTerm: 2, preVote: true }),
    )
    const replies = ofType(f.drain(), 'RequestVoteReply')
    expect(replies.map((m) => [m.to, m.granted])).to.deep.equal([['b', true]])
  })

  it('Learner: candidates do not ask learners for votes, and their answers would not count', () => {
    const net = withLearner()
    net.isolate('a')
    net.node('b').campaign()
    const out = net.processReady('b')
    expect(
      ofType(out, 'RequestVote')
        .map((m) => m.to)
        .sort(),
    ).to.deep.equal(['a', 'c'])
  })

  it('Learner: a caught-up learner is promoted to voter through the joint configuration', () => {
    const net = withLearner()
    const { index } = net.node('a').proposeMembership({ voters: ['a', 'b', 'c', 'd'] })
    expect(sorted(net.node('a').status().membership)).to.deep.equal({
      voters: ['a', 'b', 'c', 'd'],
      learners: [],
      outgoing: ['a', 'b', 'c'],
    })
    net.settle()
    net.tick(['a'])
    for (const id of ['a', 'b', 'c', 'd'])
      expect(sorted(net.node(id).status().membership), id).to.deep.equal({
        voters: ['a', 'b', 'c', 'd'],
        learners: [],
        outgoing: [],
      })
    expect(net.node('d').status().commitIndex).to.equal(index + 1)
    // d now counts: with b and c gone, a and d are not a majority of 4, with c they are.
    net.isolate('b')
    const r = net.node('a').propose(text('y'))
    net.settle()
    net.tick(['a'])
    expect(net.node('a').status().commitIndex).to.equal(r.index)
  })

  it('Learner: a voter is demoted to learner: it keeps receiving the log but no longer counts', () => {
    const net = withLearner()
    net.node('a').proposeMembership({ voters: ['a', 'b'], learners: ['c', 'd'] })
    net.settle()
    net.tick(['a'])
    expect(sorted(net.node('c').status().membership)).to.deep.equal({
      voters: ['a', 'b'],
      learners: ['c', 'd'],
      outgoing: [],
    })
    net.propose('a', 'y')
    net.tick(['a'])
    expect(net.appliedTexts('c')).to.deep.equal(['x', 'y'])
  })
})

describe('LeadershipTransfer (thesis §3.10)', () => {
  it('LeadershipTransfer: the leader sends TimeoutNow to an up-to-date target, which wins at once in the next term', () => {
    const net = withLearner()
    const term = net.node('a').status().term
    net.node('a').transferLeadership('b')
    net.settle()
    expect(
      net.sent.some((m) => m.type === 'TimeoutNow' && m.from === 'a' && m.to === 'b'),
    ).to.equal(true)
    expect(net.leaders()).to.deep.equal(['b'])
    expect(net.node('b').status().term).to.equal(term + 1)
    expect(net.node('a').status()).to.include({ role: 'follower', leader: 'b' })
  })

  it('LeadershipTransfer: to an up-to-date target the hand-over is three message rounds and no tick: TimeoutNow, the votes asked, the votes granted', () => {
    const net = withLearner()
    net.node('a').transferLeadership('b')
    let rounds = 0
    while (!net.node('b').getState().isLeader) {
      const outbox = net.ids.flatMap((id) => net.processReady(id))
      expect(outbox, 'something is in flight').to.not.deep.equal([])
      for (const m of outbox) net.deliver(m)
      rounds++
    }
    expect(rounds).to.equal(3)
  })

  it('LeadershipTransfer: the new leader commits its first proposal on message deliveries alone (no tick)', () => {
    const net = withLearner()
    net.node('a').transferLeadership('b')
    net.settle()
    const { index } = net.propose('b', 'first')
    expect(net.node('b').status().commitIndex).to.be.at.least(index)
    expect(net.appliedTexts('b').slice(-1)).to.deep.equal(['first'])
  })

  it('LeadershipTransfer: voters grant the target their vote although they heard from the leader within the election timeout (checkQuorum lease)', () => {
    const net = new Network(['a', 'b', 'c'], { config: { checkQuorum: true, preVote: true } })
    net.elect('a')
    net.propose('a', 'x')
    net.node('a').transferLeadership('c')
    net.settle()
    expect(net.leaders()).to.deep.equal(['c'])
    const votes = ofType(net.sent, 'RequestVote').filter((m) => m.from === 'c')
    expect(votes.every((m) => m.transfer === true && !m.preVote)).to.equal(true)
  })

  it('LeadershipTransfer: the leader accepts no proposal while the transfer is in progress', () => {
    const net = withLearner()
    net.isolate('b')
    net.node('a').transferLeadership('b')
    expect(() => net.node('a').propose(text('y'))).to.throw(TransferInProgressError)
    expect(net.node('a').status().leadTransferee).to.equal('b')
  })

  it('LeadershipTransfer: to a lagging target, the leader first sends it the missing entries, then TimeoutNow', () => {
    const net = withLearner()
    net.isolate('c')
    for (let i = 0; i < 5; i++) net.propose('a', `v${i}`)
    const last = net.node('a').status().lastIndex
    expect(net.node('c').status().lastIndex).to.be.below(last)
    net.heal()
    const sentBefore = net.sent.length
    net.node('a').transferLeadership('c')
    net.settle()
    const after = net.sent.slice(sentBefore)
    const timeoutAt = after.findIndex((m) => m.type === 'TimeoutNow')
    const catchUp = after.findIndex(
      (m) => m.type === 'AppendEntries' && m.to === 'c' && m.entries.length > 0,
    )
    expect(catchUp).to.be.at.least(0)
    expect(timeoutAt).to.be.greaterThan(catchUp)
    expect(net.leaders()).to.deep.equal(['c'])
    expect(net.appliedTexts('c').slice(-1)).to.deep.equal(['v4'])
  })

  it('LeadershipTransfer: a transfer the target cannot complete (partitioned) is abandoned after an election timeout; proposals are accepted again', () => {
    const net = withLearner()
    net.isolate('b')
    const a = net.node('a')
    a.transferLeadership('b')
    net.tick(['a', 'c', 'd'], net.config.electionTicksMin - 1)
    expect(a.status().leadTransferee).to.equal('b')
    net.tick(['a', 'c', 'd'])
    expect(a.status().leadTransferee).to.equal(undefined)
    expect(a.getState().isLeader).to.equal(true)
    expect(() => a.propose(text('y'))).not.to.throw()
  })

  it('LeadershipTransfer: asking again for the same target does not restart the transfer: it is still abandoned an election timeout after it began', () => {
    const net = withLearner()
    net.isolate('b')
    const a = net.node('a')
    a.transferLeadership('b')
    net.tick(['a', 'c', 'd'], net.config.electionTicksMin - 1)
    a.transferLeadership('b')
    net.tick(['a', 'c', 'd'])
    expect(a.status().leadTransferee).to.equal(undefined)
  })

  it('LeadershipTransfer: only to a voter; NotLeaderError on a follower; to itself is a no-op', () => {
    const net = withLearner()
    expect(() => net.node('a').transferLeadership('d')).to.throw(UnknownNodeError)
    expect(() => net.node('a').transferLeadership('z')).to.throw(UnknownNodeError)
    expect(() => net.node('b').transferLeadership('c')).to.throw(NotLeaderError)
    net.node('a').transferLeadership('a')
    expect(net.node('a').status().leadTransferee).to.equal(undefined)
  })

  it('LeadershipTransfer: a learner that gets TimeoutNow does not campaign', () => {
    const net = withLearner()
    const d = net.node('d')
    d.step({ type: 'TimeoutNow', from: 'a', to: 'd', term: d.status().term })
    expect(ofType(net.processReady('d'), 'RequestVote')).to.deep.equal([])
    expect(d.status().role).to.equal('follower')
  })

  it('LeadershipTransfer: a transfer to a voter that the committed change then removes is abandoned at once; proposals are accepted, and a later transfer gets its own election timeout', () => {
    // membershipChanged clears leadTransferee when the target stops being a voter (the leader
    // leaves the joint configuration on its own, even during a transfer).
    const net = new Network(['a', 'b', 'c'], { seed: 3 })
    net.elect('a')
    net.propose('a', 'x')
    const a = net.node('a')
    net.isolate('c') // c never catches up: no TimeoutNow
    a.proposeMembership({ voters: ['a', 'b'], learners: [] }) // joint: c is an outgoing voter
    a.transferLeadership('c')
    expect(a.status().leadTransferee).to.equal('c')
    net.settle() // a and b commit the joint entry; a appends the entry leaving it, without c
    expect(sorted(a.status().membership).voters).to.deep.equal(['a', 'b'])
    expect(a.status().leadTransferee, 'abandoned with the change').to.equal(undefined)
    expect(() => a.propose(text('y'))).not.to.throw()
    net.settle()
    // The next transfer, to b, cut off for most of an election timeout: not abandoned early.
    net.isolate('b')
    a.transferLeadership('b')
    net.tick(['a'], net.config.electionTicksMin - 2)
    expect(a.status().leadTransferee).to.equal('b')
    net.heal()
    net.isolate('c')
    net.tick(['a']) // a heartbeat (heartbeatTicks 1): b catches up, gets TimeoutNow and wins
    expect(net.leaders()).to.deep.equal(['b'])
    expect(ofType(net.sent, 'TimeoutNow').map((m) => m.to)).to.deep.equal(['b'])
  })

  it('LeadershipTransfer: the transfer state is cleared when the leader loses leadership, so as a later leader it accepts proposals (hashicorp/raft#696)', () => {
    const net = withLearner()
    net.isolate('b')
    const a = net.node('a')
    a.transferLeadership('b')
    const term = a.status().term
    a.step(ae({ from: 'c', to: 'a', term: term + 1, prevLogIndex: 0, prevLogTerm: 0 }))
    expect(a.status().leadTransferee).to.equal(undefined)
    expect(a.getState().isLeader).to.equal(false)
    net.heal()
    net.elect('a')
    expect(a.getState().isLeader).to.equal(true)
    expect(() => a.propose(text('y'))).not.to.throw()
  })
})
