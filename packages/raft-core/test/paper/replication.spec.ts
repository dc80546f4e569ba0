/** Log replication (§5.3) and the commit rule (§5.4.2, Figure 8). */
import { expect } from 'chai'
import { Network, text } from '../helpers/network.js'
import {
  ackProbes,
  ae,
  aeReply,
  becomeLeader,
  entry,
  fixture,
  type Fixture,
  ofType,
  storeWith,
} from '../helpers/fixture.js'

describe('§5.3 leaders: replication', () => {
  it('If command received from client: append entry to local log, then send it to followers in AppendEntries', () => {
    const f = fixture()
    becomeLeader(f)
    ackProbes(f)
    expect(f.node.propose(text('x'))).to.deep.equal({ index: 1, term: 1 })
    const msgs = ofType(f.drain(), 'AppendEntries')
    expect(msgs.map((m) => [m.to, m.prevLogIndex, m.entries.map((e) => e.index)])).to.deep.equal([
      ['b', 0, [1]],
      ['c', 0, [1]],
    ])
    expect(f.store.entries.map((e) => e.index)).to.deep.equal([1])
  })

  it('Many proposals between two ready() calls produce ONE AppendEntries per follower (TestCount2B)', () => {
    const f = fixture()
    becomeLeader(f)
    ackProbes(f)
    for (let i = 0; i < 10; i++) f.node.propose(text(`c${i}`))
    const msgs = ofType(f.drain(), 'AppendEntries')
    expect(msgs).to.have.length(2)
    expect(msgs.map((m) => m.entries.length)).to.deep.equal([10, 10])
  })

  it('Batches are capped at maxBytesPerAppend but always carry at least one entry', () => {
    const f = fixture({ config: { maxBytesPerAppend: 100 } })
    becomeLeader(f)
    ackProbes(f) // followers -> replicate
    f.node.propose(new Uint8Array(500))
    for (let i = 0; i < 4; i++) f.node.propose(new Uint8Array(30))
    const toB = ofType(f.drain(), 'AppendEntries').filter((m) => m.to === 'b')
    expect(toB.map((m) => m.entries.length)).to.deep.equal([1, 2, 2])
  })

  it('In replicate state at most maxInflightAppends appends are outstanding; in probe state one at a time', () => {
    const f = fixture({ config: { maxBytesPerAppend: 1, maxInflightAppends: 2 } })
    becomeLeader(f)
    for (let i = 0; i < 5; i++) f.node.propose(text(`${i}`))
    // b is still in probe state (its initial probe is unanswered): nothing more goes out.
    let msgs = ofType(f.drain(), 'AppendEntries')
    expect(msgs.filter((m) => m.to === 'b')).to.have.length(0)
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 0 }))
    msgs = ofType(f.drain(), 'AppendEntries')
    expect(msgs.filter((m) => m.to === 'b').map((m) => m.entries[0]?.index)).to.deep.equal([1, 2])
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 1 }))
    msgs = ofType(f.drain(), 'AppendEntries')
    expect(msgs.filter((m) => m.to === 'b').map((m) => m.entries[0]?.index)).to.deep.equal([3])
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 3 }))
    msgs = ofType(f.drain(), 'AppendEntries')
    expect(msgs.filter((m) => m.to === 'b').map((m) => m.entries[0]?.index)).to.deep.equal([4, 5])
  })

  it('If successful: update nextIndex and matchIndex for follower (§5.3)', () => {
    const f = fixture()
    becomeLeader(f)
    f.node.propose(text('x'))
    f.node.propose(text('y'))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 2 }))
    expect(f.node.status().progress?.['b']).to.deep.equal({ match: 2, next: 3, state: 'replicate' })
  })

  it('If AppendEntries fails because of log inconsistency: decrement nextIndex and retry, a whole term per round trip (§5.3, TestBackup2B)', () => {
    // Leader log: terms 1 1 1 4 4 4; follower b: terms 1 1 1 2 2 2 2 2 3 3.
    const f = fixture({ store: storeWith([1, 1, 1, 4, 4, 4], 4) })
    becomeLeader(f)
    const term = f.node.getState().term
    // b rejects the probe at 6 (it has term 2 there; term 2 starts at 4).
    f.node.step(
      aeReply({
        from: 'b',
        to: 'a',
        term,
        success: false,
        matchIndex: 6,
        conflictTerm: 2,
        conflictIndex: 4,
      }),
    )
    const [retry] = ofType(f.drain(), 'AppendEntries').filter((m) => m.to === 'b')
    expect(retry).to.include({ prevLogIndex: 3, prevLogTerm: 1 })
    expect(retry?.entries.map((e) => e.index)).to.deep.equal([4, 5, 6])
  })

  it("If the leader has entries of the follower's conflicting term, it resumes after its last entry of that term (§5.3 fast backup)", () => {
    // Leader log: terms 1 1 2 2 3 3; follower b holds term 2 from index 3 on.
    const f = fixture({ store: storeWith([1, 1, 2, 2, 3, 3], 3) })
    becomeLeader(f)
    const term = f.node.getState().term
    f.node.step(
      aeReply({
        from: 'b',
        to: 'a',
        term,
        success: false,
        matchIndex: 6,
        conflictTerm: 2,
        conflictIndex: 3,
      }),
    )
    const [retry] = ofType(f.drain(), 'AppendEntries').filter((m) => m.to === 'b')
    expect(retry).to.include({ prevLogIndex: 4, prevLogTerm: 2 })
    expect(retry?.entries.map((e) => e.index)).to.deep.equal([5, 6])
  })

  it('A follower whose log is too short answers with conflictIndex = lastIndex+1 and the leader resumes there', () => {
    const f = fixture({ store: storeWith([1, 1, 1, 1, 1, 1], 1) })
    becomeLeader(f)
    f.node.step(
      aeReply({ from: 'b', to: 'a', term: 2, success: false, matchIndex: 6, conflictIndex: 3 }),
    )
    const [retry] = ofType(f.drain(), 'AppendEntries').filter((m) => m.to === 'b')
    expect(retry).to.include({ prevLogIndex: 2 })
  })

  it('A stale rejection (for an older probe) does not move nextIndex', () => {
    const f = fixture({ store: storeWith([1, 1, 1], 1) })
    becomeLeader(f)
    f.node.step(
      aeReply({ from: 'b', to: 'a', term: 2, success: false, matchIndex: 1, conflictIndex: 1 }),
    )
    expect(f.node.status().progress?.['b']?.next).to.equal(4)
  })

  /** Leader `a` whose follower `b` acknowledged entries 1..3 (replicate state, commit 3). */
  function leaderWithBAt3(): Fixture {
    const f = fixture()
    becomeLeader(f)
    for (const x of ['x', 'y', 'z']) f.node.propose(text(x))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 3 }))
    f.drain()
    expect(f.node.status().progress?.['b']).to.deep.equal({ match: 3, next: 4, state: 'replicate' })
    expect(f.node.status().commitIndex).to.equal(3)
    return f
  }

  it('matchIndex never decreases: a stale (reordered) or duplicated successful reply leaves matchIndex and nextIndex as they are (§5.3, etcd Progress.MaybeUpdate)', () => {
    const f = leaderWithBAt3()
    // A duplicate of the latest reply, then replies to older appends and probes, delivered late.
    for (const matchIndex of [3, 1, 2, 0])
      f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex }))
    f.drain()
    expect(f.node.status().progress?.['b']).to.deep.equal({ match: 3, next: 4, state: 'replicate' })
    // What depends on it does not go back either: heartbeats carry commit = min(commit, match).
    f.node.tick()
    f.drain()
    f.node.tick()
    const toB = ofType(f.drain(), 'AppendEntries').filter((m) => m.to === 'b')
    expect(toB.length).to.be.greaterThan(0)
    for (const m of toB) expect(m.leaderCommit).to.equal(3)
  })

  for (const rejected of [2, 3])
    it(`A stale rejection (of prevLogIndex ${rejected}) arriving after a later acknowledgement of 3 leaves the follower in replicate state, matchIndex and nextIndex unchanged`, () => {
      const f = leaderWithBAt3()
      f.node.propose(text('w'))
      f.drain() // 4 goes out to b: next 5
      f.node.step(
        aeReply({
          from: 'b',
          to: 'a',
          term: 1,
          success: false,
          matchIndex: rejected,
          conflictIndex: 1,
        }),
      )
      const toB = ofType(f.drain(), 'AppendEntries').filter((m) => m.to === 'b')
      expect(f.node.status().progress?.['b']).to.deep.equal({
        match: 3,
        next: 5,
        state: 'replicate',
      })
      expect(toB.filter((m) => m.entries.length > 0)).to.deep.equal([]) // nothing resent
    })

  it('A rejection never moves nextIndex to or below matchIndex: the leader probes again from matchIndex + 1', () => {
    const f = leaderWithBAt3()
    f.node.propose(text('w'))
    f.drain() // 4 goes out to b: next 5
    // b rejects 4 (not stale: above its match) with a hint far below its acknowledged match.
    f.node.step(
      aeReply({ from: 'b', to: 'a', term: 1, success: false, matchIndex: 4, conflictIndex: 1 }),
    )
    const [retry] = ofType(f.drain(), 'AppendEntries').filter((m) => m.to === 'b')
    expect(retry).to.include({ prevLogIndex: 3, prevLogTerm: 1 })
    expect(retry?.entries.map((e) => e.index)).to.deep.equal([4])
    expect(f.node.status().progress?.['b']).to.deep.include({ match: 3, next: 4, state: 'probe' })
  })

  it('An acknowledgement in replicate state does not rewind nextIndex: appends still in flight are not resent', () => {
    const f = leaderWithBAt3()
    f.node.propose(text('u'))
    f.drain()
    f.node.propose(text('v'))
    f.drain() // 4 and 5 are in flight to b: next 6
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 4 }))
    const toB = ofType(f.drain(), 'AppendEntries').filter((m) => m.to === 'b')
    expect(toB.filter((m) => m.entries.length > 0)).to.deep.equal([])
    expect(f.node.status().progress?.['b']).to.deep.equal({ match: 4, next: 6, state: 'replicate' })
  })

  it('In probe state an AppendEntries carrying entries is the one probe in flight: later proposals wait for its answer', () => {
    const f = fixture({ store: storeWith([1, 1, 1], 1) })
    becomeLeader(f) // term 2; b is probed at 3
    f.node.step(
      aeReply({ from: 'b', to: 'a', term: 2, success: false, matchIndex: 3, conflictIndex: 2 }),
    )
    const [probe] = ofType(f.drain(), 'AppendEntries').filter((m) => m.to === 'b')
    expect(probe?.entries.map((e) => e.index)).to.deep.equal([2, 3])
    f.node.propose(text('x'))
    expect(ofType(f.drain(), 'AppendEntries').filter((m) => m.to === 'b')).to.deep.equal([])
    f.node.step(aeReply({ from: 'b', to: 'a', term: 2, matchIndex: 3 }))
    const next = ofType(f.drain(), 'AppendEntries').filter((m) => m.to === 'b')
    expect(next.map((m) => m.entries.map((e) => e.index))).to.deep.equal([[4]])
  })

  it("A heartbeat is an empty AppendEntries at the follower's nextIndex - 1 with that entry's term", () => {
    const f = leaderWithBAt3()
    f.node.tick()
    f.drain()
    f.node.tick()
    const hb = ofType(f.drain(), 'AppendEntries').filter((m) => m.to === 'b')
    expect(hb.length).to.be.greaterThan(0)
    for (const m of hb) expect(m).to.include({ prevLogIndex: 3, prevLogTerm: 1 })
  })

  it('Heartbeats carry commit = min(leader commit, follower match)', () => {
    const f = fixture()
    becomeLeader(f)
    f.node.propose(text('x'))
    f.node.propose(text('y'))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 2 }))
    f.drain()
    f.node.step(aeReply({ from: 'c', to: 'a', term: 1, matchIndex: 1 }))
    f.drain()
    expect(f.node.status().commitIndex).to.equal(2)
    f.node.tick()
    f.drain() // the new commit index, due after a tick, goes out with empty AppendEntries
    f.node.tick()
    const hb = ofType(f.drain(), 'AppendEntries')
    expect(Object.fromEntries(hb.map((m) => [m.to, m.leaderCommit]))).to.deep.equal({ b: 2, c: 1 })
  })
})

describe('§5.3/§5.4 commit rule', () => {
  it('If there exists an N such that N > commitIndex, a majority of matchIndex[i] ≥ N, and log[N].term == currentTerm: set commitIndex = N (§5.3, §5.4)', () => {
    const f = fixture()
    becomeLeader(f)
    f.node.propose(text('x'))
    f.drain()
    expect(f.node.status().commitIndex).to.equal(0)
    f.node.step(aeReply({ from: 'c', to: 'a', term: 1, matchIndex: 1 }))
    const msgs = f.drain()
    expect(f.node.status().commitIndex).to.equal(1)
    expect(f.readies.flatMap((r) => r.committed.map((e) => e.index))).to.deep.equal([1])
    // Followers learn it with the next AppendEntries, or within a tick: a commit alone costs
    // no message at once (it would delay the leader's reply to its client).
    expect(ofType(msgs, 'AppendEntries')).to.deep.equal([])
    f.node.tick()
    const told = ofType(f.drain(), 'AppendEntries').filter((m) => m.leaderCommit === 1)
    expect(told.map((m) => m.to)).to.include('c')
  })

  it('A leader never commits an entry of an earlier term by counting replicas (Figure 8, bug #5)', () => {
    // a has entries of term 1 and 2 (uncommitted), is leader in term 3.
    const f = fixture({ store: storeWith([1, 2], 2, 1) })
    becomeLeader(f)
    expect(f.node.getState().term).to.equal(3)
    f.node.step(aeReply({ from: 'b', to: 'a', term: 3, matchIndex: 2 }))
    f.drain()
    expect(f.node.status().commitIndex).to.equal(1)
    f.node.propose(text('x'))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 3, matchIndex: 3 }))
    f.drain()
    expect(f.node.status().commitIndex).to.equal(3)
  })

  it('Figure 8 scenario on a network: an old-term entry on a majority is overwritten only if it was never committed', () => {
    const net = new Network(['a', 'b', 'c', 'd', 'e'], {
      config: { preVote: false, checkQuorum: false },
    })
    net.elect('a')
    // a (term 1) replicates index 1 to b only, then crashes.
    net.isolate('a')
    net.heal()
    net.partition(['a', 'b'], ['c', 'd', 'e'])
    net.node('a').propose(text('old'))
    net.settle()
    expect(net.node('b').status().lastIndex).to.equal(1)
    // e becomes leader (term 2) with c, d and appends its own entry at index 1.
    net.elect('e')
    net.node('e').propose(text('new'))
    net.settle()
    net.heal()
    // a comes back; nobody committed 'old'; e's entry wins everywhere.
    net.tick(net.ids, 5)
    for (const id of net.ids) expect(net.appliedTexts(id)).to.deep.equal(['new'])
  })
})

describe('§5.3 AppendEntries receiver', () => {
  it("Reply false if log doesn't contain an entry at prevLogIndex whose term matches prevLogTerm (§5.3)", () => {
    const f = fixture({ store: storeWith([1, 1, 2], 2) })
    f.node.step(
      ae({ from: 'b', to: 'a', term: 3, prevLogIndex: 3, prevLogTerm: 3, entries: [entry(4, 3)] }),
    )
    const [reply] = ofType(f.drain(), 'AppendEntriesReply')
    expect(reply).to.include({ success: false, matchIndex: 3, conflictTerm: 2, conflictIndex: 3 })
    expect(f.node.status().lastIndex).to.equal(3)
  })

  it('The reject hint for a log that is too short is conflictIndex = lastIndex + 1', () => {
    const f = fixture({ store: storeWith([1], 1) })
    f.node.step(ae({ from: 'b', to: 'a', term: 1, prevLogIndex: 5, prevLogTerm: 1 }))
    const [reply] = ofType(f.drain(), 'AppendEntriesReply')
    expect(reply).to.include({ success: false, conflictIndex: 2 })
    expect(reply?.conflictTerm).to.equal(undefined)
  })

  it('If an existing entry conflicts with a new one (same index but different terms), delete the existing entry and all that follow it (§5.3)', () => {
    const f = fixture({ store: storeWith([1, 1, 2, 2], 2) })
    f.node.step(
      ae({ from: 'b', to: 'a', term: 3, prevLogIndex: 2, prevLogTerm: 1, entries: [entry(3, 3)] }),
    )
    f.drain()
    expect(f.node.entries(1, 4).map((e) => e.term)).to.deep.equal([1, 1, 3])
    expect(f.store.entries.map((e) => [e.index, e.term])).to.deep.equal([
      [1, 1],
      [2, 1],
      [3, 3],
    ])
    // The storage got the new suffix starting at the conflict index.
    const last = f.readies.at(-1)
    expect(last?.entries.map((e) => e.index)).to.deep.equal([3])
  })

  it('An AppendEntries whose prevLogIndex is below the snapshot skips the entries the snapshot covers and appends the rest', () => {
    const store = {
      hardState: { term: 1, votedFor: null, commit: 5 },
      snapshot: { meta: { index: 5, term: 1 }, data: text('s5') },
      entries: [],
    }
    const f = fixture({ store })
    const entries = [3, 4, 5, 6, 7].map((i) => entry(i, 1))
    f.node.step(
      ae({
        from: 'b',
        to: 'a',
        term: 1,
        prevLogIndex: 2,
        prevLogTerm: 1,
        entries,
        leaderCommit: 7,
      }),
    )
    expect(ofType(f.drain(), 'AppendEntriesReply')[0]).to.include({ success: true, matchIndex: 7 })
    expect(f.node.status()).to.include({ snapshotIndex: 5, lastIndex: 7, commitIndex: 7 })
    expect(f.node.entries(6, 8).map((e) => e.index)).to.deep.equal([6, 7])
    // Entirely covered by the snapshot: acknowledged up to the snapshot, nothing changes.
    const old = [2, 3, 4].map((i) => entry(i, 1))
    f.node.step(
      ae({
        from: 'b',
        to: 'a',
        term: 1,
        prevLogIndex: 1,
        prevLogTerm: 1,
        entries: old,
        leaderCommit: 4,
      }),
    )
    expect(ofType(f.drain(), 'AppendEntriesReply')[0]).to.include({ success: true, matchIndex: 5 })
    expect(f.node.status()).to.include({ snapshotIndex: 5, lastIndex: 7, commitIndex: 7 })
  })

  it('An AppendEntries that conflicts with committed entries is ignored (logged): log and commit index stay as they are', () => {
    const f = fixture({ store: storeWith([1, 1, 1], 2, 3) })
    f.node.step(
      ae({
        from: 'b',
        to: 'a',
        term: 2,
        prevLogIndex: 1,
        prevLogTerm: 1,
        entries: [entry(2, 2)],
        leaderCommit: 3,
      }),
    )
    expect(ofType(f.drain(), 'AppendEntriesReply')).to.deep.equal([])
    expect(f.node.entries(1, 4).map((e) => e.term)).to.deep.equal([1, 1, 1])
    expect(f.node.status()).to.include({ commitIndex: 3, lastIndex: 3 })
    expect(f.logger.records.some((r) => r.level === 'error')).to.equal(true)
  })

  it('Append any new entries not already in the log', () => {
    const f = fixture({ store: storeWith([1], 1) })
    f.node.step(
      ae({
        from: 'b',
        to: 'a',
        term: 1,
        prevLogIndex: 1,
        prevLogTerm: 1,
        entries: [entry(2, 1), entry(3, 1)],
      }),
    )
    const [reply] = ofType(f.drain(), 'AppendEntriesReply')
    expect(reply).to.include({ success: true, matchIndex: 3 })
    expect(f.node.status().lastIndex).to.equal(3)
  })

  it('A stale or reordered AppendEntries never truncates matching entries', () => {
    const f = fixture()
    f.node.step(
      ae({ from: 'b', to: 'a', term: 1, entries: [entry(1, 1), entry(2, 1), entry(3, 1)] }),
    )
    f.node.step(ae({ from: 'b', to: 'a', term: 1, entries: [entry(1, 1)] }))
    const replies = ofType(f.drain(), 'AppendEntriesReply')
    expect(f.node.status().lastIndex).to.equal(3)
    expect(replies.map((r) => r.matchIndex)).to.deep.equal([3, 1])
  })

  it('If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)', () => {
    const f = fixture()
    f.node.step(
      ae({ from: 'b', to: 'a', term: 1, entries: [entry(1, 1), entry(2, 1)], leaderCommit: 5 }),
    )
    f.drain()
    expect(f.node.status().commitIndex).to.equal(2)
    // A heartbeat at prevLogIndex 1 cannot commit past 1 even with a higher leaderCommit.
    const g = fixture({ store: storeWith([1, 1, 7], 7) })
    g.node.step(
      ae({ from: 'b', to: 'a', term: 8, prevLogIndex: 1, prevLogTerm: 1, leaderCommit: 3 }),
    )
    g.drain()
    expect(g.node.status().commitIndex).to.equal(1)
  })

  it('If commitIndex > lastApplied: apply log[lastApplied] — committed entries are delivered in order, once', () => {
    const f = fixture()
    f.node.step(
      ae({ from: 'b', to: 'a', term: 1, entries: [entry(1, 1), entry(2, 1)], leaderCommit: 1 }),
    )
    f.drain()
    f.node.step(
      ae({ from: 'b', to: 'a', term: 1, prevLogIndex: 2, prevLogTerm: 1, leaderCommit: 2 }),
    )
    f.drain()
    expect(f.readies.flatMap((r) => r.committed.map((e) => e.index))).to.deep.equal([1, 2])
    expect(f.node.status().appliedIndex).to.equal(2)
  })

  it('An AppendEntries at the current term resets the election timer and records the leader', () => {
    const f = fixture({ config: { preVote: false } })
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 9; i++) f.node.tick()
      f.node.step(ae({ from: 'b', to: 'a', term: 1 }))
    }
    expect(f.node.status()).to.include({ role: 'follower', leader: 'b', term: 1 })
  })
})

describe('persistence contract (Ready)', () => {
  it('Ready.mustSync is true when entries, term or vote changed; hardState is present when term/vote/commit changed', () => {
    const f = fixture()
    f.node.step(ae({ from: 'b', to: 'a', term: 1, entries: [entry(1, 1)] }))
    let rd = f.node.ready()
    expect(rd.mustSync).to.equal(true)
    expect(rd.hardState).to.deep.equal({ term: 1, votedFor: null, commit: 0 })
    f.node.advance(rd)
    f.node.step(
      ae({ from: 'b', to: 'a', term: 1, prevLogIndex: 1, prevLogTerm: 1, leaderCommit: 1 }),
    )
    rd = f.node.ready()
    expect(rd.mustSync).to.equal(false)
    expect(rd.hardState).to.deep.equal({ term: 1, votedFor: null, commit: 1 })
    expect(rd.entries).to.have.length(0)
    // Entry 1 is committed and already durable: it is applied in the same Ready.
    expect(rd.committed.map((e) => e.index)).to.deep.equal([1])
    f.node.advance(rd)
    expect(f.node.status().appliedIndex).to.equal(1)
  })

  it('Committed entries are handed out only once they are durable locally (single node, bug #9)', () => {
    const f = fixture({ peers: ['a'] })
    f.node.campaign()
    f.drain()
    expect(f.node.getState().isLeader).to.equal(true)
    f.node.propose(text('x'))
    const rd1 = f.node.ready()
    expect(rd1.entries.map((e) => e.index)).to.deep.equal([1])
    expect(rd1.committed).to.have.length(0)
    expect(rd1.hardState?.commit ?? 0).to.equal(0)
    f.node.advance(rd1)
    const rd2 = f.node.ready()
    expect(rd2.hardState?.commit).to.equal(1)
    expect(rd2.committed.map((e) => e.index)).to.deep.equal([1])
  })

  it('A leader does not count its own unpersisted entries towards the commit quorum', () => {
    const f = fixture()
    becomeLeader(f)
    f.node.propose(text('x'))
    const rd = f.node.ready() // not yet advanced: entry 1 is not durable on the leader
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 1 }))
    expect(f.node.status().commitIndex).to.equal(0) // a: 0 durable, b: 1, c: 0
    f.node.advance(rd)
    expect(f.node.status().commitIndex).to.equal(1)
  })

  it('Restarting from persisted state restores term, vote, log and commit, and re-delivers committed entries', () => {
    const net = new Network(['a', 'b', 'c'])
    net.elect('a')
    net.propose('a', 'x')
    net.propose('a', 'y')
    net.tick(['a']) // the commit index of 'y' reaches b within a tick
    const b = net.restart('b')
    expect(b.status()).to.include({ term: 1, lastIndex: 2, commitIndex: 2, appliedIndex: 0 })
    net.settle()
    net.tick(net.ids, 2)
    expect(net.appliedTexts('b')).to.deep.equal(['x', 'y'])
  })
})
