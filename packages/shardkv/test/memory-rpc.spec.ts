/** MemoryShardRpc: labrpc's call semantics (copies, fast failure, dead servers, loss rates). */
import { expect } from 'chai'
import { SimulatedClock } from '@raftkit/raft-core'
import { MemoryShardRpc, RpcLostError } from '../src/index.js'

describe('MemoryShardRpc', () => {
  it('copies requests and replies: the handler never sees the caller object', async () => {
    const clock = new SimulatedClock()
    await clock.run(async () => {
      const rpc = new MemoryShardRpc({ clock, seed: 1 })
      const req = { a: [1, 2] }
      rpc.register('s', async (r) => {
        expect(r).to.deep.equal({ a: [1, 2] })
        expect(r).to.not.equal(req)
        ;(r as { a: number[] }).a.push(3)
        return r
      })
      const reply = await rpc.call('c', 's', req, 1000)
      expect(reply).to.deep.equal({ a: [1, 2, 3] })
      expect(req.a).to.deep.equal([1, 2])
    })
  })

  it('a call to an unknown server fails within 100 ms, not after its timeout', async () => {
    const clock = new SimulatedClock()
    await clock.run(async () => {
      const rpc = new MemoryShardRpc({ clock, seed: 1 })
      const t0 = clock.now()
      const err = await rpc.call('c', 'nobody', {}, 10_000).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(RpcLostError)
      expect(clock.now() - t0).to.be.below(100)
    })
  })

  it('a server removed while its handler runs fails the call within 100 ms and its reply is dropped', async () => {
    const clock = new SimulatedClock()
    await clock.run(async () => {
      const rpc = new MemoryShardRpc({ clock, seed: 1 })
      let ran = false
      rpc.register('s', async () => {
        await clock.sleep(5000)
        ran = true
        return 'late'
      })
      const call = rpc.call('c', 's', {}, 10_000).catch((e: unknown) => e)
      await clock.sleep(10)
      const t0 = clock.now()
      rpc.unregister('s')
      const err = await call
      expect(err).to.be.instanceOf(RpcLostError)
      expect(clock.now() - t0).to.be.at.most(100)
      await clock.sleep(6000)
      expect(ran).to.equal(true) // the handler may still have run: hence at-most-once sessions
    })
  })

  it('unreliable: about 19 % of calls get no reply, each failing fast', async () => {
    const clock = new SimulatedClock()
    await clock.run(async () => {
      const rpc = new MemoryShardRpc({ clock, seed: 3 })
      rpc.setReliable(false)
      let handled = 0
      rpc.register('s', async () => {
        handled++
        return 'ok'
      })
      let lost = 0
      const n = 2000
      for (let i = 0; i < n; i++) {
        const t0 = clock.now()
        await rpc.call('c', 's', i, 10_000).catch(() => {
          lost++
          expect(clock.now() - t0).to.be.below(100)
        })
      }
      expect(lost / n).to.be.within(0.15, 0.23)
      expect(handled).to.be.above(n - lost) // some replies were lost after the handler ran
    })
  })
})
