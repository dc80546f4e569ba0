/**
 * A replica group's server (kv/server.ts), one rule per test, each written from a mutant that
 * survived the shardkv specs and the shard lab scenarios (TESTING.md, "Session 18: shardkv's
 * servers"): what each request is answered and when it costs a log entry, the leader's noop per
 * term, polling the controller only when settled, one pull per shard at a time, a replica that
 * is not ready skipped, a dead previous owner not holding up the others' deletes, what is
 * logged, and what stops with kill(). Runs over a one-node log (server-harness.ts).
 */
import { expect } from 'chai'
import { SimulatedClock, createRng } from '@raftkit/raft-core'
import { ShardKvServer, encodeShardKvCommand, key2shard } from '../src/index.js'
import { ShardRpcTooLargeError } from '../src/net/rpc-protocol.js'
import type { ShardConfig, ShardKvReply } from '../src/index.js'
import { LogRaft, RecordingLogger, ScriptedRpc, all, config } from './server-harness.js'
import type { Answer } from './server-harness.js'

const K0 = '2' // shard 0
const K1 = '3' // shard 1
const K5 = '7' // shard 5
const C0 = config(0, all(0))
const C1 = config(1, all(100))
/** Shards 0 and 1 move from 100 to 101. */
const C2 = config(
  2,
  all(100).map((g, s) => (s < 2 ? 101 : g)),
)
const op = (o: 'get' | 'put' | 'append', key: string, value = '', clientId = 'c', seq = 1) => ({
  type: 'op',
  op: o,
  key,
  value,
  clientId,
  seq,
})
const shardData = (shard: number, key: string, value: string) => ({
  shard,
  data: [[key, value]],
  sessions: [],
})

interface Setup {
  gid?: number
  configs?: ShardConfig[]
  script?: (to: string, request: Record<string, unknown>) => Answer
  logger?: RecordingLogger
  maxRaftState?: number
}

/** Runs `body` on a server of `gid` (101 by default) over a LogRaft, in simulated time. */
async function withServer(
  setup: Setup,
  body: (t: {
    clock: SimulatedClock
    raft: LogRaft
    rpc: ScriptedRpc
    server: ShardKvServer
  }) => Promise<void>,
): Promise<void> {
  const clock = new SimulatedClock()
  await clock.run(async () => {
    const raft = new LogRaft()
    const rpc = new ScriptedRpc(clock, setup.script)
    rpc.configs = setup.configs ?? [C0]
    const gid = setup.gid ?? 101
    const server = new ShardKvServer({
      gid,
      name: `server-${gid}-0`,
      raft,
      clock,
      rpc,
      ctrlers: ['ctrler-0'],
      maxRaftState: setup.maxRaftState ?? -1,
      storageSize: () => ({ raftStateBytes: 100, snapshotBytes: 0 }),
      rng: createRng(1),
      ...(setup.logger ? { logger: setup.logger } : {}),
    })
    try {
      await body({ clock, raft, rpc, server })
    } finally {
      await server.kill()
    }
  }, 600_000)
}

/** Gid 100 at configuration 2: shards 0 and 1 leaving, 2–9 serving; K0 holds 'a', K5 'c'. */
async function leavingAt2(t: {
  clock: SimulatedClock
  rpc: ScriptedRpc
  server: ShardKvServer
}): Promise<void> {
  t.rpc.configs = [C0, C1]
  await t.clock.sleep(350)
  expect(await t.server.handle(op('put', K0, 'a', 'w', 1))).to.deep.equal({ ok: true, value: '' })
  expect(await t.server.handle(op('put', K5, 'c', 'w', 2))).to.deep.equal({ ok: true, value: '' })
  t.rpc.configs = [C0, C1, C2]
  await t.clock.sleep(350)
  expect(t.server.stateMachine.config.num).to.equal(2)
  expect(t.server.stateMachine.shardsIn('leaving')).to.deep.equal([0, 1])
}

describe('shardkv server rules', () => {
  it('the keys chosen here are in shards 0, 1 and 5', () => {
    expect([K0, K1, K5].map(key2shard)).to.deep.equal([0, 1, 5])
  })

  it('a leader proposes one noop per term; a follower proposes nothing and asks no one', async () => {
    await withServer({}, async ({ clock, raft, rpc, server }) => {
      await clock.sleep(450)
      expect(server.isLeader()).to.equal(true)
      // No new configuration (the controller answers configuration 0): nothing but the noop.
      expect(raft.entries).to.deep.equal([{ t: 'noop' }])
      raft.term = 2
      await clock.sleep(450)
      expect(raft.entries).to.deep.equal([{ t: 'noop' }, { t: 'noop' }])
      raft.leader = false
      const calls = rpc.calls.length
      await clock.sleep(450)
      expect(server.isLeader()).to.equal(false)
      expect(raft.entries).to.have.length(2)
      expect(rpc.calls).to.have.length(calls)
    })
  })

  it('requests: a bad one, a follower, a shard not served here (no log entry), and after kill()', async () => {
    await withServer({ gid: 100, configs: [C0, C1] }, async ({ clock, raft, rpc, server }) => {
      const bad = await server.handle({ type: 'op', op: 'get' })
      expect(bad).to.include({ ok: false, error: 'BAD_REQUEST' })
      expect((bad as { message: string }).message)
        .to.be.a('string')
        .and.not.equal('')
      // Before configuration 1 this group serves nothing: no entry is spent on the request.
      const before = raft.entries.length
      expect(await server.handle(op('get', K0))).to.deep.equal({ ok: false, error: 'WRONG_GROUP' })
      expect(raft.entries).to.have.length(before)
      // A follower answers WRONG_LEADER even for a shard it does not serve (its view may lag).
      raft.leader = false
      expect(await server.handle(op('get', K5))).to.deep.equal({ ok: false, error: 'WRONG_LEADER' })
      raft.leader = true
      await clock.sleep(300)
      expect(await server.handle(op('get', K5))).to.deep.equal({ ok: true, value: '' })
      await server.kill()
      expect(raft.killed).to.equal(true)
      expect(await server.handle(op('get', K5))).to.deep.equal({ ok: false, error: 'STOPPED' })
      const calls = rpc.calls.length
      await clock.sleep(1000)
      expect(rpc.calls).to.have.length(calls) // no more polling
    })
  })

  it('answers: CONFLICT, TIMEOUT when the entry does not apply in time, WRONG_GROUP when the shard left before it applied', async () => {
    await withServer({ gid: 100, configs: [C0, C1] }, async ({ clock, raft, server }) => {
      await clock.sleep(350)
      expect(await server.handle(op('put', K0, 'x', 'c', 1))).to.deep.equal({ ok: true, value: '' })
      const conflict = await server.handle(op('put', K0, 'y', 'c', 1))
      expect(conflict).to.include({ ok: false, error: 'CONFLICT' })
      expect((conflict as { message: string }).message)
        .to.be.a('string')
        .and.not.equal('')
      raft.held = true
      const t0 = clock.now()
      expect(await server.handle(op('get', K0))).to.deep.equal({ ok: false, error: 'TIMEOUT' })
      expect(clock.now() - t0).to.equal(800)
      raft.flush()
      // Configuration 2 (shard 0 leaves) is ahead of the get in the log: the get is refused.
      raft.start(encodeShardKvCommand({ t: 'config', config: C2 }))
      const get = server.handle(op('get', K0))
      raft.flush()
      expect(await get).to.deep.equal({ ok: false, error: 'WRONG_GROUP' })
      expect(server.stateMachine.status(0)).to.equal('leaving')
    })
  })

  it('pull and delete requests of the new owner, by configuration number', async () => {
    await withServer({ gid: 100 }, async (t) => {
      await leavingAt2(t)
      const { raft, server } = t
      const entries = raft.entries.length
      const pull = (num: number, shards: number[]) => server.handle({ type: 'pull', num, shards })
      const del = (num: number, shards: number[]) => server.handle({ type: 'delete', num, shards })
      expect(await pull(3, [0])).to.deep.equal({ ok: false, error: 'NOT_READY' })
      expect(await pull(2, [5])).to.deep.equal({ ok: false, error: 'NOT_READY' }) // not leaving
      const pulled = (await pull(2, [0])) as Extract<ShardKvReply, { ok: true }>
      expect(pulled.ok).to.equal(true)
      expect(pulled.shards?.map((d) => [d.shard, d.data])).to.deep.equal([[0, [[K0, 'a']]]])
      expect(raft.entries).to.have.length(entries) // a pull is answered without an entry
      // A delete of a later configuration is not applied (nor answered ok) before it is reached.
      expect(await del(3, [0])).to.deep.equal({ ok: false, error: 'NOT_READY' })
      expect(server.stateMachine.status(0)).to.equal('leaving')
      // An earlier configuration's delete is done already: ok, without an entry.
      expect(await del(1, [0])).to.deep.equal({ ok: true })
      expect(raft.entries).to.have.length(entries)
      // The current one deletes through the log; a repeat (nothing left to delete) is ok too.
      expect(await del(2, [0])).to.deep.equal({ ok: true, value: '' })
      expect(server.stateMachine.status(0)).to.equal('absent')
      expect(await del(2, [0])).to.deep.equal({ ok: true })
      expect(raft.of('delete')).to.deep.equal([
        { t: 'delete', num: 2, shards: [0] },
        { t: 'delete', num: 2, shards: [0] },
      ])
    })
  })

  it('migration: one pull per incoming shard at a time, the controller left alone until settled, one delete per previous owner', async () => {
    const script = (to: string, req: Record<string, unknown>): Answer => {
      if (req.type === 'pull' && to === 'server-100-0') {
        const shards = (req.shards as number[]).map((s) => shardData(s, s === 0 ? K0 : K1, `v${s}`))
        return { delay: 250, answer: { ok: true, shards } } // longer than two polls
      }
      return req.type === 'delete' ? { ok: true } : new Error('no answer')
    }
    await withServer({ configs: [C0, C1, C2], script }, async ({ clock, raft, rpc, server }) => {
      const steadyAtQuery: boolean[] = []
      rpc.onCall = (c) => {
        if (c.to === 'ctrler-0') steadyAtQuery.push(server.stateMachine.steady())
      }
      await clock.sleep(1500)
      expect(rpc.to('pull').map((c) => [c.to, c.request])).to.deep.equal([
        ['server-100-0', { type: 'pull', num: 2, shards: [0] }],
        ['server-100-0', { type: 'pull', num: 2, shards: [1] }],
      ])
      expect(raft.of('install').map((e) => [e.num, e.shards.map((d) => d.shard)])).to.deep.equal([
        [2, [0]],
        [2, [1]],
      ])
      expect(rpc.to('delete').map((c) => [c.to, c.request])).to.deep.equal([
        ['server-100-0', { type: 'delete', num: 2, shards: [0, 1] }],
      ])
      expect(raft.of('gcdone')).to.deep.equal([{ t: 'gcdone', num: 2, shards: [0, 1] }])
      expect(raft.of('config').map((e) => e.config.num)).to.deep.equal([1, 2])
      expect(steadyAtQuery.length).to.be.above(5)
      expect(steadyAtQuery.every(Boolean), 'queried the controller mid-migration').to.equal(true)
      expect(await server.handle(op('get', K1))).to.deep.equal({ ok: true, value: 'v1' })
    })
  })

  it("a previous owner's replica that is not ready is skipped: the shard is pulled from the next one", async () => {
    const script = (to: string, req: Record<string, unknown>): Answer => {
      if (req.type !== 'pull') return { ok: true }
      if (to === 'server-100-0') return { ok: false, error: 'NOT_READY' }
      return { ok: true, shards: (req.shards as number[]).map((s) => shardData(s, K0, 'v')) }
    }
    await withServer({ configs: [C0, C1, C2], script }, async ({ clock, raft, rpc }) => {
      await clock.sleep(350) // configurations 1 and 2, then the first round of pulls
      expect(rpc.to('pull').map((c) => [c.to, (c.request.shards as number[])[0]])).to.deep.equal([
        ['server-100-0', 0],
        ['server-100-0', 1],
        ['server-100-1', 0],
        ['server-100-1', 1],
      ])
      expect(raft.of('install')).to.have.length(2)
    })
  })

  it('a dead previous owner does not hold up the deletes at another one', async () => {
    // Shard 0 comes from 100, shard 1 from 102; both arrive, then 100 stops answering.
    const C1b = config(
      1,
      all(100).map((g, s) => (s === 1 ? 102 : g)),
    )
    const C2b = config(
      2,
      all(100).map((g, s) => (s < 2 ? 101 : g)),
    )
    const script = (to: string, req: Record<string, unknown>): Answer => {
      if (req.type === 'pull')
        return { ok: true, shards: (req.shards as number[]).map((s) => shardData(s, K0, 'v')) }
      if (to.startsWith('server-100-')) return { delay: 60, answer: new Error('dead') }
      return { ok: true }
    }
    await withServer({ configs: [C0, C1b, C2b], script }, async ({ clock, raft, rpc, server }) => {
      await clock.sleep(2000)
      expect(raft.of('gcdone')).to.deep.equal([{ t: 'gcdone', num: 2, shards: [1] }])
      expect(server.stateMachine.status(1)).to.equal('serving')
      expect(server.stateMachine.status(0)).to.equal('gc')
      expect(rpc.to('delete').filter((c) => c.to.startsWith('server-100-')).length).to.be.above(4)
    })
  })

  it("logs: a failed background task (a warning with its key), a shard too large to migrate (an error), the replica's snapshot failures", async () => {
    const logger = new RecordingLogger()
    const tooLarge = new ShardRpcTooLargeError('reply', 9e6, 8e6, 'server-100-0')
    const script = (to: string, req: Record<string, unknown>): Answer => {
      if (to === 'ctrler-0') return { ok: false, error: 'BAD_REQUEST', message: 'refused' }
      if (req.type === 'pull') return to === 'server-100-0' ? tooLarge : new Error('lost')
      return { ok: true }
    }
    await withServer(
      { configs: [], script, logger, maxRaftState: 1 },
      async ({ clock, raft, rpc }) => {
        raft.snapshotError = new Error('disk full')
        await clock.sleep(250)
        const failed = logger.lines.filter((l) => l.msg === 'background task failed')
        expect(failed.length).to.be.at.least(1)
        expect(failed.every((l) => l.level === 'warn' && l.fields?.key === 'config')).to.equal(true)
        expect(
          logger.lines.some((l) => l.level === 'warn' && l.msg === 'snapshot failed'),
        ).to.equal(true)
        // Configurations 1 and 2 arrive; every pull from 100's first replica is too large.
        rpc.configs = [C0, C1, C2]
        await clock.sleep(500)
        const errors = logger.lines.filter((l) => l.level === 'error')
        const tooLargeCalls = rpc.to('pull').filter((c) => c.to === 'server-100-0')
        expect(tooLargeCalls.length).to.be.at.least(2)
        expect(errors).to.have.length(tooLargeCalls.length) // the lost replies are not errors
        expect(errors[0]).to.deep.equal({
          level: 'error',
          msg: 'shard too large to migrate',
          fields: { num: 2, shards: [0], error: tooLarge.message },
        })
      },
    )
  })

  it('without a logger: a failed background task is retried at the next poll, a shard too large at one replica is pulled from the next', async () => {
    const tooLarge = new ShardRpcTooLargeError('reply', 9e6, 8e6, 'server-100-0')
    const script = (to: string, req: Record<string, unknown>): Answer => {
      if (to === 'ctrler-0') return { ok: false, error: 'BAD_REQUEST', message: 'refused' }
      if (req.type === 'pull' && to === 'server-100-0') return tooLarge
      if (req.type === 'pull')
        return { ok: true, shards: (req.shards as number[]).map((s) => shardData(s, K0, 'v')) }
      return { ok: true }
    }
    const unhandled: unknown[] = []
    const onUnhandled = (e: unknown) => unhandled.push(e)
    process.on('unhandledRejection', onUnhandled)
    try {
      await withServer({ configs: [], script }, async ({ clock, raft, rpc }) => {
        await clock.sleep(450)
        expect(rpc.queries()).to.be.at.least(4) // one per poll, each refused
        rpc.configs = [C0, C1, C2]
        await clock.sleep(500)
        expect(raft.of('install').map((e) => e.shards[0]?.shard)).to.deep.equal([0, 1])
      })
      await new Promise<void>((resolve) => setImmediate(resolve))
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    expect(unhandled).to.deep.equal([])
  })

  it('an unreachable controller is asked again at each poll, and nothing is logged', async () => {
    const logger = new RecordingLogger()
    await withServer({ logger }, async ({ clock, rpc }) => {
      rpc.ctrlerDown = true
      await clock.sleep(1000)
      expect(rpc.queries()).to.be.at.least(5)
      expect(logger.lines).to.deep.equal([])
    })
  })

  for (const type of ['pull', 'delete'])
    it(`kill() while a ${type} waits for a replica that will fail: no other replica is asked`, async () => {
      const script = (_to: string, req: Record<string, unknown>): Answer => {
        if (req.type === type) return { delay: 200, answer: new Error('lost') }
        if (req.type === 'pull')
          return { ok: true, shards: (req.shards as number[]).map((s) => shardData(s, K0, 'v')) }
        return { ok: true }
      }
      await withServer({ configs: [C0, C1, C2], script }, async ({ clock, rpc, server }) => {
        await clock.sleep(450)
        expect(rpc.to(type).length).to.be.above(0)
        const last = rpc.to(type).at(-1)!
        expect(clock.now() - last.at).to.be.below(200) // still waiting for its answer
        await server.kill()
        const calls = rpc.calls.length
        await clock.sleep(1000)
        expect(rpc.calls).to.have.length(calls)
      })
    })
})
