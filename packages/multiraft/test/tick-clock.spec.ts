/** TickClock: deadlines rounded up to the quantum, never early; one base timer per bucket. */
import { expect } from 'chai'
import { SimulatedClock } from '@raftkit/raft-core'
import { TickClock } from '../src/index.js'

describe('TickClock', () => {
  it('never fires early, fires at most one quantum late, and shares one base timer per bucket', async () => {
    const base = new SimulatedClock()
    await base.run(async () => {
      const tc = new TickClock(base, 10)
      await base.sleep(3)
      const fired: Array<[string, number]> = []
      tc.setTimeout(() => fired.push(['a', base.now()]), 10)
      tc.setTimeout(() => fired.push(['b', base.now()]), 12)
      tc.setTimeout(() => fired.push(['c', base.now()]), 17)
      const cleared = tc.setTimeout(() => fired.push(['x', base.now()]), 15)
      tc.clearTimeout(cleared)
      tc.setTimeout(() => fired.push(['z', base.now()]), 0)
      await base.sleep(50)
      expect(fired).to.deep.equal([
        ['z', 3],
        ['a', 20],
        ['b', 20],
        ['c', 20],
      ])
      expect(tc.stats().bucketTimers).to.equal(1)
      expect(tc.pending()).to.equal(0)
    })
  })

  it('a callback that clears a later timer of the same bucket stops it', async () => {
    const base = new SimulatedClock()
    await base.run(async () => {
      const tc = new TickClock(base, 10)
      const fired: string[] = []
      const later = { h: undefined as ReturnType<TickClock['setTimeout']> | undefined }
      tc.setTimeout(() => {
        fired.push('first')
        tc.clearTimeout(later.h)
      }, 10)
      later.h = tc.setTimeout(() => fired.push('second'), 10)
      await base.sleep(30)
      expect(fired).to.deep.equal(['first'])
    })
  })

  it("passes slots through to the base clock: a timer put in a slot fires in the slot's place", async () => {
    const base = new SimulatedClock()
    const tc = new TickClock(base, 10)
    const order: string[] = []
    let slot: ReturnType<TickClock['reserveSlot']>
    tc.setTimeout(() => {
      order.push('a')
      slot = tc.reserveSlot()
      tc.setTimeout(() => order.push('c'), 0)
    }, 0)
    tc.setTimeout(() => {
      order.push('d')
      if (slot) tc.setTimeoutInSlot(slot, () => order.push('s'))
    }, 0)
    await base.advance(0)
    // 's' fires before 'c', which was placed after the slot was reserved.
    expect(order).to.deep.equal(['a', 'd', 's', 'c'])
    expect(tc.pending()).to.equal(0)
    const h = tc.setTimeoutInSlot(tc.reserveSlot()!, () => order.push('cleared'))
    tc.clearTimeout(h)
    await base.advance(1)
    expect(order).to.have.length(4)
  })
})
