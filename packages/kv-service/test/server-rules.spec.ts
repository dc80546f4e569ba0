/**
 * KvServer's own rules around its parts, on the scripted FakeRaft: the options that reach the
 * state machine (session expiry, the value limit), what a write is answered when Raft refuses it
 * or the server is killed (held or not), which refused reads are held, and the replicated
 * address book. (server-unit.spec.ts: the main paths; server-hold.spec.ts: holding.)
 */
import { expect } from 'chai'
import type { Index } from '@raftkit/raft-core'
import { MemoryLogger, NotLeaderError, StoppedError } from '@raftkit/raft-core'
import type { KvReply } from '../src/index.js'
import { NO_LEADER, fakeRaftServer } from './server-fixture.js'

const STOPPED: KvReply = { ok: false, error: 'STOPPED' }

describe('KvServer rules', () => {
  const kv = fakeRaftServer({ requestTimeoutMs: 500, leaderWaitMs: 100 })
  const { begin, create, applied } = kv

  describe('options that reach the state machine', () => {
    it('sessionExpiryEntries: a session idle for more entries than that expires', async () => {
      kv.server = create({ sessionExpiryEntries: 2 })
      for (const c of ['a', 'b', 'c', 'd']) await applied(kv.server.open(c))
      expect(await applied(kv.server.put('k', 'v', 'a', 1))).to.deep.equal({
        ok: false,
        error: 'SESSION_EXPIRED',
      })
      expect(await applied(kv.server.put('k', 'v', 'd', 1))).to.deep.equal({ ok: true, value: '' })
    })

    it('maxValueBytes: a write whose value would exceed it is refused TOO_LARGE, not executed', async () => {
      kv.server = create({ maxValueBytes: 4 })
      await applied(kv.server.open('c'))
      const reply = await applied(kv.server.put('k', '12345', 'c', 1))
      expect(reply).to.include({ ok: false, error: 'TOO_LARGE' })
      expect(kv.server.stateMachine.get('k')).to.equal('')
      expect(await applied(kv.server.put('k', '1234', 'c', 2))).to.deep.equal({
        ok: true,
        value: '',
      })
    })
  })

  describe('writes', () => {
    it('refuses a client id that is not a string with BAD_REQUEST naming it, proposing nothing', async () => {
      const untyped = kv.server as unknown as { put: (...a: unknown[]) => Promise<KvReply> }
      const reply = await untyped.put('k', 'v', 7, 1)
      expect(reply).to.include({ ok: false, error: 'BAD_REQUEST' })
      expect(reply.ok === false && reply.error === 'BAD_REQUEST' && reply.message).to.match(
        /clientId/,
      )
      const seq = await kv.server.put('k', 'v', 'c', 0)
      expect(seq.ok === false && seq.error === 'BAD_REQUEST' && seq.message).to.match(/seq/)
      expect(kv.raft.started).to.deep.equal([])
    })

    it('answers a write to a killed server STOPPED without reaching Raft', async () => {
      await kv.server.kill()
      expect(await kv.server.put('k', 'v', 'c', 1)).to.deep.equal(STOPPED)
      expect(await kv.server.open('c')).to.deep.equal(STOPPED)
      expect(kv.raft.started).to.deep.equal([])
    })

    it('answers what Raft refused a proposal with: NotLeaderError names its leader, StoppedError is STOPPED', async () => {
      kv.raft.start = () => {
        throw new NotLeaderError('s2')
      }
      expect(await kv.server.open('c')).to.deep.equal({
        ok: false,
        error: 'WRONG_LEADER',
        leaderHint: 's2',
      })
      kv.raft.start = () => {
        throw new StoppedError('killed')
      }
      expect(await kv.server.put('k', 'v', 'c', 1)).to.deep.equal(STOPPED)
    })

    it('a held write is answered STOPPED when the server is killed meanwhile', async () => {
      kv.raft.leadTransferee = 's1'
      const r = await begin(kv.server.put('k', 'v', 'c', 1))
      expect(r.reply).to.equal(undefined)
      await kv.server.kill()
      expect(await r.done).to.deep.equal(STOPPED)
    })

    it("a held write that Raft refuses when proposed again gets the refusal's answer", async () => {
      kv.raft.leadTransferee = 's1'
      const r = await begin(kv.server.open('c'))
      kv.raft.leadTransferee = undefined // the transfer was abandoned: this node leads on
      kv.raft.start = () => {
        throw new NotLeaderError('s3')
      }
      kv.raft.notify()
      await kv.clock.advance(0)
      expect(r.reply).to.deep.equal({ ok: false, error: 'WRONG_LEADER', leaderHint: 's3' })
    })
  })

  describe('which refused reads are held', () => {
    it('a held read is answered STOPPED when the server is killed meanwhile', async () => {
      kv.raft.changeState(1, true)
      kv.raft.leader = null
      kv.raft.changeState(2, false)
      kv.raft.readIndexImpl = () => Promise.reject(new NotLeaderError(null))
      const r = await begin(kv.server.get('k'))
      expect(r.reply).to.equal(undefined)
      await kv.server.kill()
      expect(await r.done).to.deep.equal(STOPPED)
    })

    it('a read refused naming a leader is answered at once, even at a candidate that would hold', async () => {
      kv.raft.changeState(2, false)
      kv.raft.leader = null
      kv.raft.followerRole = 'candidate'
      kv.raft.readIndexImpl = () => Promise.reject(new NotLeaderError('s2'))
      const r = await begin(kv.server.get('k'))
      expect(r.reply).to.deep.equal({ ok: false, error: 'WRONG_LEADER', leaderHint: 's2' })
    })

    it('a read refused with no leader known at a follower that never led is answered at once', async () => {
      kv.raft.changeState(1, false)
      kv.raft.leader = null
      kv.raft.readIndexImpl = () => Promise.reject(new NotLeaderError(null))
      const r = await begin(kv.server.get('k'))
      expect(r.reply).to.deep.equal(NO_LEADER)
    })

    it('a read that times out during a transfer is answered TIMEOUT at its deadline, not held', async () => {
      kv.raft.leadTransferee = 's1'
      kv.raft.readIndexImpl = () => new Promise<Index>(() => undefined)
      const r = await begin(kv.server.get('k'))
      await kv.clock.advance(500)
      expect(r.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
    })
  })

  it('a held request whose wait fails unexpectedly (a bug) is answered TIMEOUT and the error logged', async () => {
    const logger = new MemoryLogger()
    kv.server = create({ logger })
    kv.raft.awaitLeader = () => Promise.reject(new Error('boom'))
    kv.raft.leadTransferee = 's1'
    expect(await kv.server.put('k', 'v', 'c', 1)).to.deep.equal({ ok: false, error: 'TIMEOUT' })
    kv.raft.leadTransferee = undefined
    kv.raft.changeState(1, true)
    kv.raft.changeState(2, false)
    kv.raft.leader = null
    kv.raft.readIndexImpl = () => Promise.reject(new NotLeaderError(null))
    expect(await kv.server.get('k')).to.deep.equal({ ok: false, error: 'TIMEOUT' })
    expect(logger.records.filter((r) => r.level === 'error')).to.deep.equal([
      { level: 'error', msg: 'request failed unexpectedly', fields: { error: 'Error: boom' } },
      { level: 'error', msg: 'request failed unexpectedly', fields: { error: 'Error: boom' } },
    ])
  })

  it('stats counts the applied index, the keys and the sessions', async () => {
    await applied(kv.server.open('c'))
    await applied(kv.server.put('k', 'v', 'c', 1))
    expect(kv.server.stats).to.deep.equal({ appliedIndex: 2, keys: 1, sessions: 1 })
  })

  it('a node that refuses status() shows no status and does not lead', () => {
    kv.raft.status = () => {
      throw new StoppedError('killed')
    }
    kv.raft.getState = () => {
      throw new StoppedError('killed')
    }
    expect(kv.server.raftStatus()).to.equal(undefined)
    expect(kv.server.isLeader()).to.equal(false)
  })

  it('setAddress records a member in the replicated address book once applied, and "" deletes it', async () => {
    expect(await applied(kv.server.setAddress('n4', 'h4:7000', 'h4:8000'))).to.deep.equal({
      ok: true,
      value: '',
    })
    expect([...kv.server.stateMachine.addressBook()]).to.deep.equal([
      ['n4', { peer: 'h4:7000', http: 'h4:8000' }],
    ])
    await applied(kv.server.setAddress('n4', '', ''))
    expect(kv.server.stateMachine.addressBook().size).to.equal(0)
  })
})
