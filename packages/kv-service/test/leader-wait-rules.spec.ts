/**
 * The bounds of holding a request (leader-wait.ts), through KvServer on the scripted FakeRaft:
 * the hold window after a step-down is exactly leaderWaitMs, a request that was held and answered
 * frees its place under maxHeldRequests, and a node whose status() fails holds nothing.
 * (server-hold.spec.ts: what holding is for.)
 */
import { expect } from 'chai'
import { SimulatedClock, StoppedError } from '@raftkit/raft-core'
import type { KvReply, KvServerOptions } from '../src/index.js'
import { KvServer } from '../src/index.js'
import { FakeRaft, startRequest } from './fake-raft.js'

const NO_LEADER: KvReply = { ok: false, error: 'WRONG_LEADER', leaderHint: null }

describe('KvServer: the bounds of holding a request', () => {
  let clock: SimulatedClock
  let raft: FakeRaft
  let server: KvServer

  const begin = (p: Promise<KvReply>) => startRequest(clock, p)
  const create = (extra: Partial<KvServerOptions> = {}): KvServer =>
    KvServer.create({ raft, clock, requestTimeoutMs: 500, leaderWaitMs: 100, ...extra })

  beforeEach(() => {
    clock = new SimulatedClock()
    raft = new FakeRaft()
    raft.clock = clock
    server = create()
  })

  afterEach(async () => {
    await server.kill()
    expect(clock.pending(), 'timers left behind').to.equal(0)
  })

  /** This node led term 1 and stepped down now; no leader is known yet. */
  function stepDown(): void {
    raft.changeState(1, true)
    raft.leader = null
    raft.changeState(2, false)
  }

  it('holds a request that arrives within leaderWaitMs of a step-down, not one arriving at leaderWaitMs', async () => {
    stepDown()
    await clock.advance(99)
    const held = await begin(server.open('a'))
    expect(held.reply, 'held').to.equal(undefined)
    await clock.advance(1)
    expect(await server.open('b')).to.deep.equal(NO_LEADER)
    await clock.advance(200)
    expect(held.reply).to.deep.equal(NO_LEADER)
  })

  it('a held request, once answered, frees its place under maxHeldRequests', async () => {
    server = create({ maxHeldRequests: 1 })
    raft.leadTransferee = 's1'
    const first = await begin(server.open('a'))
    raft.leadTransferee = undefined // abandoned: served here
    raft.notify()
    await clock.advance(0)
    raft.applyStarted()
    expect(await first.done).to.deep.equal({ ok: true, value: 'a' })
    raft.leadTransferee = 's1' // another transfer
    const second = await begin(server.open('b'))
    expect(second.reply, 'held again').to.equal(undefined)
    raft.leadTransferee = undefined
    raft.notify()
    await clock.advance(0)
    raft.applyStarted()
    expect(await second.done).to.deep.equal({ ok: true, value: 'b' })
  })

  it('a node whose status() fails (stopped) holds nothing: no leader known is answered at once', async () => {
    stepDown()
    raft.status = () => {
      throw new StoppedError('killed')
    }
    expect(await server.open('a')).to.deep.equal(NO_LEADER)
  })
})
