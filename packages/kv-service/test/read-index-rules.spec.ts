/**
 * The read path's rules (read-index.ts), through KvServer on the scripted FakeRaft: a read
 * answers from the state machine only once leadership is confirmed (ReadIndex) AND its index is
 * applied here, within requestTimeoutMs in all; otherwise TIMEOUT (or STOPPED), never a value.
 * (server-unit.spec.ts: the main paths.)
 */
import { expect } from 'chai'
import type { Index } from '@raftkit/raft-core'
import { fakeRaftServer } from './server-fixture.js'

describe('KvServer: a read waits for confirmation and apply, within its deadline', () => {
  const kv = fakeRaftServer({ requestTimeoutMs: 500 })
  const { begin } = kv

  it('a confirmed read whose index never applies here answers TIMEOUT, not the stale value', async () => {
    const r = await begin(kv.server.open('c')) // index 1, never applied
    kv.raft.readIndexImpl = () => Promise.resolve(1)
    const g = await begin(kv.server.get('k'))
    await kv.clock.advance(499)
    expect(g.reply).to.equal(undefined)
    await kv.clock.advance(1)
    expect(g.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
    expect(r.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
  })

  it('the time spent confirming leadership counts against the deadline of the wait for apply', async () => {
    await kv.clock.advance(10_000) // any time: the deadline counts from the read's arrival
    await begin(kv.server.open('c')) // index 1, not applied yet
    let confirm: (index: Index) => void = () => undefined
    kv.raft.readIndexImpl = () => new Promise<Index>((resolve) => (confirm = resolve))
    const g = await begin(kv.server.get('k'))
    await kv.clock.advance(300)
    confirm(1)
    await kv.clock.advance(199)
    expect(g.reply).to.equal(undefined)
    await kv.clock.advance(1) // 500 ms after the read arrived
    expect(g.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
  })

  it('a read never confirmed answers TIMEOUT without logging an error (it is no bug)', async () => {
    kv.raft.readIndexImpl = () => new Promise<Index>(() => undefined)
    const g = await begin(kv.server.get('k'))
    await kv.clock.advance(500)
    expect(g.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
    expect(kv.logger.records.filter((r) => r.level === 'error')).to.deep.equal([])
  })
})
