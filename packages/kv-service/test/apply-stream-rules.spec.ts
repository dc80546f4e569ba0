/**
 * The apply stream and the replies built from it (apply-stream.ts, replies.ts), through KvServer
 * on the scripted FakeRaft: a message at or below the applied index is ignored (never applied
 * twice, a snapshot never rolls the state back), nothing is applied once killed, malformed
 * entries and damaged snapshots are skipped with a log line, and the refusals' answers and
 * messages (TOO_LARGE, CONFLICT, what Raft refused a proposal with).
 */
import { expect } from 'chai'
import { MemoryLogger, NotLeaderError, SimulatedClock } from '@raftkit/raft-core'
import type { KvReply, KvServerOptions } from '../src/index.js'
import { KvServer, KvStateMachine, encodeCommand } from '../src/index.js'
import { FakeRaft, startRequest } from './fake-raft.js'

describe('KvServer: the apply stream and its answers', () => {
  let clock: SimulatedClock
  let raft: FakeRaft
  let server: KvServer
  let logger: MemoryLogger

  const begin = (p: Promise<KvReply>) => startRequest(clock, p)
  const create = (extra: Partial<KvServerOptions> = {}): KvServer =>
    KvServer.create({ raft, clock, requestTimeoutMs: 500, logger, ...extra })

  beforeEach(() => {
    clock = new SimulatedClock()
    raft = new FakeRaft()
    raft.clock = clock
    logger = new MemoryLogger()
    server = create()
  })

  afterEach(async () => {
    await server.kill()
    expect(clock.pending(), 'timers left behind').to.equal(0)
  })

  async function applied(p: Promise<KvReply>): Promise<KvReply> {
    const r = await begin(p)
    raft.applyStarted()
    return r.done
  }
  const append = (value: string, seq: number, clientId = 'c'): Uint8Array =>
    encodeCommand({ op: 'append', key: 'k', value, clientId, seq })

  it('ignores a message at or below the applied index: an entry is never applied twice, a snapshot never rolls back', async () => {
    await applied(server.open('c')) // 1
    await applied(server.append('k', 'x', 'c', 1)) // 2
    const old = new KvStateMachine()
    old.apply(encodeCommand({ op: 'open', clientId: 'c' }), 1)
    raft.deliver({ kind: 'command', index: 2, term: 1, command: append('x', 1) })
    raft.deliver({ kind: 'command', index: 1, term: 1, command: append('y', 2) })
    raft.deliver({ kind: 'snapshot', index: 2, term: 1, snapshot: old.snapshot() })
    expect(server.stateMachine.get('k')).to.equal('x')
    expect(server.appliedIndex).to.equal(2)
    expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.fields)).to.deep.equal([
      { kind: 'command', index: 2, applied: 2 },
      { kind: 'command', index: 1, applied: 2 },
      { kind: 'snapshot', index: 2, applied: 2 },
    ])
  })

  it('applies nothing once killed', async () => {
    await applied(server.open('c'))
    await server.kill()
    raft.deliver({ kind: 'command', index: 2, term: 1, command: append('x', 1) })
    expect(server.stateMachine.get('k')).to.equal('')
    expect(server.appliedIndex).to.equal(1)
  })

  it('skips a malformed entry and a damaged snapshot with a log line naming the index; the snapshot answers no write', async () => {
    await applied(server.open('c')) // 1
    raft.deliver({ kind: 'command', index: 2, term: 1, command: new Uint8Array([0xc1]) })
    expect(server.appliedIndex).to.equal(2)
    const w = await begin(server.append('k', 'x', 'c', 1)) // 3
    raft.started.splice(0)
    raft.deliver({ kind: 'snapshot', index: 5, term: 1, snapshot: new Uint8Array([1, 2]) })
    await clock.advance(0)
    expect(w.reply, 'a skipped snapshot settles nothing').to.equal(undefined)
    expect(server.appliedIndex).to.equal(2)
    const logged = logger.records.filter((r) => r.level !== 'debug')
    expect(logged.map((r) => [r.level, r.msg, r.fields?.index])).to.deep.equal([
      ['warn', 'skipped a malformed log entry', 2],
      ['error', 'cannot restore a snapshot; keeping the current state', 5],
    ])
    await clock.advance(500)
    expect(w.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
  })

  describe('answers', () => {
    it('TOO_LARGE tells the key, the size and the limit; a retry of the refused write is refused again, not executed', async () => {
      server = create({ maxValueBytes: 4 })
      await applied(server.open('c'))
      expect(await applied(server.put('k', '12345', 'c', 1))).to.deep.equal({
        ok: false,
        error: 'TOO_LARGE',
        message:
          'the value of key "k" would be 5 bytes; the limit (limits.maxValueBytes) is 4: not executed',
      })
      expect(await server.put('k', '12345', 'c', 1)).to.deep.equal({
        ok: false,
        error: 'TOO_LARGE',
        message:
          'the value of key "k" would be more than the limit; the limit (limits.maxValueBytes) is 4: not executed',
      })
      const long = 'a'.repeat(300)
      const reply = await applied(server.put(long, '12345', 'c', 2))
      expect(reply.ok === false && reply.error === 'TOO_LARGE' && reply.message).to.include(
        `key ${JSON.stringify(long).slice(0, 200)} would be`,
      )
      expect(server.stateMachine.get('k')).to.equal('')
    })

    it('CONFLICT tells a reused sequence number from one below the last executed', async () => {
      await applied(server.open('c'))
      await applied(server.put('k', 'v', 'c', 1))
      expect(await server.put('k', 'other', 'c', 1)).to.deep.equal({
        ok: false,
        error: 'CONFLICT',
        message:
          'seq 1 of session c was used by a different request (another op, key or value): not executed',
      })
      await applied(server.put('k', 'w', 'c', 2))
      expect(await server.put('k', 'v', 'c', 1)).to.deep.equal({
        ok: false,
        error: 'CONFLICT',
        message:
          'seq 1 of session c is below its last executed seq 2 (a reused sequence number): not executed',
      })
    })

    it('a proposal Raft refuses for another reason is answered TIMEOUT and logged; NotLeaderError without a hint names the leader the node knows', async () => {
      raft.start = () => {
        throw new Error('disk full')
      }
      expect(await server.open('c')).to.deep.equal({ ok: false, error: 'TIMEOUT' })
      expect(logger.records.filter((r) => r.level === 'warn')).to.deep.equal([
        { level: 'warn', msg: 'raft refused a request', fields: { error: 'Error: disk full' } },
      ])
      raft.start = () => {
        throw new NotLeaderError(null)
      }
      raft.leader = 's1'
      expect(await server.open('c')).to.deep.equal({
        ok: false,
        error: 'WRONG_LEADER',
        leaderHint: 's1',
      })
    })
  })
})
