/**
 * The controller's server (ctrler/server.ts), one rule per test, each written from a mutant
 * that survived the shardkv specs and the shard lab scenarios (TESTING.md, "Session 18:
 * shardkv's servers"): what each request is answered, its options (snapshots, logger, session
 * expiry) reaching the replica and the state machine. Runs over a one-node log
 * (server-harness.ts).
 */
import { expect } from 'chai'
import { SimulatedClock } from '@raftkit/raft-core'
import { SESSION_EXPIRED_MESSAGE } from '../src/ctrler/client.js'
import { ShardCtrlerServer, decodeCtrlerCommand } from '../src/index.js'
import type { CtrlerCommand, CtrlerReply, ShardCtrlerServerOptions } from '../src/index.js'
import { LogRaft, RecordingLogger } from './server-harness.js'

type Options = Partial<
  Pick<ShardCtrlerServerOptions, 'maxRaftState' | 'logger' | 'sessionExpiryEntries'>
>

async function withCtrler(
  options: Options,
  body: (t: {
    clock: SimulatedClock
    raft: LogRaft<CtrlerCommand>
    server: ShardCtrlerServer
  }) => Promise<void>,
): Promise<void> {
  const clock = new SimulatedClock()
  const raft = new LogRaft<CtrlerCommand>(decodeCtrlerCommand)
  const server = new ShardCtrlerServer({
    raft,
    clock,
    storageSize: () => ({ raftStateBytes: 100, snapshotBytes: 0 }),
    ...options,
  })
  await clock.run(() => body({ clock, raft, server }), 60_000)
}

const join = (gid: number, clientId: string, seq: number, since = 1000) => ({
  op: 'join',
  groups: [[gid, [`server-${gid}-0`]]],
  clientId,
  seq,
  since,
})

describe('shard controller server rules', () => {
  it('answers: a bad request, a join, a query (by a read, no entry), a follower, TIMEOUT', async () => {
    await withCtrler({}, async ({ clock, raft, server }) => {
      const bad = await server.handle({ op: 'join' })
      expect(bad).to.include({ ok: false, error: 'BAD_REQUEST' })
      expect((bad as { message: string }).message)
        .to.be.a('string')
        .and.not.equal('')
      expect(server.isLeader()).to.equal(true)
      expect(await server.handle(join(100, 'a', 1))).to.deep.equal({ ok: true, config: null })
      const q = (await server.handle({ op: 'query', num: -1 })) as Extract<
        CtrlerReply,
        { ok: true }
      >
      expect(q.ok).to.equal(true)
      expect(q.config?.num).to.equal(1)
      expect(raft.entries).to.have.length(1)
      raft.held = true
      const t0 = clock.now()
      expect(await server.handle(join(101, 'a', 2))).to.deep.equal({ ok: false, error: 'TIMEOUT' })
      expect(clock.now() - t0).to.equal(800)
      raft.leader = false
      expect(server.isLeader()).to.equal(false)
      expect(await server.handle({ op: 'query', num: -1 })).to.deep.equal({
        ok: false,
        error: 'WRONG_LEADER',
      })
    })
  })

  it('answers: CONFLICT, UNKNOWN_GROUP and SESSION_EXPIRED, each with its message', async () => {
    await withCtrler({ sessionExpiryEntries: 2 }, async ({ server }) => {
      expect(await server.handle(join(100, 'a', 1, 10))).to.deep.include({ ok: true })
      const conflict = await server.handle(join(101, 'a', 1, 10))
      expect(conflict).to.include({ ok: false, error: 'CONFLICT' })
      expect((conflict as { message: string }).message).to.match(/seq/)
      const unknown = await server.handle({
        op: 'move',
        shard: 0,
        gid: 7,
        clientId: 'b',
        seq: 1,
        since: 20,
      })
      expect(unknown).to.include({ ok: false, error: 'UNKNOWN_GROUP' })
      expect((unknown as { message: string }).message).to.match(/7/)
      for (let i = 0; i < 4; i++) await server.handle(join(200 + i, `c${i}`, 1, 30 + i))
      // 'a' has been idle for more than 2 entries: its retry is refused, not run.
      expect(await server.handle(join(100, 'a', 1, 10))).to.deep.equal({
        ok: false,
        error: 'SESSION_EXPIRED',
        message: SESSION_EXPIRED_MESSAGE,
      })
    })
  })

  it('options: snapshots only with maxRaftState, and the replica warns on the logger given', async () => {
    const logger = new RecordingLogger()
    await withCtrler({ maxRaftState: 1, logger }, async ({ raft, server }) => {
      raft.snapshotError = new Error('disk full')
      await server.handle(join(100, 'a', 1))
      expect(logger.lines.map((l) => [l.level, l.msg])).to.deep.equal([['warn', 'snapshot failed']])
    })
    await withCtrler({}, async ({ raft, server }) => {
      let snapshots = 0
      raft.snapshot = () => {
        snapshots++
        return Promise.resolve()
      }
      await server.handle(join(100, 'a', 1))
      expect(snapshots).to.equal(0) // no maxRaftState: never
    })
  })

  it('kill() kills the replica and its Raft: requests answer STOPPED', async () => {
    await withCtrler({}, async ({ raft, server }) => {
      await server.kill()
      expect(raft.killed).to.equal(true)
      expect(await server.handle(join(100, 'a', 1))).to.deep.equal({ ok: false, error: 'STOPPED' })
      expect(await server.handle({ op: 'query', num: -1 })).to.deep.equal({
        ok: false,
        error: 'STOPPED',
      })
    })
  })
})
