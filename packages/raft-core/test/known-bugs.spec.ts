/** Regression tests for known Raft bugs (reference/raft-anchors.md §4), named after the bug. */
import { expect } from 'chai'
import { DEFAULT_RAFT_CONFIG } from '../src/config.js'
import { TestCluster, bytes } from './cluster.js'
import { HeldStorage } from './helpers/held-storage.js'
import { Network, text } from './helpers/network.js'
import {
  ackProbes,
  ae,
  aeReply,
  becomeLeader,
  entry,
  fixture,
  ofType,
  vote,
} from './helpers/fixture.js'

describe('known Raft bugs', () => {
  it('#1 stale read from a deposed leader: the old leader confirms no read while a new leader commits', () => {
    const net = new Network(['a', 'b', 'c'])
    net.elect('a')
    net.propose('a', 'foo')
    net.isolate('a')
    net.node('a').readIndex(1)
    net.tick(['b', 'c'], 40)
    const [leader] = net.leaders().filter((id) => id !== 'a')
    net.propose(leader!, 'bar')
    net.tick(['a'], 5)
    expect(net.readStates.get('a') ?? []).to.have.length(0)
  })

  it('#2 ReadIndex before the new leader commits in its term: the read waits for a commit of the current term', () => {
    const f = fixture({
      store: { hardState: { term: 1, votedFor: null, commit: 0 }, entries: [entry(1, 1)] },
    })
    becomeLeader(f)
    ackProbes(f, 1)
    f.node.readIndex(1)
    f.drain()
    expect(f.node.entries(2, 3)[0]?.kind).to.equal('noop')
    expect(f.readies.flatMap((r) => r.readStates)).to.have.length(0)
    f.node.step(aeReply({ from: 'b', to: 'a', term: 2, matchIndex: 2 }))
    const hb = ofType(f.drain(), 'AppendEntries').find((m) => m.readContext !== undefined)!
    f.node.step(
      aeReply({ from: 'b', to: 'a', term: 2, matchIndex: 2, readContext: hb.readContext! }),
    )
    f.drain()
    expect(f.readies.flatMap((r) => r.readStates)).to.deep.equal([{ requestId: 1, index: 2 }])
  })

  it('#3 duplicate ReadIndex context with delayed heartbeat acks: each round has a fresh, never reused id', () => {
    const f = fixture()
    becomeLeader(f)
    const rounds = new Set<number>()
    for (let i = 0; i < 20; i++) {
      f.node.tick()
      for (const m of ofType(f.drain(), 'AppendEntries')) {
        if (m.readContext === undefined) continue
        rounds.add(m.readContext)
        if (m.to === 'b')
          f.node.step(aeReply({ from: 'b', to: 'a', term: 1, readContext: m.readContext }))
      }
    }
    expect(f.node.getState().isLeader).to.equal(true)
    expect(rounds.size).to.equal(20)
  })

  it('#5 committing an earlier-term entry by counting replicas (Figure 8): not done', () => {
    const f = fixture({
      store: { hardState: { term: 2, votedFor: null, commit: 0 }, entries: [entry(1, 2)] },
    })
    becomeLeader(f)
    ackProbes(f, 1)
    expect(f.node.status().commitIndex).to.equal(0)
  })

  it('#6 wrong up-to-date check: a longer log of an older term does not win the vote', () => {
    const f = fixture({
      store: {
        hardState: { term: 3, votedFor: null, commit: 0 },
        entries: [entry(1, 1), entry(2, 3)],
      },
    })
    f.node.step(vote({ from: 'b', to: 'a', term: 4, lastLogIndex: 10, lastLogTerm: 2 }))
    expect(ofType(f.drain(), 'RequestVoteReply')[0]).to.include({ granted: false })
  })

  it('#7 vote freshness after the whole log is compacted: the last term comes from the snapshot', () => {
    const net = new Network(['a', 'b', 'c'])
    net.elect('a')
    net.propose('a', 'x')
    net.propose('a', 'y')
    net.tick(['a']) // the commit index of 'y' reaches b within a tick
    net.compact('b', 2)
    const b = net.restart('b')
    expect(b.status()).to.include({ firstIndex: 3, lastIndex: 2, snapshotTerm: 1 })
    // A stale candidate with (lastLogTerm 0) must not get b's vote.
    b.step(vote({ from: 'c', to: 'b', term: 5, lastLogIndex: 7, lastLogTerm: 0 }))
    const rd = b.ready()
    expect(ofType(rd.messages, 'RequestVoteReply')[0]).to.include({ granted: false })
  })

  it('#8 granting a vote before persisting it: the reply leaves in the Ready whose hard state holds the vote (mustSync)', () => {
    const f = fixture()
    f.node.step(vote({ from: 'b', to: 'a', term: 1 }))
    const rd = f.node.ready()
    expect(ofType(rd.messages, 'RequestVoteReply')[0]).to.include({ granted: true })
    expect(rd.hardState).to.deep.include({ term: 1, votedFor: 'b' })
    expect(rd.mustSync).to.equal(true)
  })

  it('#9 single-voter commit before fsync: committed entries are only durable ones', () => {
    const f = fixture({ peers: ['a'] })
    f.node.campaign()
    f.drain()
    f.node.propose(text('x'))
    const rd = f.node.ready()
    expect(rd.entries).to.have.length(1)
    expect(rd.committed).to.have.length(0)
    expect(f.node.status().commitIndex).to.equal(0)
  })

  it('#10 ABA on appends in progress: advancing an old Ready does not mark replaced entries durable', () => {
    const f = fixture()
    f.node.step(ae({ from: 'b', to: 'a', term: 1, entries: [entry(1, 1), entry(2, 1)] }))
    const rd1 = f.node.ready() // entries 1..2 (term 1) being written
    // Before advance, a new leader replaces index 2.
    f.node.step(
      ae({
        from: 'c',
        to: 'a',
        term: 2,
        prevLogIndex: 1,
        prevLogTerm: 1,
        entries: [entry(2, 2)],
        leaderCommit: 2,
      }),
    )
    f.node.advance(rd1)
    // Only 1 is durable: the 2@1 that rd1 wrote was replaced before rd1 was advanced.
    expect(f.node.durableIndex()).to.equal(1)
    const rd2 = f.node.ready()
    // Entry 2@2 is not durable here yet: it is handed out for writing. It is committed (on the
    // disks of the term-2 leader's majority), so it may be applied meanwhile; 2@1 never is.
    expect(rd2.entries.map((e) => [e.index, e.term])).to.deep.equal([[2, 2]])
    expect(rd2.committed.map((e) => [e.index, e.term])).to.deep.equal([
      [1, 1],
      [2, 2],
    ])
    f.node.advance(rd2)
    expect(f.node.durableIndex()).to.equal(2)
  })

  it('#13 disruptive rejoin: with pre-vote and checkQuorum an isolated node neither raises its term nor deposes the leader', () => {
    const net = new Network(['a', 'b', 'c', 'd', 'e'])
    net.elect('a')
    net.isolate('e')
    net.tick(net.ids, 200)
    expect(net.node('e').status()).to.include({ term: 1, role: 'pre-candidate' })
    net.heal()
    net.tick(net.ids, 40)
    expect(net.leaders()).to.deep.equal(['a'])
    expect(net.ids.map((id) => net.node(id).status().term)).to.deep.equal([1, 1, 1, 1, 1])
  })

  it('#13 liveness: a pre-candidate behind in term still converges once it hears a higher-term reply', () => {
    const net = new Network(['a', 'b', 'c'])
    net.elect('a')
    net.isolate('a')
    net.tick(['b', 'c'], 60)
    net.heal()
    net.tick(net.ids, 60)
    expect(net.leaders()).to.have.length(1)
    const terms = new Set(net.ids.map((id) => net.node(id).status().term))
    expect(terms.size).to.equal(1)
  })

  it('#15 storage blocking the clock: a leader whose disk is stuck keeps ticking, so checkQuorum deposes it when it is cut off', async () => {
    const cluster = new TestCluster({ seed: 31 })
    try {
      for (const id of cluster.ids) await cluster.start(id, new HeldStorage())
      await cluster.clock.run(async () => {
        const old = await cluster.leader()
        const disk = cluster.storages.get(old.id) as HeldStorage
        disk.hold()
        old.start(bytes('stuck')) // its pump now waits for a write that does not complete
        cluster.net.disconnect(old.id) // no higher term can reach it: only its own ticks can
        await cluster.waitFor(() => cluster.leaders().some((id) => id !== old.id))
        const electionTimeoutMax = DEFAULT_RAFT_CONFIG.electionTimeoutMaxMs
        await cluster.waitFor(() => !old.getState().isLeader, 2 * electionTimeoutMax)
        expect(old.status().role).to.not.equal('leader')
        expect(disk.held).to.equal(true) // deposed while the write is still stuck
        disk.release()
      })
    } finally {
      for (const s of cluster.storages.values()) (s as HeldStorage).release()
      await cluster.clock.run(() => cluster.shutdown())
    }
  })

  it('#19 snapshot install loop: an interrupted transfer resumes from the follower offset instead of restarting forever', () => {
    const net = new Network(['a', 'b', 'c'], { config: { snapshotChunkBytes: 2 } })
    net.elect('a')
    net.isolate('c')
    for (let i = 0; i < 3; i++) net.propose('a', `v${i}`)
    net.compact('a', 3)
    net.heal()
    net.dropRate = 0.3
    net.tick(net.ids, 60)
    net.dropRate = 0
    net.tick(net.ids, 10)
    expect(net.node('c').status()).to.include({ snapshotIndex: 3, commitIndex: 3 })
  })
})
