import { expect } from 'chai'
import { SimulatedClock, StoppedError, TimeoutError } from '@raftkit/raft-core'
import type { KvRpcNetwork } from '../src/index.js'
import {
  BadRequestError,
  KvClient,
  KvConfigError,
  OutcomeUnknownError,
  RequestConflictError,
} from '../src/index.js'
import type { ClerkOptions, Script } from './fake-rpc.js'
import { FakeRpc, OK, clerk, wrong } from './fake-rpc.js'

const leaderIs =
  (leader: string, hint: string | null = leader): Script =>
  (to) =>
    to === leader ? OK : wrong(hint)

describe('KvClient', () => {
  let clock: SimulatedClock
  const make = (rpc: KvRpcNetwork, extra: ClerkOptions = {}): KvClient => clerk(clock, rpc, extra)

  beforeEach(() => {
    clock = new SimulatedClock()
  })
  afterEach(() => {
    expect(clock.pending(), 'timers left behind').to.equal(0)
  })

  it('follows the leader hint, then remembers the leader', async () => {
    const rpc = new FakeRpc(clock, leaderIs('c'))
    const ck = make(rpc)
    await clock.run(() => ck.get('k'))
    expect(ck.knownLeader).to.equal('c')
    const before = rpc.calls.length
    await clock.run(() => ck.get('k'))
    expect(rpc.calls.slice(before).map((c) => c.to)).to.deep.equal(['c'])
  })

  it('a stale hint cannot trap it: a hinted server that fails sends it on through the list, not back to the server that named it (TestMembershipChurnPartitionUnreliableLinearizable3A seed 575)', async () => {
    // Two removed nodes: 'a' still names 'c', its old leader; 'c' knows no leader. Going on
    // from the hinted server's place in the list ('c' is last, so 'a' next) made a cycle
    // a -> c -> a that never reached the real leader 'b'.
    const rpc = new FakeRpc(clock, (to) =>
      to === 'b' ? OK : to === 'a' ? wrong('c') : wrong(null),
    )
    const ck = make(rpc, { deadlineMs: 10_000 })
    await clock.run(() => ck.get('k'))
    expect(ck.knownLeader).to.equal('b')
    expect(rpc.calls.map((c) => c.to)).to.deep.equal(['a', 'c', 'b'])
  })

  it('follows at most one hint in a row: hints that name each other do not keep it from the rest of the list', async () => {
    const rpc = new FakeRpc(clock, (to) => (to === 'b' ? OK : to === 'a' ? wrong('c') : wrong('a')))
    const ck = make(rpc, { deadlineMs: 10_000 })
    await clock.run(() => ck.get('k'))
    expect(ck.knownLeader).to.equal('b')
    expect(rpc.calls.map((c) => c.to)).to.deep.equal(['a', 'c', 'b'])
  })

  it('tries every server when nobody knows the leader, backing off between rounds', async () => {
    let n = 0
    const rpc = new FakeRpc(clock, (to) => (++n > 7 && to === 'b' ? OK : wrong(null)))
    const ck = make(rpc)
    const t0 = clock.now()
    await clock.run(() => ck.get('k'))
    const targets = rpc.calls.map((c) => c.to)
    expect(new Set(targets.slice(0, 3)).size).to.equal(3) // one full round over distinct servers
    expect(clock.now() - t0).to.be.greaterThan(rpc.calls.length) // it paused, not just spun
  })

  it('opens a session once and retries a write with the same sequence number', async () => {
    let writes = 0
    const rpc = new FakeRpc(clock, (to, req) => {
      if (req.type === 'open') return to === 'a' ? OK : wrong('a')
      if (req.type !== 'append') return OK
      writes++
      if (writes === 1) return 'timeout' // the outcome is unknown: must retry with the same seq
      if (writes === 2) return wrong('b') // the leader moved
      return to === 'b' ? OK : wrong('b')
    })
    const ck = make(rpc)
    await clock.run(async () => {
      await ck.append('k', 'x')
      await ck.append('k', 'y')
    })
    const opens = rpc.calls.filter((c) => c.request.type === 'open')
    expect(opens.length).to.be.at.least(1)
    expect(opens.every((c) => c.request.type === 'open' && c.request.clientId === 'ck')).to.equal(
      true,
    )
    const attempts = rpc
      .writes()
      .map((c) => (c.request.type === 'append' ? `${c.request.value}${c.request.seq}` : ''))
    expect(attempts.length).to.be.at.least(4)
    expect(attempts.slice(0, -1).every((a) => a === 'x1')).to.equal(true) // every retry of x kept seq 1
    expect(attempts.at(-1)).to.equal('y2')
  })

  it("runs one clerk's operations one at a time, in call order", async () => {
    const rpc = new FakeRpc(clock, () => OK)
    const ck = make(rpc)
    await clock.run(() => Promise.all([ck.append('k', '1'), ck.append('k', '2'), ck.put('k', '3')]))
    expect(
      rpc
        .writes()
        .map((c) => (c.request.type === 'open' || c.request.type === 'get' ? 0 : c.request.seq)),
    ).to.deep.equal([1, 2, 3])
    expect(
      rpc
        .writes()
        .map((c) =>
          c.request.type === 'put' || c.request.type === 'append' ? c.request.value : '',
        ),
    ).to.deep.equal(['1', '2', '3'])
  })

  it('never gives up without a deadline: retries until a server answers', async () => {
    const rpc = new FakeRpc(clock, (_to, _req, n) => (n > 40 ? OK : 'timeout'))
    const ck = make(rpc, { requestTimeoutMs: 100 })
    expect(await clock.run(() => ck.get('k'))).to.equal('')
    expect(rpc.calls.length).to.equal(41)
  })

  it('rejects with TimeoutError once the per-operation deadline passes', async () => {
    const rpc = new FakeRpc(clock, () => 'timeout')
    const ck = make(rpc, { requestTimeoutMs: 100, deadlineMs: 1000 })
    const t0 = clock.now()
    const err = await clock.run(() =>
      ck.put('k', 'v').then(
        () => null,
        (e: unknown) => e,
      ),
    )
    expect(err).to.be.instanceOf(TimeoutError)
    expect(clock.now() - t0).to.be.within(1000, 1100)
    // A per-call override wins over the client default.
    const err2 = await clock.run(() =>
      ck.get('k', { deadlineMs: 300 }).then(
        () => null,
        (e: unknown) => e,
      ),
    )
    expect(err2).to.be.instanceOf(TimeoutError)
  })

  it('renews an expired session transparently when the write was sent only once', async () => {
    const rpc = new FakeRpc(clock, (_to, req) =>
      req.type === 'append' && req.clientId === 'ck' ? { ok: false, error: 'SESSION_EXPIRED' } : OK,
    )
    const ck = make(rpc)
    await clock.run(() => ck.append('k', 'x'))
    expect(ck.clientId).to.equal('ck.1')
    const last = rpc.calls.at(-1)?.request
    expect(last).to.deep.equal({ type: 'append', key: 'k', value: 'x', clientId: 'ck.1', seq: 1 })
    expect(
      rpc.calls.some((c) => c.request.type === 'open' && c.request.clientId === 'ck.1'),
    ).to.equal(true)
  })

  it('reports OutcomeUnknownError when an earlier attempt of the write may have run', async () => {
    let appends = 0
    const rpc = new FakeRpc(clock, (_to, req) => {
      if (req.type !== 'append') return OK
      return ++appends === 1 ? 'timeout' : { ok: false, error: 'SESSION_EXPIRED' }
    })
    const ck = make(rpc)
    const err = await clock.run(() =>
      ck.append('k', 'x').then(
        () => null,
        (e: unknown) => e,
      ),
    )
    expect(err).to.be.instanceOf(OutcomeUnknownError)
    expect(ck.clientId).to.equal('ck.1') // later operations use a new session
  })

  it('rejects with RequestConflictError, without retrying, when the server reports a conflict', async () => {
    const rpc = new FakeRpc(clock, (_to, req) =>
      req.type === 'put' ? { ok: false, error: 'CONFLICT', message: 'seq 1 reused' } : OK,
    )
    const ck = make(rpc)
    const err = await clock.run(() =>
      ck.put('k', 'v').then(
        () => null,
        (e: unknown) => e,
      ),
    )
    expect(err).to.be.instanceOf(RequestConflictError)
    expect((err as RequestConflictError).code).to.equal('KV_REQUEST_CONFLICT')
    expect(rpc.calls.filter((c) => c.request.type === 'put')).to.have.length(1)
  })

  it('does not retry a request the server refuses as bad', async () => {
    const rpc = new FakeRpc(clock, () => ({ ok: false, error: 'BAD_REQUEST', message: 'nope' }))
    const ck = make(rpc)
    const err = await clock.run(() =>
      ck.get('k').then(
        () => null,
        (e: unknown) => e,
      ),
    )
    expect(err).to.be.instanceOf(BadRequestError)
    expect(rpc.calls.length).to.equal(1)
  })

  it('close() stops an operation that is backing off, and refuses new ones', async () => {
    const rpc = new FakeRpc(clock, () => wrong(null))
    const ck = make(rpc, { backoff: { initialMs: 5000, maxMs: 5000 } })
    const err = await clock.run(async () => {
      const op = ck.get('k').then(
        () => null,
        (e: unknown) => e,
      )
      await clock.sleep(100) // one round failed; the clerk is pausing
      ck.close()
      return op
    })
    expect(err).to.be.instanceOf(StoppedError)
    const err2 = await ck.put('k', 'v').then(
      () => null,
      (e: unknown) => e,
    )
    expect(err2).to.be.instanceOf(StoppedError)
  })

  it('validates its options with KvConfigError', () => {
    const rpc = new FakeRpc(clock, () => OK)
    expect(() => new KvClient({ servers: [], rpc, clock })).to.throw(KvConfigError)
    expect(() => make(rpc, { requestTimeoutMs: 0 })).to.throw(KvConfigError)
    expect(() => make(rpc, { backoff: { initialMs: 10, maxMs: 5 } })).to.throw(KvConfigError)
  })
})
