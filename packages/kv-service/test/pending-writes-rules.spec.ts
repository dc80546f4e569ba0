/**
 * The rules of a write waiting for its entry (pending-writes.ts), through KvServer on the
 * scripted FakeRaft: a write is answered once, by its entry's apply, or WRONG_LEADER when its
 * entry may be lost (its index reused, a snapshot over it, the term moved on), or TIMEOUT at its
 * own deadline — and never left unanswered. (server-unit.spec.ts: the main paths.)
 */
import { expect } from 'chai'
import { KvStateMachine, encodeCommand } from '../src/index.js'
import { fakeRaftServer } from './server-fixture.js'

describe('KvServer: a write waiting for its entry', () => {
  const kv = fakeRaftServer({ requestTimeoutMs: 500, leaderWaitMs: 100 })
  const { begin, openSession } = kv

  it('is answered WRONG_LEADER at once when a re-elected leader places another proposal at its index', async () => {
    await openSession('c')
    const first = await begin(kv.server.append('k', 'x', 'c', 1))
    const [lost] = kv.raft.started.splice(0)
    // Deposed and re-elected: its log was cut back below the write's entry.
    kv.raft.term = 3
    kv.raft.nextIndex = lost?.index ?? 0
    const second = await begin(kv.server.append('k', 'y', 'c', 2))
    expect(kv.raft.started[0]?.index).to.equal(lost?.index)
    expect(first.reply).to.deep.include({ ok: false, error: 'WRONG_LEADER' })
    kv.raft.applyStarted()
    expect(await second.done).to.deep.equal({ ok: true, value: '' })
  })

  it('a snapshot answers the writes at or below its index and leaves those above it waiting', async () => {
    await openSession('c') // index 1
    const w2 = await begin(kv.server.put('a', '2', 'c', 1))
    const w3 = await begin(kv.server.put('b', '3', 'c', 2))
    const above = kv.raft.started.filter((e) => e.index === 3)
    kv.raft.started.splice(0)
    const donor = new KvStateMachine()
    donor.apply(encodeCommand({ op: 'open', clientId: 'c' }), 1)
    donor.apply(encodeCommand({ op: 'put', key: 'a', value: '2', clientId: 'c', seq: 1 }), 2)
    kv.raft.deliver({ kind: 'snapshot', index: 2, term: 1, snapshot: donor.snapshot() })
    await kv.clock.advance(0)
    expect(w2.reply).to.deep.include({ ok: false, error: 'WRONG_LEADER' })
    expect(w3.reply, 'above the snapshot: still waiting').to.equal(undefined)
    for (const e of above) kv.raft.deliver({ kind: 'command', ...e })
    expect(await w3.done).to.deep.equal({ ok: true, value: '' })
    expect(kv.server.stateMachine.get('b')).to.equal('3')
  })

  it('keeps waiting for its entry when its node steps down within the term (the entry may still commit)', async () => {
    await openSession('c')
    const r = await begin(kv.server.put('k', 'v', 'c', 1))
    kv.raft.leader = null
    kv.raft.changeState(1, false) // lost leadership, same term (no new leader known)
    await kv.clock.advance(200) // past leaderWaitMs
    expect(r.reply, 'not refused').to.equal(undefined)
    kv.raft.applyStarted() // the next leader committed it
    expect(await r.done).to.deep.equal({ ok: true, value: '' })
  })

  it('times out requestTimeoutMs after its proposal, whatever the clock read then', async () => {
    await kv.clock.advance(10_000)
    const r = await begin(kv.server.open('c'))
    await kv.clock.advance(499)
    expect(r.reply).to.equal(undefined)
    await kv.clock.advance(1)
    expect(r.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
  })

  it('still times out when a write proposed before it was answered', async () => {
    await openSession('c')
    const first = await begin(kv.server.put('a', '1', 'c', 1))
    const second = await begin(kv.server.put('b', '2', 'c', 2))
    const [entry] = kv.raft.started.splice(0, 1)
    if (entry) kv.raft.deliver({ kind: 'command', ...entry })
    expect(await first.done).to.deep.equal({ ok: true, value: '' })
    await kv.clock.advance(500)
    expect(second.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
  })
})
