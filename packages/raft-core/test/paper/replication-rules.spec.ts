/**
 * Replication rules of the leader's reply handling, its commit notices and the AppendEntries
 * receiver that the other paper tests left unpinned (found by mutation testing, see TESTING.md).
 */
import { expect } from 'chai'
import { TransferInProgressError } from '../../src/errors.js'
import type { AppendEntries, Message } from '../../src/messages.js'
import { TEST_CONFIG, persist, text } from '../helpers/network.js'
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

const FIVE = ['a', 'b', 'c', 'd', 'e']

/** Leader `a` of `peers` (term 1) with every follower in replicate state at match 0. */
function leader(peers: readonly string[], config: Record<string, number> = {}): Fixture {
  const f = fixture({ peers, config: { heartbeatTicks: 3, ...config } })
  becomeLeader(f, peers.slice(1, Math.floor(peers.length / 2) + 1))
  ackProbes(f, 0, peers.slice(1))
  return f
}

const appendsTo = (msgs: readonly Message[], to: string): AppendEntries[] =>
  ofType(msgs, 'AppendEntries').filter((m) => m.to === to)

const readStates = (f: Fixture) => f.readies.flatMap((r) => r.readStates)

describe('§5.3 leader: commit notices', () => {
  it('A new commit index reaches every follower within a tick, even one sent the latest entries before the commit moved', () => {
    const f = leader(FIVE)
    f.node.propose(text('x1'))
    f.drain() // 1 goes to everyone
    f.node.propose(text('x2'))
    // c acknowledges 1 first (no majority yet): 2 goes to c at once, with commit 0.
    f.node.step(aeReply({ from: 'c', to: 'a', term: 1, matchIndex: 1 }))
    // d's acknowledgement commits 1 (a, c, d); 2 goes to d with commit 1.
    f.node.step(aeReply({ from: 'd', to: 'a', term: 1, matchIndex: 1 }))
    const before = f.drain() // b and e get 2 with commit 1; c has nothing new to be sent
    expect(f.node.status().commitIndex).to.equal(1)
    expect(Math.max(...appendsTo(before, 'c').map((m) => m.leaderCommit))).to.equal(0)
    f.node.tick() // not a heartbeat (heartbeatTicks 3): the commit notice is due
    const after = f.drain()
    const learned = appendsTo([...before, ...after], 'c').map((m) => m.leaderCommit)
    expect(Math.max(...learned), 'c learns commit 1 within a tick').to.equal(1)
  })

  it('A commit that moves while nothing is proposed goes out after a tick, before the next heartbeat; each time', () => {
    const f = leader(['a', 'b', 'c'])
    f.node.propose(text('x1'))
    f.drain()
    f.node.tick() // a tick with no commit pending makes no later commit due at once
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 1 }))
    expect(appendsTo(f.drain(), 'c'), 'not before a tick').to.deep.equal([])
    f.node.tick()
    const sent = f.drain()
    for (const to of ['b', 'c'])
      expect(appendsTo(sent, to).map((m) => [m.entries.length, m.leaderCommit])).to.deep.equal([
        [0, 1],
      ])
    // The next commit waits for a tick again.
    f.node.propose(text('x2'))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 2 }))
    expect(f.node.status().commitIndex).to.equal(2)
    expect(appendsTo(f.drain(), 'c'), 'not before a tick').to.deep.equal([])
  })

  it('A leader whose commit index did not move sends no commit notice between heartbeats', () => {
    const f = leader(['a', 'b', 'c'])
    f.node.tick() // heartbeatTicks 3: not a heartbeat
    expect(ofType(f.drain(), 'AppendEntries')).to.deep.equal([])
  })

  it('A commit that rides on the next proposal to every follower costs no message of its own', () => {
    const f = leader(['a', 'b', 'c'])
    f.node.propose(text('x1'))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 1 }))
    f.node.propose(text('x2'))
    const sent = f.drain()
    for (const to of ['b', 'c'])
      expect(appendsTo(sent, to).map((m) => [m.entries.length, m.leaderCommit])).to.deep.equal([
        [1, 1],
      ])
    f.node.tick()
    expect(ofType(f.drain(), 'AppendEntries'), 'no commit notice is left to send').to.deep.equal([])
  })
})

describe('§5.3 leader: replies', () => {
  it('An acknowledgement that un-pauses a follower sends it the entries waiting for it at once', () => {
    const f = leader(['a', 'b', 'c'], { maxInflightAppends: 1 })
    f.node.propose(text('x1'))
    f.drain()
    f.node.propose(text('x2'))
    expect(appendsTo(f.drain(), 'b'), 'b is paused: one append in flight').to.deep.equal([])
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 1 }))
    const toB = appendsTo(f.drain(), 'b')
    expect(toB.map((m) => m.entries.map((e) => e.index))).to.deep.equal([[2]])
  })

  it('A follower that restarts behind is sent its catch-up batch once, not once per answer to what queued up for it while it was down', () => {
    // The rolling-restart bench (BENCHMARKS.md, issue 13): transport-ws held the heartbeats for
    // a stopped follower; restarted, it rejected each of them, and every rejection after the
    // first resent the whole catch-up batch (~1 300 entries, 20 times): the leader's event loop
    // stalled for ~1 s and every client timed out.
    const f = leader(['a', 'b', 'c'])
    for (let i = 1; i <= 10; i++) f.node.propose(text(`x${i}`))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 2 })) // then b stops
    f.node.step(aeReply({ from: 'c', to: 'a', term: 1, matchIndex: 10 }))
    const heartbeats: number[] = []
    for (let i = 0; i < 5 * 3; i++) {
      f.node.tick() // heartbeatTicks 3: five heartbeats to b (prev 10), none answered yet
      for (const m of appendsTo(f.drain(), 'b'))
        if (m.readContext !== undefined) heartbeats.push(m.readContext)
    }
    expect(heartbeats).to.have.length(5)
    // b restarts with entries 1-2 and answers the queued heartbeats, in order.
    const reject = (round: number) =>
      aeReply({
        from: 'b',
        to: 'a',
        term: 1,
        success: false,
        matchIndex: 10,
        conflictIndex: 3,
        readContext: round,
      })
    f.node.step(reject(heartbeats[0]!))
    const batches = appendsTo(f.drain(), 'b').filter((m) => m.entries.length > 0)
    expect(batches.map((m) => [m.prevLogIndex, m.entries.length])).to.deep.equal([[2, 8]])
    for (const round of heartbeats.slice(1)) f.node.step(reject(round))
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 1 })) // an older acknowledgement
    expect(
      appendsTo(f.drain(), 'b').filter((m) => m.entries.length > 0),
      'answers to messages sent before the probe resend nothing',
    ).to.deep.equal([])
    // The probe is lost: the answer to the next heartbeat (sent after it) retries it.
    for (let i = 0; i < 3; i++) f.node.tick()
    const next = appendsTo(f.drain(), 'b').find((m) => m.readContext !== undefined)
    expect(next?.prevLogIndex).to.equal(2)
    f.node.step(
      aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 2, readContext: next?.readContext }),
    )
    const retried = appendsTo(f.drain(), 'b').filter((m) => m.entries.length > 0)
    expect(retried.map((m) => [m.prevLogIndex, m.entries.length])).to.deep.equal([[2, 8]])
  })

  it('During a leadership transfer, only the transferee’s own reply can trigger TimeoutNow', () => {
    const f = leader(['a', 'b', 'c'])
    f.node.propose(text('x1'))
    f.drain()
    f.node.step(aeReply({ from: 'c', to: 'a', term: 1, matchIndex: 1 }))
    f.drain()
    f.node.transferLeadership('c')
    expect(ofType(f.drain(), 'TimeoutNow').map((m) => m.to)).to.deep.equal(['c'])
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 1 }))
    expect(ofType(f.drain(), 'TimeoutNow'), 'b’s acknowledgement sends none').to.deep.equal([])
  })

  it('LeadershipTransfer: the campaign gets an election timeout from the first TimeoutNow: a target that needed most of one to catch up is not abandoned while it campaigns', () => {
    const f = leader(['a', 'b', 'c'])
    const timeout = TEST_CONFIG.electionTicksMin // the fixture's (a transfer is abandoned after it)
    f.node.propose(text('x1'))
    f.drain()
    f.node.transferLeadership('b') // b has not acknowledged 1 yet: no TimeoutNow
    expect(ofType(f.drain(), 'TimeoutNow')).to.deep.equal([])
    for (let i = 0; i < timeout - 1; i++) f.node.tick()
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 1 })) // b caught up late
    expect(ofType(f.drain(), 'TimeoutNow').map((m) => m.to)).to.deep.equal(['b'])
    f.node.tick() // an election timeout since the transfer began, one tick since TimeoutNow
    expect(f.node.status().leadTransferee, 'b is campaigning: not abandoned').to.equal('b')
    expect(() => f.node.propose(text('y'))).to.throw(TransferInProgressError)
    // Caught-up replies send TimeoutNow again but do not extend the campaign's time.
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 1 }))
    for (let i = 0; i < timeout - 1; i++) f.node.tick()
    expect(
      f.node.status().leadTransferee,
      'abandoned an election timeout after TimeoutNow',
    ).to.equal(undefined)
  })

  it('In replicate state, a rejection of any append above matchIndex (not only the latest) sends the follower back to probe', () => {
    const f = leader(['a', 'b', 'c'])
    f.node.propose(text('x1'))
    f.drain()
    f.node.propose(text('x2'))
    f.drain() // 1 and 2 in flight to b: next 3
    // b rejects 2 (prevLogIndex 1), not the latest append (3 would be next): b lost its log.
    f.node.step(
      aeReply({ from: 'b', to: 'a', term: 1, success: false, matchIndex: 1, conflictIndex: 1 }),
    )
    expect(f.node.status().progress?.['b']).to.deep.include({ state: 'probe', match: 0, next: 1 })
    const [retry] = appendsTo(f.drain(), 'b')
    expect(retry?.prevLogIndex).to.equal(0)
  })

  it('In probe state, a stale success (below matchIndex) does not end probing', () => {
    const f = leader(['a', 'b', 'c'])
    for (const x of ['x1', 'x2', 'x3']) f.node.propose(text(x))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 3 }))
    f.node.propose(text('x4'))
    f.drain()
    f.node.step(
      aeReply({ from: 'b', to: 'a', term: 1, success: false, matchIndex: 4, conflictIndex: 4 }),
    )
    f.drain()
    expect(f.node.status().progress?.['b']).to.deep.include({ state: 'probe', match: 3 })
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 2 })) // delayed
    f.drain()
    expect(f.node.status().progress?.['b']).to.deep.include({ state: 'probe', match: 3 })
  })
})

describe('§6.4 ReadIndex: acknowledgements', () => {
  /** Leader of five with 1 committed (an entry of its term) and read 1 sent in round r1. */
  function readPending() {
    const f = leader(FIVE)
    f.node.propose(text('x1'))
    f.drain()
    for (const p of ['b', 'c']) f.node.step(aeReply({ from: p, to: 'a', term: 1, matchIndex: 1 }))
    f.drain()
    f.node.readIndex(1)
    const round = appendsTo(f.drain(), 'b')[0]?.readContext as number
    expect(round).to.be.a('number')
    return { f, round }
  }
  const ack = (from: string, readContext?: number) =>
    aeReply({ from, to: 'a', term: 1, matchIndex: 1, ...(readContext ? { readContext } : {}) })

  it('A reply without a round does not erase a follower’s acknowledgement of a round', () => {
    const { f, round } = readPending()
    f.node.step(ack('b', round))
    f.node.step(ack('b')) // an ordinary acknowledgement
    f.drain()
    expect(readStates(f)).to.deep.equal([])
    f.node.step(ack('c', round))
    f.drain()
    expect(readStates(f)).to.deep.equal([{ requestId: 1, index: 1 }])
  })

  it('A delayed acknowledgement of an older round does not lower a follower’s acknowledged round', () => {
    const { f, round: r1 } = readPending()
    f.node.readIndex(2)
    const r2 = appendsTo(f.drain(), 'b')[0]?.readContext as number
    expect(r2).to.be.greaterThan(r1)
    f.node.step(ack('b', r2))
    f.node.step(ack('b', r1)) // delayed
    f.node.step(ack('c', r2))
    f.drain()
    expect(readStates(f)).to.deep.equal([
      { requestId: 1, index: 1 },
      { requestId: 2, index: 1 },
    ])
  })
})

describe('§6.4 ReadIndex: when reads go out', () => {
  it('A read on an idle leader makes a Ready at once, carrying its heartbeat round', () => {
    const f = leader(['a', 'b', 'c'])
    f.node.propose(text('x1'))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 1 }))
    f.drain()
    expect(f.node.hasReady()).to.equal(false)
    f.node.readIndex(1)
    expect(f.node.hasReady()).to.equal(true)
    const rounds = ofType(f.drain(), 'AppendEntries').map((m) => [m.to, m.readContext])
    expect(rounds.map(([to]) => to)).to.deep.equal(['b', 'c'])
    expect(rounds.every(([, r]) => typeof r === 'number')).to.equal(true)
  })

  it('Single node: a read is confirmed as soon as it can be, available from takeApplicable before the next Ready', () => {
    const f = fixture({ peers: ['a'] })
    f.node.campaign()
    f.drain()
    expect(f.node.getState().isLeader).to.equal(true)
    f.node.readIndex(1) // waits for an entry of the term: a noop is appended
    const rd = f.node.ready()
    persist(f.store, rd)
    f.node.advance(rd) // the noop is durable, hence committed: the read is confirmed now
    expect(f.node.takeApplicable().readStates).to.deep.equal([{ requestId: 1, index: 1 }])
    f.drain()
    f.node.readIndex(2)
    expect(f.node.takeApplicable().readStates).to.deep.equal([{ requestId: 2, index: 1 }])
  })
})

describe('§5.3 AppendEntries receiver: refusals', () => {
  it('An AppendEntries that conflicts with the entry at the commit index itself is ignored', () => {
    const f = fixture({ store: storeWith([1, 1, 1], 2, 3) })
    f.node.step(
      ae({
        from: 'b',
        to: 'a',
        term: 2,
        prevLogIndex: 2,
        prevLogTerm: 1,
        entries: [entry(3, 2)],
        leaderCommit: 3,
      }),
    )
    expect(ofType(f.drain(), 'AppendEntriesReply')).to.deep.equal([])
    expect(f.node.entries(1, 4).map((e) => e.term)).to.deep.equal([1, 1, 1])
  })

  it('An AppendEntries holding a malformed configuration entry is ignored: nothing is appended or acknowledged', () => {
    const f = fixture()
    const bad = { index: 2, term: 1, kind: 'config' as const, data: text('not a membership') }
    f.node.step(
      ae({
        from: 'b',
        to: 'a',
        term: 1,
        entries: [entry(1, 1), bad, entry(3, 1)],
        leaderCommit: 1,
      }),
    )
    expect(ofType(f.drain(), 'AppendEntriesReply')).to.deep.equal([])
    expect(f.node.status()).to.include({ lastIndex: 0, commitIndex: 0 })
    expect(f.logger.records.some((r) => r.level === 'error')).to.equal(true)
  })
})
