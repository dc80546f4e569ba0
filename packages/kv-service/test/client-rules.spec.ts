/**
 * KvClient's rules, one by one, against a scripted network in simulated time: which server a
 * failed attempt leads to, when a round ends in a pause, how the deadline bounds attempts and
 * pauses, which answers end an operation with which typed error, the session id the server
 * issues, close() during a pause, and the options' checks. (client.spec.ts: the main paths.)
 */
import { expect } from 'chai'
import type { Rng } from '@raftkit/raft-core'
import { SimulatedClock, StoppedError, TimeoutError, createRng } from '@raftkit/raft-core'
import type { KvRpcNetwork } from '../src/index.js'
import { BadRequestError, KvClient, KvConfigError, MalformedRequestError } from '../src/index.js'
import type { ClerkOptions } from './fake-rpc.js'
import { FakeRpc, OK, clerk, outcome, wrong } from './fake-rpc.js'

describe('KvClient rules', () => {
  let clock: SimulatedClock
  const make = (rpc: KvRpcNetwork, extra: ClerkOptions = {}): KvClient => clerk(clock, rpc, extra)

  beforeEach(() => {
    clock = new SimulatedClock()
  })
  afterEach(() => {
    expect(clock.pending(), 'timers left behind').to.equal(0)
  })

  describe('which server next', () => {
    it('follows the hint of the leader it knew when that leader moves on', async () => {
      // c leads and answers; then c hands over to a and says so.
      let moved = false
      const rpc = new FakeRpc(clock, (to) => {
        if (!moved) return to === 'c' ? OK : wrong('c')
        return to === 'a' ? OK : wrong('a')
      })
      const ck = make(rpc)
      await clock.run(() => ck.get('k'))
      expect(ck.knownLeader).to.equal('c')
      moved = true
      const before = rpc.calls.length
      await clock.run(() => ck.get('k'))
      expect(rpc.calls.slice(before).map((c) => c.to)).to.deep.equal(['c', 'a'])
    })

    it('follows a fresh hint from a server of the list after a hinted server failed', async () => {
      // a names c; c fails naming nobody, so the list goes on to b, which names a (the leader
      // now): a hint from a server of the list is followed again.
      let step = 0
      const rpc = new FakeRpc(clock, (to) => {
        step++
        if (step === 1) return wrong('c') // a: c leads
        if (step === 2) return wrong(null) // c: no leader known
        if (step === 3) return wrong('a') // b: a leads now
        return to === 'a' ? OK : wrong('a')
      })
      const ck = make(rpc, { backoff: { initialMs: 1000, maxMs: 1000 } })
      await clock.run(() => ck.get('k'))
      expect(rpc.calls.map((c) => c.to)).to.deep.equal(['a', 'c', 'b', 'a'])
    })

    it('does not retry a server at once because it names itself while refusing', async () => {
      const rpc = new FakeRpc(clock, (to) => (to === 'b' ? OK : wrong(to)))
      const ck = make(rpc)
      await clock.run(() => ck.get('k'))
      expect(rpc.calls.map((c) => c.to)).to.deep.equal(['a', 'b'])
    })

    it('tries each server of a round without pausing, then pauses before the next round', async () => {
      const rpc = new FakeRpc(clock, (_to, _req, n) => (n > 6 ? OK : wrong(null)))
      const ck = make(rpc, { backoff: { initialMs: 100, maxMs: 100 } })
      const t0 = clock.now()
      await clock.run(() => ck.get('k'))
      const at = rpc.calls.map((c) => c.at - t0)
      // Each failed call takes 1 ms; the pause is 100 ms ± 50 %.
      expect(at.slice(0, 3)).to.deep.equal([0, 1, 2])
      expect(at[3]).to.be.within(3 + 50, 3 + 150)
      expect(at.slice(4, 6)).to.deep.equal([(at[3] ?? 0) + 1, (at[3] ?? 0) + 2])
      expect(at[6]).to.be.within((at[5] ?? 0) + 1 + 50, (at[5] ?? 0) + 1 + 150)
    })
  })

  describe('the deadline', () => {
    it('gives an attempt no more time than the deadline leaves', async () => {
      const rpc = new FakeRpc(clock, () => 'timeout')
      const ck = make(rpc, { deadlineMs: 300 }) // attempts may take 1000 ms otherwise
      const t0 = clock.now()
      const err = await clock.run(() => outcome(ck.get('k')))
      expect(err).to.be.instanceOf(TimeoutError)
      expect(clock.now() - t0).to.equal(300)
      expect(rpc.calls.map((c) => c.timeoutMs)).to.deep.equal([300])
    })

    it('cuts a pause short at the deadline and gives up there', async () => {
      const rpc = new FakeRpc(clock, () => wrong(null))
      const ck = make(rpc, { deadlineMs: 300, backoff: { initialMs: 5000, maxMs: 5000 } })
      const t0 = clock.now()
      const err = await clock.run(() => outcome(ck.put('k', 'v')))
      expect(err).to.be.instanceOf(TimeoutError)
      expect(clock.now() - t0).to.equal(300)
      // One round (3 ms), then one pause until the deadline: no round in between.
      expect(rpc.calls).to.have.length(3)
    })
  })

  describe('answers that end an operation', () => {
    it('does not retry a write refused as too large: BadRequestError', async () => {
      const rpc = new FakeRpc(clock, (_to, req) =>
        req.type === 'put' ? { ok: false, error: 'TOO_LARGE', message: 'over the limit' } : OK,
      )
      const ck = make(rpc, { deadlineMs: 10_000 }) // retrying it would end in TimeoutError
      const err = await clock.run(() => outcome(ck.put('k', 'v')))
      expect(err).to.be.instanceOf(BadRequestError)
      expect((err as BadRequestError).code).to.equal('KV_BAD_REQUEST')
      expect(rpc.writes()).to.have.length(1)
    })

    it('passes on an error of the network that is not a timeout, without retrying', async () => {
      const broken = new Error('certificate not trusted')
      const rpc = new FakeRpc(clock, () => broken)
      const ck = make(rpc, { deadlineMs: 10_000 }) // retrying it would end in TimeoutError
      expect(await clock.run(() => outcome(ck.get('k')))).to.equal(broken)
      expect(rpc.calls).to.have.length(1)
    })

    it('refuses SESSION_EXPIRED to a get or an open with MalformedRequestError', async () => {
      const expired = { ok: false, error: 'SESSION_EXPIRED' } as const
      const ck = make(new FakeRpc(clock, () => expired))
      const err = await clock.run(() => outcome(ck.get('k')))
      expect(err).to.be.instanceOf(MalformedRequestError)
      const err2 = await clock.run(() => outcome(ck.put('k', 'v')))
      expect(err2).to.be.instanceOf(MalformedRequestError)
    })
  })

  describe('sessions', () => {
    it('writes in the session id the server issued when it issues one', async () => {
      const rpc = new FakeRpc(clock, (_to, req) =>
        req.type === 'open' ? { ok: true, value: 'issued-7' } : OK,
      )
      const ck = make(rpc)
      await clock.run(() => ck.put('k', 'v'))
      expect(ck.clientId).to.equal('issued-7')
      expect(rpc.writes().map((c) => c.request)).to.deep.equal([
        { type: 'put', key: 'k', value: 'v', clientId: 'issued-7', seq: 1 },
      ])
    })

    it('draws its id from the rng when none is given: kv- and 16 hex digits, distinct per seed', () => {
      const rpc = new FakeRpc(clock, () => OK)
      const ids = new Set<string>()
      for (let seed = 1; seed <= 20; seed++) {
        const ck = new KvClient({ servers: ['a'], rpc, clock, rng: createRng(seed) })
        expect(ck.clientId).to.match(/^kv-[0-9a-f]{16}$/)
        expect(ck.name).to.equal(ck.clientId)
        ids.add(ck.clientId)
      }
      expect(ids.size).to.equal(20)
      // Small draws are zero-padded: the id keeps its length.
      const small: Rng = {
        next: () => 0.5,
        int: (max) => Math.min(max - 1, 0x1f),
        fork: () => small,
      }
      expect(new KvClient({ servers: ['a'], rpc, clock, rng: small }).clientId).to.equal(
        'kv-0000001f0000001f',
      )
    })
  })

  it('close() ends an operation that is pausing at once, without waiting out the pause', async () => {
    const rpc = new FakeRpc(clock, () => wrong(null))
    const ck = make(rpc, { backoff: { initialMs: 5000, maxMs: 5000 } })
    const err = await clock.run(async () => {
      const op = outcome(ck.get('k'))
      await clock.sleep(100) // one round failed; the clerk is pausing
      const closedAt = clock.now()
      ck.close()
      const e = await op
      expect(clock.now()).to.equal(closedAt)
      return e
    })
    expect(err).to.be.instanceOf(StoppedError)
  })

  it('close() ends an attempt in flight at once, without waiting for its timeout', async () => {
    const rpc = new FakeRpc(clock, () => 'timeout')
    const ck = make(rpc) // an attempt may take 1000 ms
    const err = await clock.run(async () => {
      const op = outcome(ck.get('k'))
      await clock.sleep(100)
      ck.close()
      const e = await op
      expect(clock.now()).to.equal(100)
      return e
    })
    expect(err).to.be.instanceOf(StoppedError)
    expect(rpc.calls).to.have.length(1)
    await clock.run(() => clock.sleep(1000)) // the abandoned call's own timer
  })

  it('names the option it refuses (KvConfigError.field)', () => {
    const rpc = new FakeRpc(clock, () => OK)
    const field = (f: () => unknown): string | undefined => {
      try {
        f()
      } catch (e) {
        expect(e).to.be.instanceOf(KvConfigError)
        return (e as KvConfigError).field
      }
      return undefined
    }
    expect(field(() => new KvClient({ servers: [], rpc, clock }))).to.equal('servers')
    expect(field(() => make(rpc, { requestTimeoutMs: 0 }))).to.equal('requestTimeoutMs')
    expect(field(() => make(rpc, { deadlineMs: 0 }))).to.equal('deadlineMs')
    expect(field(() => make(rpc, { deadlineMs: -5 }))).to.equal('deadlineMs')
    expect(field(() => make(rpc, { clientId: '' }))).to.equal('clientId')
    // Accepted: a positive deadline, a non-empty id.
    expect(make(rpc, { deadlineMs: 1, clientId: 'x' }).clientId).to.equal('x')
  })
})
