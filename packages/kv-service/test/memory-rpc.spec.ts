import { expect } from 'chai'
import { SimulatedClock, StoppedError, TimeoutError } from '@raftkit/raft-core'
import type { KvReply, KvRequest } from '../src/index.js'
import { MemoryKvRpc } from '../src/index.js'

const ok = (value: string): KvReply => ({ ok: true, value })
const get = (key: string): KvRequest => ({ type: 'get', key })

async function outcome(p: Promise<KvReply>): Promise<KvReply | Error> {
  return p.catch((e: unknown) => e as Error)
}

describe('MemoryKvRpc', () => {
  let clock: SimulatedClock
  let rpc: MemoryKvRpc

  beforeEach(() => {
    clock = new SimulatedClock()
    rpc = new MemoryKvRpc({ seed: 7, clock })
  })

  afterEach(async () => {
    await rpc.close()
    expect(clock.pending(), 'timers left behind').to.equal(0)
  })

  it('delivers a copy of the request and of the reply, and counts them', async () => {
    let seen: KvRequest | undefined
    const reply = { ok: true as const, value: 'v' }
    rpc.register('s0', async (req) => {
      seen = req
      return reply
    })
    const request = get('k')
    const got = await clock.run(() => rpc.call('c', 's0', request, 1000))
    expect(got).to.deep.equal(reply)
    expect(got).to.not.equal(reply)
    expect(seen).to.deep.equal(request)
    expect(seen).to.not.equal(request)
    expect(rpc.stats().rpcs).to.equal(1)
    expect(rpc.stats().delivered).to.deep.equal({ s0: 1 })
    expect(rpc.stats().bytes).to.be.greaterThan(0)
  })

  it('fails a call to a disconnected or unknown server within 100 ms, without running the handler', async () => {
    let runs = 0
    rpc.register('s0', async () => {
      runs++
      return ok('')
    })
    rpc.disconnect('s0')
    await clock.run(async () => {
      for (const to of ['s0', 'nobody']) {
        const t0 = clock.now()
        const r = await outcome(rpc.call('c', to, get('k'), 5000))
        expect(r).to.be.instanceOf(TimeoutError)
        expect(clock.now() - t0).to.be.below(100)
      }
    })
    expect(runs).to.equal(0)
    rpc.connect('s0')
    expect(await clock.run(() => rpc.call('c', 's0', get('k'), 1000))).to.deep.equal(ok(''))
  })

  it('drops the reply of a handler whose server is killed while it runs (the caller times out soon)', async () => {
    let release: (() => void) | undefined
    let ran = false
    rpc.register(
      's0',
      () =>
        new Promise<KvReply>((resolve) => {
          ran = true
          release = () => resolve(ok('late'))
        }),
    )
    const r = await clock.run(async () => {
      const call = outcome(rpc.call('c', 's0', get('k'), 10_000))
      await clock.sleep(1000)
      expect(ran).to.equal(true)
      const killedAt = clock.now()
      rpc.unregister('s0')
      release?.()
      const result = await call
      expect(clock.now() - killedAt).to.be.below(100)
      return result
    })
    expect(r).to.be.instanceOf(TimeoutError)
  })

  it('respects partitions (the shared Reachability rule) and per-clerk links', async () => {
    for (const s of ['s0', 's1']) rpc.register(s, async () => ok(s))
    rpc.setLinks('ck-b', ['s1'])
    await clock.run(async () => {
      expect(await outcome(rpc.call('ck-b', 's1', get('k'), 500))).to.deep.equal(ok('s1'))
      expect(await outcome(rpc.call('ck-b', 's0', get('k'), 500))).to.be.instanceOf(TimeoutError)
      rpc.partition([['s0', 'ck-a'], ['s1']])
      expect(await outcome(rpc.call('ck-a', 's0', get('k'), 500))).to.deep.equal(ok('s0'))
      expect(await outcome(rpc.call('ck-a', 's1', get('k'), 500))).to.be.instanceOf(TimeoutError)
      // An endpoint in no group is isolated while the partition is in force (as on the Raft
      // networks: raft-core's Reachability).
      expect(await outcome(rpc.call('ck-b', 's1', get('k'), 500))).to.be.instanceOf(TimeoutError)
      rpc.heal()
      rpc.setLinks('ck-b', null)
      expect(await outcome(rpc.call('ck-a', 's1', get('k'), 500))).to.deep.equal(ok('s1'))
      expect(await outcome(rpc.call('ck-b', 's0', get('k'), 500))).to.deep.equal(ok('s0'))
    })
  })

  it('loses requests and replies when unreliable (lost ones wait for the timeout), reproducibly from the seed', async () => {
    async function trial(seed: number): Promise<{ pattern: string; handled: number }> {
      const c = new SimulatedClock()
      const net = new MemoryKvRpc({ seed, clock: c })
      let handled = 0
      net.register('s0', async () => {
        handled++
        return ok('')
      })
      net.setReliable(false)
      let pattern = ''
      await c.run(async () => {
        for (let i = 0; i < 300; i++) {
          const t0 = c.now()
          const r = await outcome(net.call('c', 's0', get('k'), 400))
          if (r instanceof TimeoutError) {
            expect(c.now() - t0).to.equal(400) // a lost message never fails fast
            pattern += 'x'
          } else {
            expect(c.now() - t0).to.be.below(2 * 27) // request and reply each delayed 0-26 ms
            pattern += '.'
          }
        }
      })
      await net.close()
      expect(c.pending()).to.equal(0)
      return { pattern, handled }
    }
    const a = await trial(3)
    const lost = [...a.pattern].filter((ch) => ch === 'x').length
    expect(lost).to.be.within(20, 100) // about 19 % of 300
    expect(a.handled).to.be.greaterThan(300 - lost) // some replies were lost after the handler ran
    expect(a.handled).to.be.lessThan(300) // and some requests never reached it
    expect((await trial(3)).pattern).to.equal(a.pattern)
    expect((await trial(4)).pattern).to.not.equal(a.pattern)
  })

  it('close() fails calls in flight with StoppedError and refuses new ones', async () => {
    rpc.register('s0', () => new Promise<KvReply>(() => undefined))
    const pending = outcome(rpc.call('c', 's0', get('k'), 10_000))
    await clock.advance(10)
    await rpc.close()
    expect(await pending).to.be.instanceOf(StoppedError)
    expect(await outcome(rpc.call('c', 's0', get('k'), 100))).to.be.instanceOf(StoppedError)
  })
})
