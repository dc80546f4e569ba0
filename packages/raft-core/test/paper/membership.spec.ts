/**
 * Membership changes (thesis ch. 4, joint consensus) on RawNode, one rule per test, in the
 * thesis' words where it has them. Runs on the synchronous test network (helpers/network.ts).
 */
import { expect } from 'chai'
import {
  ChangeInProgressError,
  InvalidMembershipError,
  NotLeaderError,
  UnknownNodeError,
} from '../../src/errors.js'
import { promoteTarget, removeTarget } from '../../src/confchange.js'
import { decodeMembership, encodeMembership } from '../../src/membership-codec.js'
import type { Membership } from '../../src/types.js'
import { sortedMembership } from '../helpers/membership.js'
import { Network, text } from '../helpers/network.js'
import { ae, entry, fixture, ofType, voteReply } from '../helpers/fixture.js'

const sorted = sortedMembership
const conf = (voters: string[], learners: string[] = [], outgoing: string[] = []): Membership => ({
  voters: [...voters].sort(),
  learners: [...learners].sort(),
  outgoing: [...outgoing].sort(),
})

/** Configuration entries in `id`'s log, decoded, with their indexes. */
function configEntries(net: Network, id: string): Array<[number, Membership]> {
  const n = net.node(id)
  const st = n.status()
  return n
    .entries(st.firstIndex, st.lastIndex + 1)
    .filter((e) => e.kind === 'config')
    .map((e) => [e.index, sorted(decodeMembership(e.data))])
}

function current(net: Network, id: string): Membership {
  return sorted(net.node(id).status().membership)
}

/** a leads a, b, c and has committed one entry of its term. */
function threeNodes(seed = 1): Network {
  const net = new Network(['a', 'b', 'c'], { seed })
  net.elect('a')
  net.propose('a', 'x')
  return net
}

describe('Membership: joint consensus (thesis §4.3)', () => {
  it('Membership: a change of voters goes through C_old,new and then C_new, which the leader appends by itself once C_old,new is committed', () => {
    const net = threeNodes()
    net.join('d')
    const { index } = net.node('a').proposeMembership({ voters: ['a', 'b', 'c', 'd'] })
    net.settle()
    net.tick(['a']) // followers learn the last commit index within a tick
    expect(configEntries(net, 'a')).to.deep.equal([
      [index, conf(['a', 'b', 'c', 'd'], [], ['a', 'b', 'c'])],
      [index + 1, conf(['a', 'b', 'c', 'd'])],
    ])
    for (const id of ['a', 'b', 'c', 'd']) {
      expect(current(net, id), id).to.deep.equal(conf(['a', 'b', 'c', 'd']))
      expect(net.node(id).status().commitIndex, id).to.equal(index + 1)
    }
    expect(net.appliedTexts('d')).to.deep.equal(['x'])
  })

  it('Membership: a server uses the latest configuration in its log, whether or not it is committed (thesis §4.1)', () => {
    const net = threeNodes()
    net.isolate('c')
    net.filter = (m) => !(m.type === 'AppendEntriesReply' && m.from === 'b')
    net.node('a').proposeMembership({ voters: ['a', 'b'] })
    net.settle()
    // Nothing acknowledged: not committed, yet both a and b use the joint configuration.
    expect(net.node('a').status().commitIndex).to.equal(1)
    expect(current(net, 'a')).to.deep.equal(conf(['a', 'b'], [], ['a', 'b', 'c']))
    expect(current(net, 'b')).to.deep.equal(conf(['a', 'b'], [], ['a', 'b', 'c']))
    expect(net.node('b').membership().committed).to.deep.equal({
      voters: ['a', 'b', 'c'],
      learners: [],
      outgoing: [],
    })
  })

  it('Membership: while joint, an entry commits only once a majority of the old AND of the new voters store it', () => {
    const net = threeNodes()
    net.join('d')
    net.join('e')
    // Replace b and c by d and e. Only the old voters answer at first.
    net.filter = (m) => !(m.type === 'AppendEntriesReply' && (m.from === 'd' || m.from === 'e'))
    const { index } = net.node('a').proposeMembership({ voters: ['a', 'd', 'e'] })
    net.settle()
    expect(net.node('b').status().lastIndex).to.equal(index) // stored by a, b, c: old majority
    expect(net.node('a').status().commitIndex).to.equal(index - 1) // not a new majority (a only)
    net.filter = undefined
    net.tick(['a'])
    expect(net.node('a').status().commitIndex).to.be.at.least(index)
    expect(current(net, 'a')).to.deep.equal(conf(['a', 'd', 'e']))
  })

  it('Membership: while joint, a majority of the new voters alone does not commit', () => {
    const net = threeNodes()
    net.join('d')
    net.join('e')
    net.filter = (m) => !(m.type === 'AppendEntriesReply' && (m.from === 'b' || m.from === 'c'))
    const { index } = net.node('a').proposeMembership({ voters: ['a', 'd', 'e'] })
    net.settle()
    net.tick(['a'], 3)
    expect(net.node('d').status().lastIndex).to.be.at.least(index) // stored by a, d, e
    expect(net.node('a').status().commitIndex).to.equal(index - 1)
    expect(net.node('a').status().joint).to.equal(true)
  })

  it('Membership: while joint, the votes of a majority of the new voters alone do not elect', () => {
    const joint = { voters: ['a', 'd', 'e'], learners: [], outgoing: ['a', 'b', 'c'] }
    const f = fixture({
      config: { preVote: false },
      store: {
        hardState: { term: 1, votedFor: null, commit: 1 },
        entries: [{ index: 1, term: 1, kind: 'config', data: encodeMembership(joint) }],
      },
    })
    f.node.campaign()
    f.node.step(voteReply({ from: 'd', to: 'a', term: 2 }))
    f.node.step(voteReply({ from: 'e', to: 'a', term: 2 }))
    expect(f.node.getState().isLeader).to.equal(false)
    f.node.step(voteReply({ from: 'b', to: 'a', term: 2 }))
    expect(f.node.getState().isLeader).to.equal(true)
  })

  it('Membership: while joint, a ReadIndex is confirmed only by a majority of the old AND of the new voters', () => {
    const net = threeNodes()
    net.join('d')
    net.join('e')
    net.node('a').proposeMembership({ voters: ['a', 'b', 'd', 'e'] })
    net.settle()
    net.tick(['a'])
    // Now a, b, d, e; but first make it joint again: replace b by c.
    const r = net.node('a').proposeMembership({ voters: ['a', 'c', 'd', 'e'] })
    net.settle()
    expect(net.node('a').status().commitIndex).to.be.at.least(r.index + 1)
    net.node('a').proposeMembership({ voters: ['a', 'c'] })
    net.filter = (m) => !(m.type === 'AppendEntriesReply' && (m.from === 'd' || m.from === 'e'))
    net.settle()
    expect(net.node('a').status().joint).to.equal(true) // {a, c} & {a, c, d, e}
    net.node('a').readIndex(7)
    net.settle()
    net.tick(['a'], 2)
    // Acks from a and c: a majority of the new voters {a, c}, not of the old {a, c, d, e}.
    expect(net.readStates.get('a') ?? []).to.deep.equal([])
    net.filter = undefined
    net.tick(['a'], 2)
    expect((net.readStates.get('a') ?? []).map((rs) => rs.requestId)).to.deep.equal([7])
  })

  it('Membership: while joint, a leader that hears only from a majority of the new voters steps down (checkQuorum counts both halves)', () => {
    const net = new Network(['a', 'b', 'c'], { config: { checkQuorum: true } })
    net.elect('a')
    net.propose('a', 'x')
    net.join('d')
    net.join('e')
    net.isolate('b')
    net.isolate('c')
    net.node('a').proposeMembership({ voters: ['a', 'd', 'e'] })
    net.settle()
    expect(net.node('a').status().joint).to.equal(true) // C_old,new cannot commit without b or c
    net.tick(['a', 'd', 'e'], 2 * net.config.electionTicksMin + 1)
    expect(net.node('a').getState().isLeader).to.equal(false)
  })

  it('Membership: while joint, a candidate needs a majority of the old AND of the new voters', () => {
    // a's log holds the joint configuration {a, d, e} & {a, b, c}.
    const joint = { voters: ['a', 'd', 'e'], learners: [], outgoing: ['a', 'b', 'c'] }
    const f = fixture({
      config: { preVote: false },
      store: {
        hardState: { term: 1, votedFor: null, commit: 1 },
        entries: [{ index: 1, term: 1, kind: 'config', data: encodeMembership(joint) }],
      },
    })
    f.node.campaign()
    const asked = ofType(f.drain(), 'RequestVote').map((m) => m.to)
    expect(asked.sort()).to.deep.equal(['b', 'c', 'd', 'e'])
    f.node.step(voteReply({ from: 'b', to: 'a', term: 2 }))
    f.node.step(voteReply({ from: 'c', to: 'a', term: 2 }))
    expect(f.node.getState().isLeader, 'old majority only').to.equal(false)
    f.node.step(voteReply({ from: 'd', to: 'a', term: 2 }))
    expect(f.node.getState().isLeader).to.equal(true)
  })

  it('Membership: a rejection by a majority of either half loses the election', () => {
    const joint = { voters: ['a', 'd', 'e'], learners: [], outgoing: ['a', 'b', 'c'] }
    const f = fixture({
      config: { preVote: false },
      store: {
        hardState: { term: 1, votedFor: null, commit: 1 },
        entries: [{ index: 1, term: 1, kind: 'config', data: encodeMembership(joint) }],
      },
    })
    f.node.campaign()
    f.node.step(voteReply({ from: 'b', to: 'a', term: 2 }))
    f.node.step(voteReply({ from: 'c', to: 'a', term: 2 }))
    f.node.step(voteReply({ from: 'd', to: 'a', term: 2, granted: false }))
    f.node.step(voteReply({ from: 'e', to: 'a', term: 2, granted: false }))
    expect(f.node.status().role).to.equal('follower')
  })

  it('Membership: a configuration entry removed from the log (conflict) takes its configuration back', () => {
    const net = threeNodes()
    net.isolate('c')
    net.filter = (m) => !(m.type === 'AppendEntriesReply' && m.from === 'b')
    net.node('a').proposeMembership({ voters: ['a', 'b'] })
    net.settle()
    expect(current(net, 'b').outgoing).to.deep.equal(['a', 'b', 'c'])
    // b's uncommitted configuration entry loses to a new leader c that never saw it.
    net.filter = undefined
    net.heal()
    net.isolate('a')
    const c = net.node('c')
    c.campaign()
    net.settle()
    // b refuses c (b's log is longer); give c the vote of a's replacement: restart b empty of it.
    expect(c.getState().isLeader).to.equal(false)
    const b = net.node('b')
    b.step(
      ae({ from: 'c', to: 'b', term: 9, prevLogIndex: 1, prevLogTerm: 1, entries: [entry(2, 9)] }),
    )
    expect(current(net, 'b')).to.deep.equal(conf(['a', 'b', 'c']))
  })

  it('Membership: only one change at a time: ChangeInProgressError while a configuration entry is not committed', () => {
    const net = threeNodes()
    net.isolate('b')
    net.isolate('c')
    net.node('a').proposeMembership({ voters: ['a', 'b'] })
    expect(() => net.node('a').proposeMembership({ voters: ['a', 'c'] }))
      .to.throw(ChangeInProgressError)
      .with.property('reason', 'pending')
  })

  it('Membership: a leader may not propose a change until it has committed an entry of its own term (the single-server erratum)', () => {
    const net = new Network(['a', 'b', 'c'])
    net.elect('a')
    const a = net.node('a')
    expect(a.status().commitIndex).to.equal(0)
    expect(() => a.proposeMembership({ voters: ['a', 'b'] }))
      .to.throw(ChangeInProgressError)
      .with.property('reason', 'leader-not-ready')
    // It appended a noop of its term; once that commits the change is accepted.
    net.settle()
    expect(a.status().commitIndex).to.equal(1)
    expect(() => a.proposeMembership({ voters: ['a', 'b'] })).not.to.throw()
  })

  it('Membership: invalid targets are refused with typed errors and change nothing', () => {
    const net = threeNodes()
    const a = net.node('a')
    const before = a.status().lastIndex
    expect(() => a.proposeMembership({ voters: [] })).to.throw(InvalidMembershipError)
    expect(() => a.proposeMembership({ voters: ['a', 'b', 'c'] })).to.throw(InvalidMembershipError)
    expect(() => a.proposeMembership({ voters: ['a', 'b'], learners: ['b'] })).to.throw(
      InvalidMembershipError,
    )
    expect(() => net.node('b').proposeMembership({ voters: ['a', 'b'] })).to.throw(NotLeaderError)
    expect(a.status().lastIndex).to.equal(before)
  })

  it('Membership: a leader that is removed keeps leading through C_old,new, steps down once C_new is committed, and never campaigns again (thesis §4.2.2)', () => {
    const net = threeNodes()
    const sentBefore = net.sent.length
    const { index } = net.node('a').proposeMembership({ voters: ['b', 'c'] })
    net.settle()
    const a = net.node('a')
    expect(a.status().role).to.equal('follower')
    expect(a.status().commitIndex).to.be.at.least(index + 1)
    const term = a.status().term
    // b or c takes over; a never starts an election (it is no voter), whatever the ticks.
    net.tick(net.ids, 60)
    expect(a.status().role).to.equal('follower')
    const campaigns = net.sent.slice(sentBefore).filter((m) => m.type === 'RequestVote')
    expect(campaigns.some((m) => m.from === 'a')).to.equal(false)
    const leaders = net.leaders()
    expect(leaders).to.have.length(1)
    expect(['b', 'c']).to.include(leaders[0])
    expect(net.node(leaders[0]!).status().term).to.be.greaterThan(term)
    net.propose(leaders[0]!, 'after')
    expect(net.appliedTexts('b')).to.deep.equal(['x', 'after'])
  })

  for (const [how, target] of [
    ['removed', { voters: ['b', 'c'] }],
    ['demoted to a learner', { voters: ['b', 'c'], learners: ['a'] }],
  ] as const)
    it(`Membership: a leader ${how} hands leadership over as it steps down: TimeoutNow to a voter of C_new whose log matches its own, so the cluster leads again with no election timeout (thesis §4.2.2, §3.10)`, () => {
      const net = threeNodes()
      const a = net.node('a')
      const term = a.status().term
      const sentBefore = net.sent.length
      const { index } = a.proposeMembership(target)
      net.settle() // no tick: no election timeout can run out
      expect(a.status().role).to.equal('follower')
      const handOvers = net.sent.slice(sentBefore).filter((m) => m.type === 'TimeoutNow')
      expect(handOvers).to.have.length(1)
      const to = handOvers[0]!.to
      expect(['b', 'c']).to.include(to)
      expect(handOvers[0]!.from).to.equal('a')
      expect(net.leaders()).to.deep.equal([to])
      expect(net.node(to).status().term).to.equal(term + 1)
      expect(net.node(to).status().lastIndex).to.be.at.least(index + 1) // C_new, kept
      net.propose(to, 'after')
      net.tick([to]) // followers learn the last commit index within a tick
      expect(net.appliedTexts('b')).to.deep.equal(['x', 'after'])
      expect(net.appliedTexts('c')).to.deep.equal(['x', 'after'])
    })

  it('Membership: a leader whose removal commits while it transfers leadership hands over to its transferee, not to another voter (one candidate, no split vote)', () => {
    const net = threeNodes()
    const a = net.node('a')
    const term = a.status().term
    const sentBefore = net.sent.length
    a.proposeMembership({ voters: ['b', 'c'] })
    a.transferLeadership('c')
    net.settle()
    const sent = net.sent.slice(sentBefore)
    expect(new Set(sent.filter((m) => m.type === 'TimeoutNow').map((m) => m.to))).to.deep.equal(
      new Set(['c']),
    )
    expect(sent.some((m) => m.type === 'RequestVote' && m.from === 'b')).to.equal(false)
    expect(net.leaders()).to.deep.equal(['c'])
    expect(net.node('c').status().term).to.equal(term + 1)
  })

  it('Membership: a leader takes commands while it is an outgoing voter of C_old,new, and refuses them (NotLeaderError, no entry) once it has appended a C_new it is no voter of', () => {
    const net = threeNodes()
    const a = net.node('a')
    const { index } = a.proposeMembership({ voters: ['b', 'c'] })
    expect(a.propose(text('during joint')).index).to.equal(index + 1)
    // C_new goes to index + 2 once C_old,new commits; no reply acknowledging it gets through.
    net.filter = (m) => !(m.type === 'AppendEntriesReply' && m.matchIndex >= index + 2)
    net.settle()
    expect(current(net, 'a')).to.deep.equal(conf(['b', 'c']))
    expect(a.status().lastIndex).to.equal(index + 2)
    expect(a.status().role).to.equal('leader')
    expect(() => a.propose(text('refused'))).to.throw(NotLeaderError, /being removed/)
    expect(a.status().lastIndex).to.equal(index + 2)
    net.filter = undefined
    net.tick(['a']) // a heartbeat: the replies commit C_new, and a hands over
    expect(a.status().role).to.equal('follower')
    expect(net.leaders()).to.have.length(1)
    expect(net.appliedTexts(net.leaders()[0]!)).to.deep.equal(['x', 'during joint'])
  })

  it('Membership: a server not in its latest configuration still starts elections while that configuration is uncommitted, since it may be needed to commit it (thesis §4.2.2)', () => {
    const net = threeNodes()
    // Leave b the only voter, a and c learners. The joint configuration commits; then b hears
    // nothing more of a's log and a nothing from b, so a steps down (checkQuorum) before
    // C_new = {b} is committed.
    const { index } = net.node('a').proposeMembership({ voters: ['b'], learners: ['a', 'c'] })
    net.filter = (m) =>
      !(m.type === 'AppendEntries' && m.to === 'b' && m.entries.some((e) => e.index > index))
    net.settle()
    net.tick(['a'], 3)
    expect(net.node('a').status().commitIndex).to.equal(index)
    expect(net.node('b').status().lastIndex).to.equal(index)
    expect(net.node('c').status().lastIndex).to.equal(index + 1) // c holds C_new: a learner
    net.filter = (m) => m.from !== 'b' && m.to !== 'b'
    net.tick(['a', 'c'], 2 * net.config.electionTicksMax)
    expect(net.node('a').getState().isLeader).to.equal(false)
    // Healed: b alone cannot win (a and c hold the longer log); a or c must campaign, lead
    // long enough to commit C_new through b, and step down. Then b leads alone.
    net.filter = undefined
    net.tick(net.ids, 10 * net.config.electionTicksMax)
    expect(net.leaders()).to.deep.equal(['b'])
    expect(current(net, 'b')).to.deep.equal(conf(['b'], ['a', 'c']))
  })

  it('Membership: a node that is down can be removed by the others', () => {
    const net = threeNodes()
    net.isolate('c')
    net.node('a').proposeMembership({ voters: ['a', 'b'] })
    net.settle()
    expect(current(net, 'a')).to.deep.equal(conf(['a', 'b']))
    expect(net.node('a').status().commitIndex).to.equal(3)
    expect(Object.keys(net.node('a').status().progress ?? {})).to.deep.equal(['b'])
    net.propose('a', 'y')
    net.tick(['a'])
    expect(net.appliedTexts('b')).to.deep.equal(['x', 'y'])
  })

  it('Membership: a removed node that never learned of its removal and keeps campaigning does not disrupt the cluster (pre-vote, checkQuorum)', () => {
    const net = new Network(['a', 'b', 'c'], {
      seed: 3,
      config: { preVote: true, checkQuorum: true },
    })
    net.elect('a')
    net.propose('a', 'x')
    net.isolate('c')
    net.node('a').proposeMembership({ voters: ['a', 'b'] })
    net.settle()
    net.heal() // c comes back, still believing it is a voter of {a, b, c}
    const term = net.node('a').status().term
    for (let i = 0; i < 100; i++) net.tick(net.ids)
    expect(net.leaders()).to.deep.equal(['a'])
    expect(net.node('a').status().term).to.equal(term)
    expect(net.node('b').status().term).to.equal(term)
    // It did try: pre-votes went out and changed nobody's term.
    expect(net.sent.some((m) => m.from === 'c' && m.type === 'RequestVote')).to.equal(true)
  })

  it('Membership: a follower hears a leader outside its configuration (a member added later)', () => {
    const f = fixture()
    f.node.step(ae({ from: 'z', to: 'a', term: 5, entries: [entry(1, 5)] }))
    const replies = ofType(f.drain(), 'AppendEntriesReply')
    expect(replies.map((m) => [m.to, m.success, m.matchIndex])).to.deep.equal([['z', true, 1]])
    expect(f.node.status()).to.include({ term: 5, leader: 'z' })
  })

  it('Membership: remove and promote name unknown nodes with UnknownNodeError', () => {
    const m = { voters: ['a', 'b'], learners: ['l'], outgoing: [] }
    expect(() => removeTarget(m, 'z')).to.throw(UnknownNodeError)
    expect(() => promoteTarget(m, 'b')).to.throw(UnknownNodeError)
    expect(promoteTarget(m, 'l')).to.deep.equal({ voters: ['a', 'b', 'l'], learners: [] })
  })
})

describe('Membership: configuration in snapshots', () => {
  it('Membership: a snapshot carries the configuration at its index; a node restarted from it knows its membership', () => {
    const net = threeNodes()
    net.node('a').proposeMembership({ voters: ['a', 'b'] })
    net.settle()
    net.tick() // commit index reaches b
    const last = net.node('b').status().commitIndex
    const s = net.compact('b', last)
    expect(sorted(s.meta.membership)).to.deep.equal(conf(['a', 'b']))
    const b = net.restart('b')
    expect(b.status().firstIndex).to.equal(last + 1)
    expect(sorted(b.status().membership)).to.deep.equal(conf(['a', 'b']))
  })

  it('Membership: an empty joining node catches up by snapshot and learns the configuration from it', () => {
    const net = threeNodes()
    for (let i = 0; i < 4; i++) net.propose('a', `v${i}`)
    net.node('a').proposeMembership({ voters: ['a', 'b', 'c'], learners: ['d'] })
    net.settle()
    net.propose('a', 'last')
    const commit = net.node('a').status().commitIndex
    net.compact('a', commit)
    net.join('d')
    expect(net.node('d').status().membership?.voters).to.deep.equal([])
    net.tick(['a'])
    const d = net.node('d')
    expect(net.sent.some((m) => m.type === 'InstallSnapshot' && m.to === 'd')).to.equal(true)
    expect(sorted(d.status().membership)).to.deep.equal(conf(['a', 'b', 'c'], ['d']))
    expect(d.status().snapshotIndex).to.equal(commit)
    net.propose('a', 'more')
    net.tick(['a'])
    expect(net.node('d').status().commitIndex).to.equal(commit + 1)
  })

  it('Membership: a joined node that compacts before the entry that added it writes a snapshot without a configuration (it never knew the initial one), and restarts from it', () => {
    const net = threeNodes()
    for (let i = 0; i < 3; i++) net.propose('a', `v${i}`)
    net.join('d')
    const { index } = net.node('a').proposeMembership({ voters: ['a', 'b', 'c'], learners: ['d'] })
    net.settle()
    net.tick(['a'])
    const s = net.compact('d', index - 1)
    expect(s.meta).to.deep.equal({ index: index - 1, term: 1 })
    const d = net.restart('d')
    expect(sorted(d.status().membership)).to.deep.equal(conf(['a', 'b', 'c'], ['d']))
  })

  it('Membership: a snapshot installed from the leader replaces the configuration of a discarded log', () => {
    const f = fixture({ id: 'd', peers: [] })
    const membership = { voters: ['a', 'b', 'c'], learners: ['d'], outgoing: [] }
    f.node.step({
      type: 'InstallSnapshot',
      from: 'a',
      to: 'd',
      term: 2,
      lastIncludedIndex: 7,
      lastIncludedTerm: 2,
      offset: 0,
      data: text('state'),
      totalBytes: 5,
      done: true,
      membership,
    })
    const rd = f.node.ready()
    expect(rd.snapshot?.meta).to.deep.equal({ index: 7, term: 2, membership })
    expect(f.node.status().membership).to.deep.equal(membership)
  })
})
