/**
 * The bounds of holding a request (leader-wait.ts), through KvServer on the scripted FakeRaft:
 * the hold window after a step-down is exactly leaderWaitMs, a request that was held and answered
 * frees its place under maxHeldRequests, and a node whose status() fails holds nothing.
 * (server-hold.spec.ts: what holding is for.)
 */
import { expect } from 'chai'
import { StoppedError } from '@raftkit/raft-core'
import { NO_LEADER, fakeRaftServer } from './server-fixture.js'

describe('KvServer: the bounds of holding a request', () => {
  const kv = fakeRaftServer({ requestTimeoutMs: 500, leaderWaitMs: 100 })
  const { begin, create } = kv

  /** This node led term 1 and stepped down now; no leader is known yet. */
  function stepDown(): void {
    kv.raft.changeState(1, true)
    kv.raft.leader = null
    kv.raft.changeState(2, false)
  }

  it('holds a request that arrives within leaderWaitMs of a step-down, not one arriving at leaderWaitMs', async () => {
    stepDown()
    await kv.clock.advance(99)
    const held = await begin(kv.server.open('a'))
    expect(held.reply, 'held').to.equal(undefined)
    await kv.clock.advance(1)
    expect(await kv.server.open('b')).to.deep.equal(NO_LEADER)
    await kv.clock.advance(200)
    expect(held.reply).to.deep.equal(NO_LEADER)
  })

  it('a held request, once answered, frees its place under maxHeldRequests', async () => {
    kv.server = create({ maxHeldRequests: 1 })
    kv.raft.leadTransferee = 's1'
    const first = await begin(kv.server.open('a'))
    kv.raft.leadTransferee = undefined // abandoned: served here
    kv.raft.notify()
    await kv.clock.advance(0)
    kv.raft.applyStarted()
    expect(await first.done).to.deep.equal({ ok: true, value: 'a' })
    kv.raft.leadTransferee = 's1' // another transfer
    const second = await begin(kv.server.open('b'))
    expect(second.reply, 'held again').to.equal(undefined)
    kv.raft.leadTransferee = undefined
    kv.raft.notify()
    await kv.clock.advance(0)
    kv.raft.applyStarted()
    expect(await second.done).to.deep.equal({ ok: true, value: 'b' })
  })

  it('a node whose status() fails (stopped) holds nothing: no leader known is answered at once', async () => {
    stepDown()
    kv.raft.status = () => {
      throw new StoppedError('killed')
    }
    expect(await kv.server.open('a')).to.deep.equal(NO_LEADER)
  })
})
