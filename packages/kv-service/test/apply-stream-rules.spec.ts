/**
 * The apply stream and the replies built from it (apply-stream.ts, replies.ts), through KvServer
 * on the scripted FakeRaft: a message at or below the applied index is ignored (never applied
 * twice, a snapshot never rolls the state back), nothing is applied once killed, malformed
 * entries and damaged snapshots are skipped with a log line, and the refusals' answers and
 * messages (TOO_LARGE, CONFLICT, what Raft refused a proposal with).
 */
import { expect } from 'chai'
import { NotLeaderError } from '@raftkit/raft-core'
import { KvStateMachine, encodeCommand } from '../src/index.js'
import { fakeRaftServer } from './server-fixture.js'

describe('KvServer: the apply stream and its answers', () => {
  const kv = fakeRaftServer({ requestTimeoutMs: 500 })
  const { begin, create, applied } = kv
  const append = (value: string, seq: number, clientId = 'c'): Uint8Array =>
    encodeCommand({ op: 'append', key: 'k', value, clientId, seq })

  it('ignores a message at or below the applied index: an entry is never applied twice, a snapshot never rolls back', async () => {
    await applied(kv.server.open('c')) // 1
    await applied(kv.server.append('k', 'x', 'c', 1)) // 2
    const old = new KvStateMachine()
    old.apply(encodeCommand({ op: 'open', clientId: 'c' }), 1)
    kv.raft.deliver({ kind: 'command', index: 2, term: 1, command: append('x', 1) })
    kv.raft.deliver({ kind: 'command', index: 1, term: 1, command: append('y', 2) })
    kv.raft.deliver({ kind: 'snapshot', index: 2, term: 1, snapshot: old.snapshot() })
    expect(kv.server.stateMachine.get('k')).to.equal('x')
    expect(kv.server.appliedIndex).to.equal(2)
    expect(kv.logger.records.filter((r) => r.level === 'warn').map((r) => r.fields)).to.deep.equal([
      { kind: 'command', index: 2, applied: 2 },
      { kind: 'command', index: 1, applied: 2 },
      { kind: 'snapshot', index: 2, applied: 2 },
    ])
  })

  it('applies nothing once killed', async () => {
    await applied(kv.server.open('c'))
    await kv.server.kill()
    kv.raft.deliver({ kind: 'command', index: 2, term: 1, command: append('x', 1) })
    expect(kv.server.stateMachine.get('k')).to.equal('')
    expect(kv.server.appliedIndex).to.equal(1)
  })

  it('skips a malformed entry and a damaged snapshot with a log line naming the index; the snapshot answers no write', async () => {
    await applied(kv.server.open('c')) // 1
    kv.raft.deliver({ kind: 'command', index: 2, term: 1, command: new Uint8Array([0xc1]) })
    expect(kv.server.appliedIndex).to.equal(2)
    const w = await begin(kv.server.append('k', 'x', 'c', 1)) // 3
    kv.raft.started.splice(0)
    kv.raft.deliver({ kind: 'snapshot', index: 5, term: 1, snapshot: new Uint8Array([1, 2]) })
    await kv.clock.advance(0)
    expect(w.reply, 'a skipped snapshot settles nothing').to.equal(undefined)
    expect(kv.server.appliedIndex).to.equal(2)
    const logged = kv.logger.records.filter((r) => r.level !== 'debug')
    expect(logged.map((r) => [r.level, r.msg, r.fields?.index])).to.deep.equal([
      ['warn', 'skipped a malformed log entry', 2],
      ['error', 'cannot restore a snapshot; keeping the current state', 5],
    ])
    await kv.clock.advance(500)
    expect(w.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
  })

  describe('answers', () => {
    it('TOO_LARGE tells the key, the size and the limit; a retry of the refused write is refused again, not executed', async () => {
      kv.server = create({ maxValueBytes: 4 })
      await applied(kv.server.open('c'))
      expect(await applied(kv.server.put('k', '12345', 'c', 1))).to.deep.equal({
        ok: false,
        error: 'TOO_LARGE',
        message:
          'the value of key "k" would be 5 bytes; the limit (limits.maxValueBytes) is 4: not executed',
      })
      expect(await kv.server.put('k', '12345', 'c', 1)).to.deep.equal({
        ok: false,
        error: 'TOO_LARGE',
        message:
          'the value of key "k" would be more than the limit; the limit (limits.maxValueBytes) is 4: not executed',
      })
      const long = 'a'.repeat(300)
      const reply = await applied(kv.server.put(long, '12345', 'c', 2))
      expect(reply.ok === false && reply.error === 'TOO_LARGE' && reply.message).to.include(
        `key ${JSON.stringify(long).slice(0, 200)} would be`,
      )
      expect(kv.server.stateMachine.get('k')).to.equal('')
    })

    it('CONFLICT tells a reused sequence number from one below the last executed', async () => {
      await applied(kv.server.open('c'))
      await applied(kv.server.put('k', 'v', 'c', 1))
      expect(await kv.server.put('k', 'other', 'c', 1)).to.deep.equal({
        ok: false,
        error: 'CONFLICT',
        message:
          'seq 1 of session c was used by a different request (another op, key or value): not executed',
      })
      await applied(kv.server.put('k', 'w', 'c', 2))
      expect(await kv.server.put('k', 'v', 'c', 1)).to.deep.equal({
        ok: false,
        error: 'CONFLICT',
        message:
          'seq 1 of session c is below its last executed seq 2 (a reused sequence number): not executed',
      })
    })

    it('a proposal Raft refuses for another reason is answered TIMEOUT and logged; NotLeaderError without a hint names the leader the node knows', async () => {
      kv.raft.start = () => {
        throw new Error('disk full')
      }
      expect(await kv.server.open('c')).to.deep.equal({ ok: false, error: 'TIMEOUT' })
      expect(kv.logger.records.filter((r) => r.level === 'warn')).to.deep.equal([
        { level: 'warn', msg: 'raft refused a request', fields: { error: 'Error: disk full' } },
      ])
      kv.raft.start = () => {
        throw new NotLeaderError(null)
      }
      kv.raft.leader = 's1'
      expect(await kv.server.open('c')).to.deep.equal({
        ok: false,
        error: 'WRONG_LEADER',
        leaderHint: 's1',
      })
    })
  })
})
