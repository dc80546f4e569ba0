/**
 * KvServer's own rules around its parts, on the scripted FakeRaft: the options that reach the
 * state machine (session expiry, the value limit), what a write is answered when Raft refuses it
 * or the server is killed (held or not), which refused reads are held, and the replicated
 * address book. (server-unit.spec.ts: the main paths; server-hold.spec.ts: holding.)
 */
import { expect } from 'chai'
import type { Index } from '@raftkit/raft-core'
import { MemoryLogger, NotLeaderError, SimulatedClock, StoppedError } from '@raftkit/raft-core'
import type { KvReply, KvServerOptions } from '../src/index.js'
import { KvServer } from '../src/index.js'
import { FakeRaft, startRequest } from './fake-raft.js'

const NO_LEADER: KvReply = { ok: false, error: 'WRONG_LEADER', leaderHint: null }
const STOPPED: KvReply = { ok: false, error: 'STOPPED' }

describe('KvServer rules', () => {
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

  /** Proposes `p`'s entry, applies everything started, and returns the answer. */
  async function applied(p: Promise<KvReply>): Promise<KvReply> {
    const r = await begin(p)
    raft.applyStarted()
    return r.done
  }

  describe('options that reach the state machine', () => {
    it('sessionExpiryEntries: a session idle for more entries than that expires', async () => {
      server = create({ sessionExpiryEntries: 2 })
      for (const c of ['a', 'b', 'c', 'd']) await applied(server.open(c))
      expect(await applied(server.put('k', 'v', 'a', 1))).to.deep.equal({
        ok: false,
        error: 'SESSION_EXPIRED',
      })
      expect(await applied(server.put('k', 'v', 'd', 1))).to.deep.equal({ ok: true, value: '' })
    })

    it('maxValueBytes: a write whose value would exceed it is refused TOO_LARGE, not executed', async () => {
      server = create({ maxValueBytes: 4 })
      await applied(server.open('c'))
      const reply = await applied(server.put('k', '12345', 'c', 1))
      expect(reply).to.include({ ok: false, error: 'TOO_LARGE' })
      expect(server.stateMachine.get('k')).to.equal('')
      expect(await applied(server.put('k', '1234', 'c', 2))).to.deep.equal({ ok: true, value: '' })
    })
  })

  describe('writes', () => {
    it('refuses a client id that is not a string with BAD_REQUEST naming it, proposing nothing', async () => {
      const untyped = server as unknown as { put: (...a: unknown[]) => Promise<KvReply> }
      const reply = await untyped.put('k', 'v', 7, 1)
      expect(reply).to.include({ ok: false, error: 'BAD_REQUEST' })
      expect(reply.ok === false && reply.error === 'BAD_REQUEST' && reply.message).to.match(
        /clientId/,
      )
      const seq = await server.put('k', 'v', 'c', 0)
      expect(seq.ok === false && seq.error === 'BAD_REQUEST' && seq.message).to.match(/seq/)
      expect(raft.started).to.deep.equal([])
    })

    it('answers a write to a killed server STOPPED without reaching Raft', async () => {
      await server.kill()
      expect(await server.put('k', 'v', 'c', 1)).to.deep.equal(STOPPED)
      expect(await server.open('c')).to.deep.equal(STOPPED)
      expect(raft.started).to.deep.equal([])
    })

    it('answers what Raft refused a proposal with: NotLeaderError names its leader, StoppedError is STOPPED', async () => {
      raft.start = () => {
        throw new NotLeaderError('s2')
      }
      expect(await server.open('c')).to.deep.equal({
        ok: false,
        error: 'WRONG_LEADER',
        leaderHint: 's2',
      })
      raft.start = () => {
        throw new StoppedError('killed')
      }
      expect(await server.put('k', 'v', 'c', 1)).to.deep.equal(STOPPED)
    })

    it('a held write is answered STOPPED when the server is killed meanwhile', async () => {
      raft.leadTransferee = 's1'
      const r = await begin(server.put('k', 'v', 'c', 1))
      expect(r.reply).to.equal(undefined)
      await server.kill()
      expect(await r.done).to.deep.equal(STOPPED)
    })

    it("a held write that Raft refuses when proposed again gets the refusal's answer", async () => {
      raft.leadTransferee = 's1'
      const r = await begin(server.open('c'))
      raft.leadTransferee = undefined // the transfer was abandoned: this node leads on
      raft.start = () => {
        throw new NotLeaderError('s3')
      }
      raft.notify()
      await clock.advance(0)
      expect(r.reply).to.deep.equal({ ok: false, error: 'WRONG_LEADER', leaderHint: 's3' })
    })
  })

  describe('which refused reads are held', () => {
    it('a held read is answered STOPPED when the server is killed meanwhile', async () => {
      raft.changeState(1, true)
      raft.leader = null
      raft.changeState(2, false)
      raft.readIndexImpl = () => Promise.reject(new NotLeaderError(null))
      const r = await begin(server.get('k'))
      expect(r.reply).to.equal(undefined)
      await server.kill()
      expect(await r.done).to.deep.equal(STOPPED)
    })

    it('a read refused naming a leader is answered at once, even at a candidate that would hold', async () => {
      raft.changeState(2, false)
      raft.leader = null
      raft.followerRole = 'candidate'
      raft.readIndexImpl = () => Promise.reject(new NotLeaderError('s2'))
      const r = await begin(server.get('k'))
      expect(r.reply).to.deep.equal({ ok: false, error: 'WRONG_LEADER', leaderHint: 's2' })
    })

    it('a read refused with no leader known at a follower that never led is answered at once', async () => {
      raft.changeState(1, false)
      raft.leader = null
      raft.readIndexImpl = () => Promise.reject(new NotLeaderError(null))
      const r = await begin(server.get('k'))
      expect(r.reply).to.deep.equal(NO_LEADER)
    })

    it('a read that times out during a transfer is answered TIMEOUT at its deadline, not held', async () => {
      raft.leadTransferee = 's1'
      raft.readIndexImpl = () => new Promise<Index>(() => undefined)
      const r = await begin(server.get('k'))
      await clock.advance(500)
      expect(r.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
    })
  })

  it('a held request whose wait fails unexpectedly (a bug) is answered TIMEOUT and the error logged', async () => {
    const logger = new MemoryLogger()
    server = create({ logger })
    raft.awaitLeader = () => Promise.reject(new Error('boom'))
    raft.leadTransferee = 's1'
    expect(await server.put('k', 'v', 'c', 1)).to.deep.equal({ ok: false, error: 'TIMEOUT' })
    raft.leadTransferee = undefined
    raft.changeState(1, true)
    raft.changeState(2, false)
    raft.leader = null
    raft.readIndexImpl = () => Promise.reject(new NotLeaderError(null))
    expect(await server.get('k')).to.deep.equal({ ok: false, error: 'TIMEOUT' })
    expect(logger.records.filter((r) => r.level === 'error')).to.deep.equal([
      { level: 'error', msg: 'request failed unexpectedly', fields: { error: 'Error: boom' } },
      { level: 'error', msg: 'request failed unexpectedly', fields: { error: 'Error: boom' } },
    ])
  })

  it('stats counts the applied index, the keys and the sessions', async () => {
    await applied(server.open('c'))
    await applied(server.put('k', 'v', 'c', 1))
    expect(server.stats).to.deep.equal({ appliedIndex: 2, keys: 1, sessions: 1 })
  })

  it('a node that refuses status() shows no status and does not lead', () => {
    raft.status = () => {
      throw new StoppedError('killed')
    }
    raft.getState = () => {
      throw new StoppedError('killed')
    }
    expect(server.raftStatus()).to.equal(undefined)
    expect(server.isLeader()).to.equal(false)
  })

  it('setAddress records a member in the replicated address book once applied, and "" deletes it', async () => {
    expect(await applied(server.setAddress('n4', 'h4:7000', 'h4:8000'))).to.deep.equal({
      ok: true,
      value: '',
    })
    expect([...server.stateMachine.addressBook()]).to.deep.equal([
      ['n4', { peer: 'h4:7000', http: 'h4:8000' }],
    ])
    await applied(server.setAddress('n4', '', ''))
    expect(server.stateMachine.addressBook().size).to.equal(0)
  })
})
