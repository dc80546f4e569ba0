/** Log compaction and InstallSnapshot (§7, Figure 13), chunked and resumable. */
import { expect } from 'chai'
import { CompactedError } from '../../src/errors.js'
import type { CoreConfig } from '../../src/config.js'
import { Network, TEST_CONFIG, text, untext } from '../helpers/network.js'
import { ae, aeReply, becomeLeader, entry, fixture, ofType, snap } from '../helpers/fixture.js'

function leaderWithCompactedLog(chunk = 4) {
  const net = new Network(['a', 'b', 'c'], { config: { snapshotChunkBytes: chunk } })
  net.elect('a')
  net.isolate('c')
  for (let i = 0; i < 5; i++) net.propose('a', `v${i}`)
  net.compact('a', 4)
  return net
}

describe('§7 log compaction (service-driven)', () => {
  it('compact() discards the log up to an applied index and keeps (index, term(index)) as the snapshot', () => {
    const net = leaderWithCompactedLog()
    const st = net.node('a').status()
    expect(st).to.include({
      snapshotIndex: 4,
      snapshotTerm: 1,
      firstIndex: 5,
      lastIndex: 5,
      appliedIndex: 5,
    })
    expect(() => net.node('a').entries(4, 5)).to.throw(CompactedError)
    expect(
      net
        .node('a')
        .entries(5, 6)
        .map((e) => untext(e.data)),
    ).to.deep.equal(['v4'])
  })

  it('compact() throws CompactedError at or below the snapshot index and RangeError above the applied index', () => {
    const net = leaderWithCompactedLog()
    expect(() => net.node('a').compact(4, text('s'))).to.throw(CompactedError)
    expect(() => net.node('a').compact(6, text('s'))).to.throw(RangeError)
    expect(net.node('a').status().snapshotIndex).to.equal(4)
  })

  it('Restart from a snapshot: first index = snapshot index + 1, applied = commit floor = snapshot index', () => {
    const net = leaderWithCompactedLog()
    const a = net.restart('a')
    expect(a.status()).to.include({
      firstIndex: 5,
      snapshotIndex: 4,
      appliedIndex: 4,
      commitIndex: 5,
      lastIndex: 5,
    })
    net.settle()
    expect(a.status().appliedIndex).to.equal(5)
  })
})

describe('§7 InstallSnapshot (leader)', () => {
  it('A follower that needs compacted entries gets the snapshot in chunks of snapshotChunkBytes, then the rest of the log', () => {
    const net = leaderWithCompactedLog(4)
    net.heal()
    net.tick(net.ids, 3)
    const chunks = net.sent.filter((m) => m.type === 'InstallSnapshot' && m.to === 'c')
    const total = 'snapshot of a at 4'.length
    expect(chunks.length).to.equal(Math.ceil(total / 4))
    expect(net.node('c').status()).to.include({ snapshotIndex: 4, commitIndex: 5, lastIndex: 5 })
    expect(untext(net.store('c').snapshot!.data)).to.equal('snapshot of a at 4')
    expect(net.appliedTexts('c')).to.deep.equal(['v4'])
    expect(net.node('a').status().progress?.['c']).to.deep.include({ match: 5, state: 'replicate' })
  })

  it('A lost chunk is resent after a heartbeat interval without reply, from the offset the follower holds (bug #19)', () => {
    const net = leaderWithCompactedLog(4)
    net.heal()
    let dropped = 0
    net.filter = (m) => !(m.type === 'InstallSnapshot' && m.offset === 8 && dropped++ < 2)
    net.tick(net.ids, 8)
    expect(dropped).to.be.greaterThan(1)
    expect(net.node('c').status()).to.include({ snapshotIndex: 4, commitIndex: 5 })
  })
})

describe('§7 snapshot transfer: the leader side', () => {
  const data = text('0123456789') // 10 bytes, 3 chunks of 4

  /** Leader `a` (term 2) whose log is compacted into a snapshot at 5; b is being sent it. */
  function transferring(config: Partial<CoreConfig> = {}) {
    const store = {
      hardState: { term: 1, votedFor: null, commit: 5 },
      snapshot: { meta: { index: 5, term: 1 }, data },
      entries: [],
    }
    const f = fixture({ store, config: { snapshotChunkBytes: 4, ...config } })
    becomeLeader(f)
    // b has nothing: its answer to the initial probe leads the leader to the snapshot.
    f.node.step(
      aeReply({ from: 'b', to: 'a', term: 2, success: false, matchIndex: 5, conflictIndex: 1 }),
    )
    const first = ofType(f.drain(), 'InstallSnapshot').filter((m) => m.to === 'b')
    expect(first.map((m) => m.offset)).to.deep.equal([0])
    expect(f.node.status().progress?.['b']?.state).to.equal('snapshot')
    return f
  }
  const chunkReply = (nextOffset: number, done = false, lastIncludedIndex = 5) =>
    ({
      type: 'InstallSnapshotReply',
      from: 'b',
      to: 'a',
      term: 2,
      lastIncludedIndex,
      nextOffset,
      done,
    }) as const

  it('Each chunk carries its offset, its bytes and the total size; done is set on the last chunk only (Figure 13)', () => {
    const f = transferring()
    for (const next of [4, 8]) {
      f.node.step(chunkReply(next))
      f.drain()
    }
    const sent = f.readies.flatMap((r) => r.messages)
    const chunks = ofType(sent, 'InstallSnapshot').filter((m) => m.to === 'b')
    expect(
      chunks.map((m) => [m.offset, untext(m.data), m.totalBytes, m.done, m.lastIncludedIndex]),
    ).to.deep.equal([
      [0, '0123', 10, false, 5],
      [4, '4567', 10, false, 5],
      [8, '89', 10, true, 5],
    ])
  })

  it('Once the follower reports the snapshot installed, the leader resumes replication at once after the snapshot', () => {
    const f = transferring()
    f.node.step(chunkReply(10, true))
    const toB = ofType(f.drain(), 'AppendEntries').filter((m) => m.to === 'b')
    expect(toB.map((m) => [m.prevLogIndex, m.prevLogTerm])).to.deep.equal([[5, 1]])
    expect(f.node.status().progress?.['b']).to.deep.equal({ match: 5, next: 6, state: 'probe' })
  })

  it('A duplicated "installed" reply after replication resumed changes nothing', () => {
    const f = transferring()
    f.node.step(chunkReply(10, true))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 2, matchIndex: 5 }))
    f.drain()
    expect(f.node.status().progress?.['b']).to.deep.equal({ match: 5, next: 6, state: 'replicate' })
    f.node.step(chunkReply(10, true))
    expect(f.drain()).to.deep.equal([])
    expect(f.node.status().progress?.['b']).to.deep.equal({ match: 5, next: 6, state: 'replicate' })
  })

  it('A late chunk reply (after the transfer, or for another snapshot) moves no offset and sends nothing', () => {
    const f = transferring()
    f.node.step(chunkReply(2, false, 3)) // another snapshot's transfer
    expect(ofType(f.drain(), 'InstallSnapshot')).to.deep.equal([])
    f.node.step(chunkReply(4)) // this one's: the next chunk goes out
    expect(ofType(f.drain(), 'InstallSnapshot').map((m) => m.offset)).to.deep.equal([4])
    f.node.step(chunkReply(10, true))
    f.drain()
    f.node.step(chunkReply(8)) // after the transfer finished
    expect(ofType(f.drain(), 'InstallSnapshot')).to.deep.equal([])
    expect(f.node.status().progress?.['b']?.state).to.equal('probe')
  })

  it('The leader logs the snapshot it starts sending (at info: to whom, which index)', () => {
    const f = transferring()
    const sending = f.logger.records.filter(
      (r) => r.level === 'info' && r.msg === 'sending snapshot',
    )
    expect(sending.map((r) => r.fields)).to.deep.equal([{ id: 'a', term: 2, to: 'b', index: 5 }])
  })

  it('A chunk reply from a node the leader does not replicate to (not a member) is ignored', () => {
    const f = transferring()
    f.node.step({ ...chunkReply(4), from: 'z' })
    f.node.step({ ...chunkReply(10, true), from: 'z' })
    expect(f.drain()).to.deep.equal([])
    expect(f.node.status().progress?.['z']).to.equal(undefined)
    expect(f.node.status().progress?.['b']?.state).to.equal('snapshot')
  })

  it('An unanswered chunk is resent after a heartbeat interval, not before', () => {
    const f = transferring({ heartbeatTicks: 3 })
    const resent: number[] = []
    for (let t = 1; t <= 3; t++) {
      f.node.tick()
      resent.push(ofType(f.drain(), 'InstallSnapshot').filter((m) => m.to === 'b').length)
    }
    expect(resent).to.deep.equal([0, 0, 1])
  })

  it('Chunk replies count as hearing from the follower: checkQuorum keeps a leader whose follower is busy with a snapshot', () => {
    const f = transferring()
    // c is silent; b answers only snapshot chunks (each time asking for the first one again).
    for (let t = 0; t < 2 * TEST_CONFIG.electionTicksMin; t++) {
      f.node.tick()
      f.drain()
      f.node.step(chunkReply(0))
      f.drain()
    }
    expect(f.node.status().role).to.equal('leader')
  })
})

describe('§7 InstallSnapshot receiver', () => {
  const bytes = text('0123456789')
  const chunk = (offset: number, len: number, extra: Partial<Parameters<typeof snap>[0]> = {}) =>
    snap({
      from: 'b',
      to: 'a',
      term: 2,
      lastIncludedIndex: 5,
      lastIncludedTerm: 2,
      offset,
      data: bytes.slice(offset, offset + len),
      totalBytes: 10,
      done: offset + len === 10,
      ...extra,
    })

  it('Accepts a chunk only at the offset equal to the bytes received so far; others are answered with that offset', () => {
    const f = fixture()
    f.node.step(chunk(0, 4))
    f.node.step(chunk(6, 4)) // out of order
    f.node.step(chunk(0, 4)) // duplicate
    const replies = ofType(f.drain(), 'InstallSnapshotReply')
    expect(replies.map((r) => [r.nextOffset, r.done])).to.deep.equal([
      [4, false],
      [4, false],
      [4, false],
    ])
    expect(f.node.status().snapshotIndex).to.equal(0)
  })

  it('The follower logs the snapshot it installs (at info, with its index), once it is complete', () => {
    const f = fixture()
    f.node.step(chunk(0, 4))
    const installed = () =>
      f.logger.records.filter((r) => r.level === 'info' && r.msg === 'installed snapshot')
    expect(installed()).to.deep.equal([])
    f.node.step(chunk(4, 4))
    f.node.step(chunk(8, 2))
    expect(installed().map((r) => r.fields)).to.deep.equal([{ id: 'a', term: 2, index: 5 }])
  })

  it('Installs a complete snapshot: discards the whole log if it has no matching entry, sets commit/applied, hands it out in Ready.snapshot', () => {
    const f = fixture({
      store: {
        hardState: { term: 1, votedFor: null, commit: 0 },
        entries: [entry(1, 1), entry(2, 1)],
      },
    })
    f.node.step(chunk(0, 4))
    f.node.step(chunk(4, 4))
    f.node.step(chunk(8, 2))
    const replies = ofType(f.drain(), 'InstallSnapshotReply')
    expect(replies.at(-1)).to.include({ nextOffset: 10, done: true, lastIncludedIndex: 5 })
    const rd = f.readies.find((r) => r.snapshot)
    expect(untext(rd!.snapshot!.data)).to.equal('0123456789')
    expect(rd!.mustSync).to.equal(true)
    expect(f.node.status()).to.include({
      snapshotIndex: 5,
      firstIndex: 6,
      lastIndex: 5,
      commitIndex: 5,
      appliedIndex: 5,
    })
    expect(f.store.entries).to.have.length(0)
  })

  it('If an existing log entry has the same index and term as the snapshot: retain the entries following it', () => {
    const f = fixture({
      store: {
        hardState: { term: 2, votedFor: null, commit: 0 },
        entries: [1, 1, 2, 2, 2, 2, 2].map((t, i) => entry(i + 1, t)),
      },
    })
    f.node.step(
      snap({
        from: 'b',
        to: 'a',
        term: 2,
        lastIncludedIndex: 5,
        lastIncludedTerm: 2,
        data: text('s'),
        totalBytes: 1,
      }),
    )
    f.drain()
    expect(f.node.status()).to.include({ snapshotIndex: 5, lastIndex: 7, commitIndex: 5 })
    expect(f.store.entries.map((e) => e.index)).to.deep.equal([6, 7])
  })

  for (const [index, term] of [
    [2, 1],
    [3, 2],
  ] as const)
    it(`A snapshot at or below the commit index (${index}, commit 3) is not installed; the follower replies done`, () => {
      const f = fixture()
      f.node.step(
        ae({
          from: 'b',
          to: 'a',
          term: 2,
          entries: [1, 1, 2].map((t, i) => entry(i + 1, t)),
          leaderCommit: 3,
        }),
      )
      f.drain()
      f.node.step(
        snap({
          from: 'b',
          to: 'a',
          term: 2,
          lastIncludedIndex: index,
          lastIncludedTerm: term,
          data: text('s'),
          totalBytes: 1,
        }),
      )
      expect(ofType(f.drain(), 'InstallSnapshotReply')[0]).to.include({ done: true })
      expect(f.node.status()).to.include({ snapshotIndex: 0, lastIndex: 3 })
      expect(f.readies.some((r) => r.snapshot)).to.equal(false)
    })

  it('Chunks of two different leaders are never mixed', () => {
    const f = fixture()
    f.node.step(chunk(0, 4))
    f.node.step(chunk(4, 6, { from: 'c', term: 3 }))
    expect(ofType(f.drain(), 'InstallSnapshotReply').map((r) => r.nextOffset)).to.deep.equal([4, 0])
    expect(f.node.status().snapshotIndex).to.equal(0)
  })
})
