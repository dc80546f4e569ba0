/**
 * KvServer against a scripted Raft stand-in: exact control over what gets applied when, so
 * the lost-entry, term-change and ReadIndex paths are each exercised on purpose. Requests held
 * across leadership changes: server-hold.spec.ts.
 */
import { expect } from 'chai'
import type { Index, StorageSize } from '@raftkit/raft-core'
import { NotLeaderError } from '@raftkit/raft-core'
import type { KvReply } from '../src/index.js'
import { KvConfigError, KvServer, KvStateMachine, encodeCommand } from '../src/index.js'
import { FakeRaft } from './fake-raft.js'
import { fakeRaftServer } from './server-fixture.js'

const open = (clientId: string): Uint8Array => encodeCommand({ op: 'open', clientId })

describe('KvServer (scripted Raft)', () => {
  let size: StorageSize
  beforeEach(() => (size = { raftStateBytes: 0, snapshotBytes: 0 }))
  const kv = fakeRaftServer(
    { requestTimeoutMs: 500, storageSize: () => size },
    { raftKilled: true },
  )
  const { begin, create, openSession } = kv

  it('answers a write only once its entry is applied', async () => {
    await openSession('c')
    const r = await begin(kv.server.put('k', 'v', 'c', 1))
    await kv.clock.advance(100)
    expect(r.reply).to.equal(undefined)
    kv.raft.applyStarted()
    expect(await r.done).to.deep.equal({ ok: true, value: '' })
    expect(kv.server.stateMachine.get('k')).to.equal('v')
  })

  it('answers WRONG_LEADER when another entry is applied at the index of its proposal', async () => {
    await openSession('c')
    const r = await begin(kv.server.append('k', 'x', 'c', 1))
    const [mine] = kv.raft.started.splice(0)
    kv.raft.leader = 's2'
    // A new leader (term 2) put its own noop at that index.
    kv.raft.deliver({ kind: 'noop', index: mine?.index ?? 0, term: 2 })
    expect(await r.done).to.deep.equal({ ok: false, error: 'WRONG_LEADER', leaderHint: 's2' })
    expect(kv.server.stateMachine.get('k')).to.equal('')
  })

  it('answers WRONG_LEADER as soon as the term moves on before the entry applies, when the new leader is known', async () => {
    await openSession('c')
    const r = await begin(kv.server.append('k', 'x', 'c', 1))
    kv.raft.leader = 's2'
    kv.raft.changeState(2, false)
    await kv.clock.advance(0) // no simulated time passes: the change is pushed, not polled
    expect(r.reply).to.deep.equal({ ok: false, error: 'WRONG_LEADER', leaderHint: 's2' })
  })

  it('answers WRONG_LEADER with the known leader when it is not the leader', async () => {
    kv.raft.isLeader = false
    kv.raft.leader = 's1'
    expect(await kv.server.put('k', 'v', 'c', 1)).to.deep.equal({
      ok: false,
      error: 'WRONG_LEADER',
      leaderHint: 's1',
    })
  })

  it('answers TIMEOUT when its entry does not commit in time', async () => {
    const r = await begin(kv.server.open('c'))
    await kv.clock.advance(499)
    expect(r.reply).to.equal(undefined)
    await kv.clock.advance(1)
    expect(r.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
  })

  it('answers each write TIMEOUT at its own deadline, with one timer for all the writes waiting', async () => {
    await openSession('c')
    const timers = kv.clock.pending()
    const first = await begin(kv.server.put('a', '1', 'c', 1))
    await kv.clock.advance(300)
    const second = await begin(kv.server.put('b', '2', 'c', 2))
    const third = await begin(kv.server.put('d', '3', 'c', 3))
    expect(kv.clock.pending() - timers, 'one deadline timer for three writes').to.equal(1)
    await kv.clock.advance(199)
    expect(first.reply).to.equal(undefined)
    await kv.clock.advance(1) // 500 ms after the first proposal
    expect(first.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
    expect(second.reply).to.equal(undefined)
    kv.raft.applyStarted() // the third commits in time; the second's entry is answered too
    expect(await third.done).to.deep.equal({ ok: true, value: '' })
    expect(await second.done).to.deep.equal({ ok: true, value: '' })
    expect(kv.clock.pending() - timers, 'no timer once nothing waits').to.equal(0)
  })

  it('answers a retry of an applied write from the session table, without a new entry', async () => {
    await openSession('c')
    const r = await begin(kv.server.append('k', 'x', 'c', 1))
    kv.raft.applyStarted()
    await r.done
    expect(await kv.server.append('k', 'x', 'c', 1)).to.deep.equal({ ok: true, value: '' })
    expect(kv.raft.started).to.deep.equal([])
    expect(kv.server.stateMachine.get('k')).to.equal('x')
  })

  it('passes on SESSION_EXPIRED for a write of an unknown session', async () => {
    const r = await begin(kv.server.put('k', 'v', 'ghost', 3))
    kv.raft.applyStarted()
    expect(await r.done).to.deep.equal({ ok: false, error: 'SESSION_EXPIRED' })
  })

  it('refuses malformed requests with BAD_REQUEST and proposes nothing', async () => {
    for (const bad of [
      { type: 'put', key: 'k', value: 1, clientId: 'c', seq: 1 },
      { type: 'drop' },
      null,
    ]) {
      const reply = await kv.server.handle(bad)
      expect(reply.ok === false && reply.error).to.equal('BAD_REQUEST')
    }
    expect(await kv.server.put('k', 'v', 'c', 0)).to.include({ ok: false, error: 'BAD_REQUEST' })
    // What a type does not promise (JavaScript callers of put/append/get): the same answer.
    const untyped = kv.server as unknown as {
      put: (...a: unknown[]) => Promise<KvReply>
      append: (...a: unknown[]) => Promise<KvReply>
      get: (...a: unknown[]) => Promise<KvReply>
    }
    for (const reply of [
      await untyped.put('k', 'v', '', 1),
      await untyped.put('k', 'v', 'c', 1.5),
      await untyped.put(7, 'v', 'c', 1),
      await untyped.append('k', null, 'c', 1),
      await untyped.append('k', 'v', 'c', '1'),
      await untyped.get(undefined),
    ])
      expect(reply).to.include({ ok: false, error: 'BAD_REQUEST' })
    expect(kv.raft.started).to.deep.equal([])
  })

  it('answers a read that fails unexpectedly (a bug) with TIMEOUT instead of rejecting', async () => {
    kv.raft.readIndexImpl = () => {
      throw new Error('boom')
    }
    expect(await kv.server.get('k')).to.deep.equal({ ok: false, error: 'TIMEOUT' })
  })

  describe('reads (ReadIndex)', () => {
    it('waits until the read index is applied, then reads', async () => {
      await openSession('c')
      await begin(kv.server.put('k', 'new', 'c', 1))
      kv.raft.readIndexImpl = () => Promise.resolve(2) // committed, not yet applied here
      const r = await begin(kv.server.get('k'))
      await kv.clock.advance(100)
      expect(r.reply).to.equal(undefined)
      kv.raft.applyStarted()
      expect(await r.done).to.deep.equal({ ok: true, value: 'new' })
    })

    it('reads that share a ReadIndex request share one wait, and each answers its own key as a lone read would', async () => {
      await openSession('c')
      await begin(kv.server.put('a', '1', 'c', 1))
      await begin(kv.server.put('b', '2', 'c', 2))
      let release: (index: Index) => void = () => undefined
      const shared = new Promise<Index>((resolve) => (release = resolve))
      kv.raft.readIndexImpl = () => shared // what the runtime gives reads asked for together
      const timers = kv.clock.pending()
      const reads = [
        await begin(kv.server.get('a')),
        await begin(kv.server.get('b')),
        await begin(kv.server.get('none')),
      ]
      expect(kv.clock.pending() - timers, 'one deadline timer for the three').to.equal(1)
      release(3)
      await kv.clock.advance(0)
      expect(reads.map((r) => r.reply)).to.deep.equal([undefined, undefined, undefined])
      kv.raft.applyStarted() // applies the open and both puts: index 3
      const together = await Promise.all(reads.map((r) => r.done))
      expect(together).to.deep.equal([
        { ok: true, value: '1' },
        { ok: true, value: '2' },
        { ok: true, value: '' },
      ])
      kv.raft.readIndexImpl = () => Promise.resolve(3)
      const alone = [
        await kv.server.get('a'),
        await kv.server.get('b'),
        await kv.server.get('none'),
      ]
      expect(alone).to.deep.equal(together)
    })

    it('answers WRONG_LEADER with the hint when ReadIndex is refused', async () => {
      kv.raft.readIndexImpl = () => Promise.reject(new NotLeaderError('s2'))
      expect(await kv.server.get('k')).to.deep.equal({
        ok: false,
        error: 'WRONG_LEADER',
        leaderHint: 's2',
      })
    })

    it('answers TIMEOUT when leadership is never confirmed (a leader cut off from the majority)', async () => {
      kv.raft.readIndexImpl = () => new Promise<Index>(() => undefined)
      const r = await begin(kv.server.get('k'))
      await kv.clock.advance(500)
      expect(r.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
    })
  })

  describe('snapshots', () => {
    it('snapshots the state at the applied index once the Raft state reaches maxRaftState', async () => {
      await kv.server.kill()
      kv.raft = new FakeRaft()
      kv.server = create({ maxRaftState: 1000 })
      await openSession('c')
      expect(kv.raft.snapshots).to.deep.equal([])
      size = { raftStateBytes: 1000, snapshotBytes: 0 }
      const r = await begin(kv.server.put('k', 'v', 'c', 1))
      kv.raft.applyStarted()
      await r.done
      await kv.clock.advance(0)
      expect(kv.raft.snapshots.map((s) => s.index)).to.deep.equal([2])
      const copy = new KvStateMachine()
      copy.restore(kv.raft.snapshots[0]?.data ?? new Uint8Array())
      expect(copy.get('k')).to.equal('v')
      expect(copy.session('c')?.seq).to.equal(1)
    })

    it('restores from a snapshot message, answering WRONG_LEADER to writes it jumped over', async () => {
      await openSession('c')
      const r = await begin(kv.server.append('k', 'x', 'c', 1))
      const donor = new KvStateMachine()
      donor.apply(open('d'), 1)
      donor.apply(
        encodeCommand({ op: 'put', key: 'k', value: 'from-leader', clientId: 'd', seq: 1 }),
        2,
      )
      kv.raft.deliver({ kind: 'snapshot', index: 5, term: 2, snapshot: donor.snapshot() })
      expect(await r.done).to.deep.include({ ok: false, error: 'WRONG_LEADER' })
      expect(kv.server.appliedIndex).to.equal(5)
      expect(kv.server.stateMachine.get('k')).to.equal('from-leader')
      // A damaged snapshot is refused and the state kept.
      kv.raft.deliver({ kind: 'snapshot', index: 9, term: 2, snapshot: new Uint8Array([1, 2]) })
      expect(kv.server.appliedIndex).to.equal(5)
      expect(kv.server.stateMachine.get('k')).to.equal('from-leader')
    })

    it('requires storageSize with maxRaftState', () => {
      expect(() =>
        KvServer.create({ raft: new FakeRaft(), clock: kv.clock, maxRaftState: 100 }),
      ).to.throw(KvConfigError)
      expect(() =>
        KvServer.create({ raft: new FakeRaft(), clock: kv.clock, maxRaftState: 0 }),
      ).to.throw(KvConfigError)
    })
  })

  it('kill() answers pending requests with STOPPED, clears their timers and kills Raft', async () => {
    const w = await begin(kv.server.open('c'))
    kv.raft.readIndexImpl = () => Promise.resolve(9) // confirmed, waiting to apply 9
    const g = await begin(kv.server.get('k'))
    kv.raft.readIndexImpl = () => new Promise<Index>(() => undefined) // never confirmed
    const h = await begin(kv.server.get('k'))
    await kv.server.kill()
    for (const r of [w, g, h]) expect(await r.done).to.deep.equal({ ok: false, error: 'STOPPED' })
    expect(await kv.server.get('k')).to.deep.equal({ ok: false, error: 'STOPPED' })
  })
})
