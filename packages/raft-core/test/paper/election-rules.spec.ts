/**
 * Election rules that the other paper tests left unpinned (found by mutation testing, see
 * TESTING.md): what an ordinary campaign sends, who may campaign while a configuration is
 * uncommitted, which vote replies a candidate counts, what a new leader does with a joint
 * configuration committed before it, and how role changes are logged.
 */
import { expect } from 'chai'
import { decodeMembership, encodeMembership } from '../../src/membership-codec.js'
import type { Membership } from '../../src/types.js'
import { ae, becomeLeader, entry, fixture, ofType, vote, voteReply } from '../helpers/fixture.js'

const config = (index: number, m: Membership) => ({
  index,
  term: 1,
  kind: 'config' as const,
  data: encodeMembership(m),
})

describe('§5.2 elections: rules', () => {
  for (const preVote of [false, true])
    it(`The vote requests of an ordinary election do not carry the leadership-transfer flag (preVote ${preVote})`, () => {
      const f = fixture({ config: { preVote } })
      f.node.campaign()
      let requests = ofType(f.drain(), 'RequestVote')
      if (preVote) {
        f.node.step(voteReply({ from: 'b', to: 'a', term: 1, preVote: true }))
        requests = ofType(f.drain(), 'RequestVote')
      }
      expect(requests.map((m) => [m.to, m.preVote, m.transfer])).to.deep.equal([
        ['b', false, undefined],
        ['c', false, undefined],
      ])
    })

  it('A learner whose addition is not committed yet never campaigns (thesis §4.2.2 applies to voters of the committed configuration only)', () => {
    const voters = { voters: ['a', 'b', 'c'], learners: [], outgoing: [] }
    const f = fixture({
      id: 'd',
      peers: [],
      store: {
        hardState: { term: 1, votedFor: null, commit: 1 },
        entries: [config(1, voters), config(2, { ...voters, learners: ['d'] })],
      },
    })
    for (let t = 0; t < 50; t++) f.node.tick()
    f.node.campaign()
    expect(ofType(f.drain(), 'RequestVote')).to.deep.equal([])
    expect(f.node.status().role).to.equal('follower')
  })

  it('A candidate does not count a late pre-vote reply as a vote in its real election', () => {
    const f = fixture()
    f.node.campaign()
    f.drain()
    f.node.step(voteReply({ from: 'b', to: 'a', term: 1, preVote: true }))
    f.drain()
    expect(f.node.status().role).to.equal('candidate')
    // c's answer to the pre-vote, delivered late: a rejection in term 1.
    f.node.step(voteReply({ from: 'c', to: 'a', term: 1, preVote: true, granted: false }))
    f.node.step(voteReply({ from: 'b', to: 'a', term: 1, granted: false }))
    f.drain()
    expect(f.node.status().role, 'one real rejection of three: still pending').to.equal('candidate')
  })

  it('A candidate ignores late pre-vote rejections: two of three do not end its real election', () => {
    const f = fixture()
    f.node.campaign()
    f.drain()
    f.node.step(voteReply({ from: 'b', to: 'a', term: 1, preVote: true }))
    f.drain()
    expect(f.node.status()).to.include({ role: 'candidate', term: 1 })
    for (const from of ['b', 'c'])
      f.node.step(voteReply({ from, to: 'a', term: 1, preVote: true, granted: false }))
    f.drain()
    expect(f.node.status()).to.include({ role: 'candidate', term: 1 })
  })

  it('A leader elected while a committed joint configuration is in effect leaves it at once (thesis §4.3)', () => {
    const joint = { voters: ['a', 'd', 'e'], learners: [], outgoing: ['a', 'b', 'c'] }
    const f = fixture({
      config: { preVote: false },
      store: { hardState: { term: 1, votedFor: null, commit: 1 }, entries: [config(1, joint)] },
    })
    f.node.campaign()
    for (const from of ['b', 'd']) f.node.step(voteReply({ from, to: 'a', term: 2 }))
    f.drain()
    expect(f.node.getState().isLeader).to.equal(true)
    const [leave] = f.node.entries(2, 3)
    expect(leave?.kind).to.equal('config')
    expect(decodeMembership(leave!.data)).to.deep.include({ voters: ['a', 'd', 'e'], outgoing: [] })
    expect(f.node.status().joint).to.equal(false)
  })

  it('Only a leader commits by counting copies: a single node restarted as follower commits nothing of its term before it leads', () => {
    const f = fixture({
      peers: ['a'],
      store: { hardState: { term: 1, votedFor: 'a', commit: 0 }, entries: [entry(1, 1)] },
    })
    f.node.advance(f.node.ready()) // its own entries are durable: a leader would count them
    expect(f.node.status()).to.include({ role: 'follower', commitIndex: 0 })
  })

  it('Each role change is logged once at info with the new leader; campaigning again in the same role logs no change', () => {
    const f = fixture()
    f.node.campaign()
    f.node.campaign() // a second pre-vote round: still pre-candidate, no leader
    f.drain()
    f.node.step(voteReply({ from: 'b', to: 'a', term: 1, preVote: true }))
    f.drain()
    f.node.step(voteReply({ from: 'b', to: 'a', term: 1 }))
    f.drain()
    const changes = f.logger.records
      .filter((r) => r.msg.startsWith('became '))
      .map((r) => [r.level, r.msg, r.fields?.['leader']])
    expect(changes).to.deep.equal([
      ['info', 'became pre-candidate', null],
      ['info', 'became candidate', null],
      ['info', 'became leader', 'a'],
    ])
  })
})

describe('Operator-visible log lines of election events', () => {
  const logged = (f: ReturnType<typeof fixture>, level: string, msg: RegExp) =>
    f.logger.records.filter((r) => r.level === level && msg.test(r.msg)).map((r) => r.fields)

  it('A leader that steps down for lack of a quorum says why, at info, with its id and term', () => {
    const f = fixture()
    becomeLeader(f)
    // Two minimum election timeouts: its voter stands in for the first (election.spec.ts).
    for (let t = 0; t < 20; t++) f.node.tick() // no follower answered
    f.drain()
    expect(f.node.getState().isLeader).to.equal(false)
    expect(logged(f, 'info', /^stepping down: no quorum/)).to.deep.equal([{ id: 'a', term: 1 }])
  })

  it('A vote request ignored within the leader lease is logged at debug with its sender', () => {
    const f = fixture()
    f.node.step(ae({ from: 'b', to: 'a', term: 1 }))
    f.drain()
    f.node.step(vote({ from: 'c', to: 'a', term: 2, lastLogIndex: 5, lastLogTerm: 1 }))
    expect(f.node.getState().term, 'the request is ignored: no new term').to.equal(1)
    expect(logged(f, 'debug', /^ignoring vote request/)).to.deep.equal([
      { id: 'a', term: 1, from: 'c' },
    ])
  })

  it('An AppendEntries from a second leader of the same term is logged as an error naming it', () => {
    const f = fixture()
    becomeLeader(f)
    f.node.step(ae({ from: 'c', to: 'a', term: 1 }))
    expect(f.node.getState().isLeader).to.equal(true)
    expect(logged(f, 'error', /two leaders/)).to.deep.equal([{ id: 'a', term: 1, from: 'c' }])
  })
})
