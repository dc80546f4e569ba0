/** Leader election (§5.1, §5.2, §5.4.1) and the pre-vote / checkQuorum extensions (thesis §9.6). */
import { expect } from 'chai'
import type { CoreConfig } from '../../src/config.js'
import { Network, TEST_CONFIG, type Store } from '../helpers/network.js'
import {
  ackProbes,
  ae,
  aeReply,
  becomeLeader,
  entry,
  fixture,
  ofType,
  snap,
  storeWith,
  vote,
  voteReply,
} from '../helpers/fixture.js'
import type { Fixture } from '../helpers/fixture.js'

const noPreVote = { preVote: false }

/** Ticks a fresh node built from `store` (seed 3) needs before it campaigns on its own. */
function ticksToTimeout(store: () => Store, config: Partial<CoreConfig> = noPreVote): number {
  const probe = fixture({ config, seed: 3, store: store() })
  let timeout = 0
  while (probe.node.status().role === 'follower') {
    probe.node.tick()
    timeout++
  }
  return timeout
}

describe('§5.1/§5.2 leader election: followers and candidates', () => {
  it('If election timeout elapses without receiving AppendEntries RPC from current leader or granting vote to candidate: convert to candidate', () => {
    const f = fixture({ config: noPreVote })
    for (let i = 0; i < 20 && f.node.status().role === 'follower'; i++) f.node.tick()
    expect(f.node.status().role).to.equal('candidate')
  })

  it('On conversion to candidate: increment currentTerm, vote for self, send RequestVote RPCs to all other servers', () => {
    const f = fixture({ config: noPreVote, store: storeWith([1, 1], 3) })
    f.node.campaign()
    const msgs = f.drain()
    const st = f.node.status()
    expect(st).to.include({ role: 'candidate', term: 4, votedFor: 'a' })
    expect(
      ofType(msgs, 'RequestVote').map((m) => [
        m.to,
        m.term,
        m.lastLogIndex,
        m.lastLogTerm,
        m.preVote,
      ]),
    ).to.deep.equal([
      ['b', 4, 2, 1, false],
      ['c', 4, 2, 1, false],
    ])
    // Term and vote are persisted in the same Ready that carries the requests.
    expect(f.store.hardState).to.deep.include({ term: 4, votedFor: 'a' })
  })

  it('Election timeout is randomized in [electionTicksMin, electionTicksMax) and redrawn on every reset', () => {
    const seen = new Set<number>()
    for (let seed = 1; seed <= 40; seed++) {
      const f = fixture({ config: noPreVote, seed })
      let ticks = 0
      while (f.node.status().role === 'follower') {
        f.node.tick()
        ticks++
      }
      expect(ticks).to.be.within(10, 19)
      seen.add(ticks)
    }
    expect(seen.size).to.be.greaterThan(3)
  })

  it('If votes received from majority of servers: become leader', () => {
    const f = fixture({ config: noPreVote })
    f.node.campaign()
    f.drain()
    expect(f.node.getState().isLeader).to.equal(false)
    f.node.step(voteReply({ from: 'b', to: 'a', term: 1 }))
    f.drain()
    expect(f.node.getState()).to.deep.equal({ term: 1, isLeader: true })
  })

  it('A candidate that receives a majority of rejections returns to follower', () => {
    const f = fixture({ config: noPreVote })
    f.node.campaign()
    f.node.step(voteReply({ from: 'b', to: 'a', term: 1, granted: false }))
    f.node.step(voteReply({ from: 'c', to: 'a', term: 1, granted: false }))
    expect(f.node.status()).to.include({ role: 'follower', term: 1 })
  })

  it('If AppendEntries RPC received from new leader: convert to follower', () => {
    const f = fixture({ config: noPreVote })
    f.node.campaign()
    f.node.step(ae({ from: 'b', to: 'a', term: 1 }))
    expect(f.node.status()).to.include({ role: 'follower', term: 1, leader: 'b' })
  })

  it('If election timeout elapses (as candidate): start new election', () => {
    const f = fixture({ config: noPreVote })
    f.node.campaign()
    for (let i = 0; i < 20 && f.node.status().term === 1; i++) f.node.tick()
    expect(f.node.status()).to.include({ role: 'candidate', term: 2 })
  })

  it('Upon election: send initial empty AppendEntries RPCs (heartbeat) to each server; repeat during idle periods to prevent election timeouts (§5.2)', () => {
    const f = fixture({ config: { ...noPreVote, heartbeatTicks: 2 } })
    const msgs = becomeLeader(f)
    const initial = ofType(msgs, 'AppendEntries')
    expect(initial.map((m) => [m.to, m.entries.length])).to.deep.equal([
      ['b', 0],
      ['c', 0],
    ])
    f.node.tick()
    expect(f.drain()).to.have.length(0)
    f.node.tick()
    const hb = ofType(f.drain(), 'AppendEntries')
    expect(hb.map((m) => m.to)).to.deep.equal(['b', 'c'])
    expect(hb.every((m) => m.entries.length === 0 && m.readContext !== undefined)).to.equal(true)
  })

  it('A leader does not append a noop on election: the first command goes to index 1', () => {
    const net = new Network(['a', 'b', 'c'])
    net.elect('a')
    expect(net.node('a').status().lastIndex).to.equal(0)
    expect(net.propose('a', 'x')).to.deep.equal({ index: 1, term: 1 })
  })
})

describe('§5.1 all servers: terms', () => {
  for (const role of ['follower', 'candidate', 'leader'] as const) {
    it(`If RPC request or response contains term T > currentTerm: set currentTerm = T, convert to follower (${role})`, () => {
      const f = fixture({ config: noPreVote })
      if (role === 'candidate') f.node.campaign()
      if (role === 'leader') becomeLeader(f)
      f.drain()
      f.node.step(ae({ from: 'c', to: 'a', term: 5 }))
      expect(f.node.status()).to.include({ role: 'follower', term: 5, leader: 'c', votedFor: null })
      f.drain()
      expect(f.store.hardState).to.deep.include({ term: 5, votedFor: null })
    })
  }

  it('A reply carrying a higher term also converts the leader to follower', () => {
    const f = fixture({ config: noPreVote })
    becomeLeader(f)
    f.node.step({
      type: 'AppendEntriesReply',
      from: 'b',
      to: 'a',
      term: 9,
      success: false,
      matchIndex: 0,
    })
    expect(f.node.status()).to.include({ role: 'follower', term: 9, leader: null })
  })

  it('Reply false if term < currentTerm (§5.1): RequestVote', () => {
    const f = fixture({ store: storeWith([], 5) })
    f.node.step(vote({ from: 'b', to: 'a', term: 4 }))
    const [reply] = ofType(f.drain(), 'RequestVoteReply')
    expect(reply).to.include({ to: 'b', term: 5, granted: false })
    expect(f.node.status()).to.include({ term: 5, votedFor: null })
  })

  it('Reply false if term < currentTerm (§5.1): AppendEntries, so the stale leader learns the newer term', () => {
    const f = fixture({ store: storeWith([1], 5) })
    f.node.step(
      ae({ from: 'b', to: 'a', term: 4, prevLogIndex: 1, prevLogTerm: 1, entries: [entry(2, 4)] }),
    )
    const [reply] = ofType(f.drain(), 'AppendEntriesReply')
    expect(reply).to.include({ to: 'b', term: 5, success: false })
    expect(f.node.status()).to.include({ lastIndex: 1, leader: null })
  })
})

describe('§5.2/§5.4 RequestVote receiver', () => {
  it("If votedFor is null or candidateId, and candidate's log is at least as up-to-date as receiver's log, grant vote (§5.2, §5.4)", () => {
    const f = fixture({ store: storeWith([1, 2]) })
    f.node.step(vote({ from: 'b', to: 'a', term: 3, lastLogIndex: 2, lastLogTerm: 2 }))
    const [reply] = ofType(f.drain(), 'RequestVoteReply')
    expect(reply).to.include({ granted: true, term: 3 })
    expect(f.store.hardState).to.deep.include({ term: 3, votedFor: 'b' })
  })

  it('Each server votes for at most one candidate in a given term; a repeated request from the same candidate is granted again', () => {
    const f = fixture()
    f.node.step(vote({ from: 'b', to: 'a', term: 1 }))
    f.node.step(vote({ from: 'c', to: 'a', term: 1 }))
    f.node.step(vote({ from: 'b', to: 'a', term: 1 }))
    expect(ofType(f.drain(), 'RequestVoteReply').map((r) => [r.to, r.granted])).to.deep.equal([
      ['b', true],
      ['c', false],
      ['b', true],
    ])
  })

  it('The vote survives a restart: the restarted node does not vote twice in the same term', () => {
    const f = fixture()
    f.node.step(vote({ from: 'b', to: 'a', term: 1 }))
    f.drain()
    const g = fixture({ store: f.store })
    g.node.step(vote({ from: 'c', to: 'a', term: 1 }))
    expect(ofType(g.drain(), 'RequestVoteReply')[0]).to.include({ granted: false })
  })

  const cases: Array<[string, number, number, boolean]> = [
    ['higher last term, shorter log', 1, 3, true],
    ['same last term, longer log', 3, 2, true],
    ['same last term, same length', 2, 2, true],
    ['same last term, shorter log', 1, 2, false],
    ['lower last term, longer log', 5, 1, false],
  ]
  for (const [what, lastLogIndex, lastLogTerm, granted] of cases) {
    it(`Up-to-date check compares (lastLogTerm, lastLogIndex) lexicographically (§5.4.1): ${what} -> ${granted ? 'grant' : 'reject'}`, () => {
      const f = fixture({ store: storeWith([1, 2]) })
      f.node.step(vote({ from: 'b', to: 'a', term: 4, lastLogIndex, lastLogTerm }))
      expect(ofType(f.drain(), 'RequestVoteReply')[0]).to.include({ granted })
    })
  }

  it('Granting a vote resets the election timer', () => {
    const probe = fixture({ config: noPreVote, seed: 3 })
    let timeout = 0
    while (probe.node.status().role === 'follower') {
      probe.node.tick()
      timeout++
    }
    const f = fixture({ config: noPreVote, seed: 3 })
    for (let i = 0; i < timeout - 1; i++) f.node.tick()
    f.node.step(vote({ from: 'b', to: 'a', term: 1 }))
    for (let i = 0; i < 9; i++) f.node.tick()
    expect(f.node.status()).to.include({ role: 'follower', votedFor: 'b' })
  })

  it('Granting a vote in the current term resets the election timer: the voter does not campaign a full timeout after its previous reset (Figure 2, etcd raft.go: electionElapsed = 0 on a granted MsgVote)', () => {
    // A follower at term 1 that knows no leader and has not voted; the vote comes in its own
    // term, so no term change resets the timer along the way.
    const store = (): Store => ({ hardState: { term: 1, votedFor: null, commit: 0 }, entries: [] })
    const timeout = ticksToTimeout(store)
    const f = fixture({ config: noPreVote, seed: 3, store: store() })
    for (let i = 0; i < timeout - 1; i++) f.node.tick()
    f.node.step(vote({ from: 'b', to: 'a', term: 1 }))
    expect(ofType(f.drain(), 'RequestVoteReply')[0]).to.include({ granted: true, term: 1 })
    for (let i = 0; i < timeout - 1; i++) f.node.tick()
    expect(f.node.status()).to.include({ role: 'follower', term: 1, votedFor: 'b' })
    // The timer runs again from the grant: without a leader, the node campaigns in time.
    for (let i = 0; i < TEST_CONFIG.electionTicksMax && f.node.status().role === 'follower'; i++)
      f.node.tick()
    expect(f.node.status()).to.include({ role: 'candidate', term: 2 })
  })

  it('Rejecting a vote does not reset the election timer', () => {
    const store = (): Store => storeWith([1, 1], 1)
    const timeout = ticksToTimeout(store)
    const f = fixture({ config: noPreVote, seed: 3, store: store() })
    for (let i = 0; i < timeout - 1; i++) f.node.tick()
    f.node.step(vote({ from: 'b', to: 'a', term: 1, lastLogIndex: 1, lastLogTerm: 1 })) // behind
    expect(ofType(f.drain(), 'RequestVoteReply')[0]).to.include({ granted: false })
    f.node.tick()
    expect(f.node.status()).to.include({ role: 'candidate', term: 2, votedFor: 'a' })
  })
})

describe('thesis §9.6 pre-vote', () => {
  it('A pre-candidate asks for pre-votes at term+1 without changing its own term or vote', () => {
    const f = fixture({ store: storeWith([1], 2) })
    f.node.campaign()
    const msgs = ofType(f.drain(), 'RequestVote')
    expect(msgs.map((m) => [m.term, m.preVote])).to.deep.equal([
      [3, true],
      [3, true],
    ])
    expect(f.node.status()).to.include({ role: 'pre-candidate', term: 2, votedFor: null })
  })

  it('Receivers grant a pre-vote without changing their term or vote', () => {
    const f = fixture({ store: storeWith([1], 2) })
    f.node.step(
      vote({ from: 'b', to: 'a', term: 3, lastLogIndex: 1, lastLogTerm: 1, preVote: true }),
    )
    expect(ofType(f.drain(), 'RequestVoteReply')[0]).to.include({
      granted: true,
      preVote: true,
      term: 3,
    })
    expect(f.node.status()).to.include({ term: 2, votedFor: null })
  })

  it('Granting a pre-vote does not reset the election timer: only a real vote does (etcd raft.go: "Only record real votes")', () => {
    const store = (): Store => storeWith([1], 2)
    const timeout = ticksToTimeout(store, {})
    const f = fixture({ seed: 3, store: store() })
    for (let i = 0; i < timeout - 1; i++) f.node.tick()
    f.node.step(
      vote({ from: 'b', to: 'a', term: 3, lastLogIndex: 1, lastLogTerm: 1, preVote: true }),
    )
    expect(ofType(f.drain(), 'RequestVoteReply')[0]).to.include({ granted: true, preVote: true })
    f.node.tick()
    expect(f.node.status()).to.include({ role: 'pre-candidate', term: 2, votedFor: null })
  })

  it('Receivers reject a pre-vote from a candidate whose log is behind', () => {
    const f = fixture({ store: storeWith([1, 2], 2) })
    f.node.step(
      vote({ from: 'b', to: 'a', term: 3, lastLogIndex: 1, lastLogTerm: 1, preVote: true }),
    )
    expect(ofType(f.drain(), 'RequestVoteReply')[0]).to.include({ granted: false, term: 2 })
  })

  it('Only after a pre-vote majority does the node become candidate (term+1, vote self)', () => {
    const f = fixture()
    f.node.campaign()
    f.drain()
    f.node.step(voteReply({ from: 'b', to: 'a', term: 1, preVote: true }))
    expect(f.node.status()).to.include({ role: 'candidate', term: 1, votedFor: 'a' })
    const real = ofType(f.drain(), 'RequestVote')
    expect(real.every((m) => !m.preVote && m.term === 1)).to.equal(true)
  })

  it('With checkQuorum, a node that heard from the leader recently refuses pre-votes and votes (leader lease)', () => {
    const f = fixture()
    f.node.step(ae({ from: 'b', to: 'a', term: 1 }))
    f.drain()
    f.node.step(vote({ from: 'c', to: 'a', term: 2, preVote: true }))
    f.node.step(vote({ from: 'c', to: 'a', term: 2 }))
    expect(f.drain()).to.have.length(0)
    expect(f.node.status()).to.include({ term: 1, leader: 'b' })
  })

  it('A partitioned node does not raise its term and cannot disrupt the cluster when it returns (bug #13)', () => {
    const net = new Network(['a', 'b', 'c'])
    net.elect('a')
    net.isolate('c')
    net.tick(net.ids, 100)
    expect(net.node('c').status().term).to.equal(1)
    net.heal()
    net.tick(net.ids, 30)
    expect(net.leaders()).to.deep.equal(['a'])
    expect(net.node('a').status().term).to.equal(1)
  })
})

describe('§5.2 a vote counts for the whole term it was granted in', () => {
  const five = ['a', 'b', 'c', 'd', 'e']

  /** Delivers a grant (a real vote, or a pre-vote) from each of `from` to a, and drains. */
  function grants(f: Fixture, from: readonly string[], term: number, preVote = false): void {
    for (const v of from) f.node.step(voteReply({ from: v, to: 'a', term, preVote }))
    f.drain()
  }

  /** Ticks a candidate until its election timer fires (it becomes a pre-candidate). */
  function timeOut(f: Fixture): void {
    for (let i = 0; i < 2 * TEST_CONFIG.electionTicksMax; i++) {
      if (f.node.status().role !== 'candidate') break
      f.node.tick()
    }
    f.drain()
  }

  /** Pre-vote won, real election at term 1 started, then the timer fires: a pre-candidate of term 1. */
  function timedOutCandidate(): Fixture {
    const f = fixture({ peers: five })
    f.node.campaign()
    f.drain()
    grants(f, ['b', 'c'], 1, true)
    expect(f.node.status()).to.include({ role: 'candidate', term: 1, votedFor: 'a' })
    timeOut(f)
    expect(f.node.status()).to.include({ role: 'pre-candidate', term: 1, votedFor: 'a' })
    return f
  }

  it('A candidate wins an election if it receives votes from a majority of the servers in the full cluster for the same term: grants delayed past its election timer still count while it stays in that term', () => {
    // Long reordering (TestFigure8Unreliable2C seed 288): every voter grants, but the grants
    // arrive after the candidate's timer has made it a pre-candidate again; counting only while
    // a candidate, no election in 17 s was won.
    const f = timedOutCandidate()
    f.node.step(voteReply({ from: 'b', to: 'a', term: 1 }))
    f.drain()
    expect(f.node.status().role, 'two votes of five').to.equal('pre-candidate')
    f.node.step(voteReply({ from: 'c', to: 'a', term: 1 }))
    const msgs = f.drain()
    expect(f.node.status()).to.include({ role: 'leader', term: 1 })
    expect(ofType(msgs, 'AppendEntries').map((m) => m.to)).to.have.members(['b', 'c', 'd', 'e'])
  })

  it('The late grants and the candidacy are of one term: a grant counted before the timeout and one after make a majority with its own vote', () => {
    const f = fixture({ peers: five })
    f.node.campaign()
    f.drain()
    grants(f, ['b', 'c'], 1, true)
    f.node.step(voteReply({ from: 'd', to: 'a', term: 1 }))
    timeOut(f)
    expect(f.node.status().role).to.equal('pre-candidate')
    f.node.step(voteReply({ from: 'e', to: 'a', term: 1 }))
    f.drain()
    expect(f.node.status()).to.include({ role: 'leader', term: 1 })
  })

  it('A pre-vote grant is not a vote: a pre-vote grant and a late real grant together are no majority of the term', () => {
    const f = timedOutCandidate()
    f.node.campaign()
    f.drain()
    expect(f.node.status()).to.include({ role: 'pre-candidate', term: 1 })
    f.node.step(voteReply({ from: 'b', to: 'a', term: 2, preVote: true }))
    f.node.step(voteReply({ from: 'c', to: 'a', term: 1 }))
    f.drain()
    expect(f.node.status()).to.include({ role: 'pre-candidate', term: 1 })
    f.node.step(voteReply({ from: 'd', to: 'a', term: 1 }))
    f.drain()
    expect(f.node.status()).to.include({ role: 'leader', term: 1 })
  })

  it('Late grants of a term are not counted once the node campaigns in a later term', () => {
    const f = timedOutCandidate()
    grants(f, ['b', 'c'], 2, true)
    expect(f.node.status()).to.include({ role: 'candidate', term: 2 })
    grants(f, ['b', 'c', 'd'], 1)
    expect(f.node.status()).to.include({ role: 'candidate', term: 2 })
  })

  it('A node that learned of another leader in the term does not count late grants of it', () => {
    const f = timedOutCandidate()
    f.node.step(ae({ from: 'e', to: 'a', term: 1 }))
    f.drain()
    expect(f.node.status()).to.include({ role: 'follower', leader: 'e' })
    grants(f, ['b', 'c'], 1)
    expect(f.node.status()).to.include({ role: 'follower', term: 1, leader: 'e' })
  })

  it('A leader that stepped down for lack of a quorum does not lead again on late grants of its term', () => {
    const f = fixture({ peers: five })
    becomeLeader(f, ['b', 'c'])
    for (let i = 0; i < 2 * TEST_CONFIG.electionTicksMin; i++) f.node.tick()
    f.drain()
    expect(f.node.status()).to.include({ role: 'follower', term: 1 })
    grants(f, ['d', 'e'], 1)
    expect(f.node.status()).to.include({ role: 'follower', term: 1 })
  })

  it('Without pre-vote a timed-out candidate campaigns in the next term at once, so grants of the earlier term are stale', () => {
    const f = fixture({ peers: five, config: noPreVote })
    f.node.campaign()
    f.drain()
    for (let i = 0; i < 2 * TEST_CONFIG.electionTicksMax && f.node.status().term === 1; i++)
      f.node.tick()
    f.drain()
    expect(f.node.status()).to.include({ role: 'candidate', term: 2 })
    grants(f, ['b', 'c'], 1)
    expect(f.node.status()).to.include({ role: 'candidate', term: 2 })
  })
})

describe('checkQuorum', () => {
  it('A new leader starts its first window with its peers counted as heard from (a quorum just voted for it): hearing nothing more, it steps down after exactly two minimum election timeouts', () => {
    // The first window is as long as every later one: a steady-state leader's window also
    // counts replies to messages sent before it began (TESTING.md, Figure 8 seed 456).
    const f = fixture({ peers: ['a', 'b', 'c', 'd', 'e'] })
    becomeLeader(f, ['b', 'c'])
    for (let i = 0; i < 2 * TEST_CONFIG.electionTicksMin - 1; i++) f.node.tick()
    f.drain()
    expect(f.node.status().role).to.equal('leader')
    f.node.tick()
    f.drain()
    expect(f.node.status().role).to.equal('follower')
  })

  it('The grace of the election covers the first window only: a new leader that then hears from one follower of four steps down at the second check', () => {
    const f = fixture({ peers: ['a', 'b', 'c', 'd', 'e'] })
    becomeLeader(f, ['b', 'c'])
    const { term } = f.node.getState()
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < TEST_CONFIG.electionTicksMin; i++) {
        f.node.tick()
        f.node.step(aeReply({ from: 'b', to: 'a', term, matchIndex: 0 }))
        f.drain()
      }
      expect(f.node.status().role).to.equal(round === 0 ? 'leader' : 'follower')
    }
  })

  it('A leader that has not heard from a majority within an election timeout steps down', () => {
    const net = new Network(['a', 'b', 'c'])
    net.elect('a')
    net.isolate('a')
    net.tick(['a'], 25)
    expect(net.node('a').status()).to.include({ role: 'follower', term: 1 })
  })

  it('A leader that keeps hearing from a majority stays leader', () => {
    const net = new Network(['a', 'b', 'c'])
    net.elect('a')
    net.isolate('c')
    net.tick(['a', 'b'], 100)
    expect(net.leaders()).to.deep.equal(['a'])
  })

  it('The rest of the cluster elects a new leader after the old one is isolated, and the old one rejoins as follower', () => {
    const net = new Network(['a', 'b', 'c'])
    net.elect('a')
    net.isolate('a')
    net.tick(net.ids, 60)
    const [leader] = net.leaders().filter((id) => id !== 'a')
    expect(leader).to.be.oneOf(['b', 'c'])
    net.heal()
    net.tick(net.ids, 20)
    expect(net.leaders()).to.deep.equal([leader])
    expect(net.node('a').status()).to.include({ role: 'follower', leader })
  })
})

describe('§5.1/§5.2, thesis §9.6: which messages count, and when', () => {
  it('A leader ignores campaign(): its term and role stay as they are', () => {
    const f = fixture()
    becomeLeader(f)
    const before = f.node.status()
    f.node.campaign()
    expect(ofType(f.drain(), 'RequestVote')).to.deep.equal([])
    expect(f.node.status()).to.include({ role: 'leader', term: before.term })
  })

  it('A leader ignores an AppendEntries from another node of its own term (two leaders in one term cannot exist; it is logged)', () => {
    const f = fixture()
    becomeLeader(f)
    f.node.step(ae({ from: 'b', to: 'a', term: 1 }))
    f.drain()
    expect(f.node.status()).to.include({ role: 'leader', term: 1, leader: 'a' })
    expect(f.logger.records.some((r) => r.msg === 'two leaders in one term: ignoring')).to.equal(
      true,
    )
  })

  it('A stale InstallSnapshot is answered in the receiver’s term (nothing received, not done), so the old leader learns it is deposed', () => {
    const f = fixture({ store: storeWith([], 3) })
    f.node.step(snap({ from: 'b', to: 'a', term: 2, lastIncludedIndex: 5, lastIncludedTerm: 2 }))
    expect(ofType(f.drain(), 'InstallSnapshotReply')).to.deep.equal([
      {
        type: 'InstallSnapshotReply',
        from: 'a',
        to: 'b',
        term: 3,
        lastIncludedIndex: 5,
        nextOffset: 0,
        done: false,
      },
    ])
    expect(f.node.status()).to.include({ term: 3, snapshotIndex: 0 })
  })

  it('A rejected pre-vote reply carrying a higher term makes the pre-candidate a follower of that term', () => {
    const f = fixture({ store: storeWith([], 1) })
    f.node.campaign()
    f.drain()
    expect(f.node.status()).to.include({ role: 'pre-candidate', term: 1 })
    f.node.step(voteReply({ from: 'b', to: 'a', term: 5, granted: false, preVote: true }))
    f.drain()
    expect(f.node.status()).to.include({ role: 'follower', term: 5 })
  })

  it('A follower ignores vote replies: it is not campaigning', () => {
    const f = fixture({ config: noPreVote, store: storeWith([], 1) })
    for (const from of ['b', 'c']) f.node.step(voteReply({ from, to: 'a', term: 1 }))
    f.drain()
    expect(f.node.status()).to.include({ role: 'follower', term: 1 })
  })

  it('A pre-candidate counts only pre-votes granted for the term it probes: real votes and other terms are ignored', () => {
    const f = fixture({ store: storeWith([], 1) })
    f.node.campaign()
    f.drain()
    for (const from of ['b', 'c'])
      f.node.step(voteReply({ from, to: 'a', term: 1, preVote: false }))
    for (const from of ['b', 'c'])
      f.node.step(voteReply({ from, to: 'a', term: 3, preVote: true, granted: true }))
    f.drain()
    expect(f.node.status()).to.include({ role: 'pre-candidate', term: 1 })
    f.node.step(voteReply({ from: 'b', to: 'a', term: 2, preVote: true, granted: true }))
    f.drain()
    expect(f.node.status()).to.include({ role: 'candidate', term: 2 })
  })

  it('A duplicated vote reply counts once, as first received', () => {
    const f = fixture({ peers: ['a', 'b', 'c', 'd', 'e'], config: noPreVote })
    f.node.campaign()
    f.drain()
    const term = f.node.getState().term
    f.node.step(voteReply({ from: 'b', to: 'a', term, granted: true }))
    f.node.step(voteReply({ from: 'b', to: 'a', term, granted: false })) // a duplicate, altered
    f.node.step(voteReply({ from: 'c', to: 'a', term, granted: true }))
    f.drain()
    expect(f.node.status().role).to.equal('leader') // a, b and c: three of five
  })

  it('A follower that knows the leader of the current term votes for no other candidate in it', () => {
    const f = fixture({ config: noPreVote })
    f.node.step(ae({ from: 'b', to: 'a', term: 1 }))
    f.drain()
    f.node.step(vote({ from: 'c', to: 'a', term: 1 }))
    expect(ofType(f.drain(), 'RequestVoteReply')[0]).to.include({ granted: false })
    expect(f.node.status()).to.include({ votedFor: null, leader: 'b' })
  })

  it('A pre-vote for the current term (not a later one) is refused by a node that voted in it', () => {
    const f = fixture({ store: { hardState: { term: 2, votedFor: 'b', commit: 0 }, entries: [] } })
    f.node.step(vote({ from: 'c', to: 'a', term: 2, preVote: true }))
    expect(ofType(f.drain(), 'RequestVoteReply')[0]).to.include({ granted: false, preVote: true })
  })

  it('The leader lease lasts electionTicksMin ticks after the leader was last heard from, no longer', () => {
    // A seed whose election timeout, drawn when the leader's message arrives, is above the
    // minimum, so the follower is still a plain follower when the lease ends.
    const heard = (seed: number) => {
      const f = fixture({ seed })
      f.node.step(ae({ from: 'b', to: 'a', term: 1 }))
      f.drain()
      return f
    }
    let seed = 1
    for (; seed < 50; seed++) {
      const probe = heard(seed)
      let t = 0
      while (probe.node.status().role === 'follower' && t < 100) {
        probe.node.tick()
        t++
      }
      if (t > TEST_CONFIG.electionTicksMin) break
    }
    const f = heard(seed)
    for (let i = 0; i < TEST_CONFIG.electionTicksMin - 1; i++) f.node.tick()
    f.node.step(vote({ from: 'c', to: 'a', term: 2 }))
    expect(ofType(f.drain(), 'RequestVoteReply')).to.deep.equal([]) // still in the lease
    f.node.tick()
    f.node.step(vote({ from: 'c', to: 'a', term: 2 }))
    expect(ofType(f.drain(), 'RequestVoteReply')[0]).to.include({ granted: true, term: 2 })
  })

  it('A leader steps down once a majority was silent for a whole round, though it heard from them in the round before', () => {
    const f = fixture()
    becomeLeader(f)
    ackProbes(f)
    for (let i = 0; i < TEST_CONFIG.electionTicksMin; i++) f.node.tick()
    f.drain()
    expect(f.node.status().role).to.equal('leader') // b and c were heard from in this round
    for (let i = 0; i < TEST_CONFIG.electionTicksMin; i++) f.node.tick()
    f.drain()
    expect(f.node.status().role).to.equal('follower')
  })
})
