import { expect } from 'chai'
import { SimulatedClock, SimulationStalledError, SystemClock } from '../src/clock.js'
import type { ClockSlot } from '../src/clock.js'

describe('SimulatedClock', () => {
  it('fires timers in (time, creation) order and moves time to each', async () => {
    const clock = new SimulatedClock(100)
    const fired: string[] = []
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20)
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10)
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20)
    clock.setTimeout(() => fired.push(`z@${clock.now()}`), -5) // negative delays mean 0
    await clock.advance(20)
    expect(fired).to.deep.equal(['z@100', 'a@110', 'b@120', 'c@120'])
    expect(clock.now()).to.equal(120)
    expect(clock.fired).to.equal(4)
  })

  it('advance stops at the horizon and leaves later timers pending', async () => {
    const clock = new SimulatedClock()
    let hit = false
    clock.setTimeout(() => (hit = true), 50)
    await clock.advance(49)
    expect(hit).to.equal(false)
    expect(clock.now()).to.equal(49)
    expect(clock.pending()).to.equal(1)
    await clock.advance(1)
    expect(hit).to.equal(true)
    expect(clock.pending()).to.equal(0)
  })

  it('clearTimeout cancels; clearing twice or undefined is harmless', async () => {
    const clock = new SimulatedClock()
    let hits = 0
    const h = clock.setTimeout(() => hits++, 5)
    clock.setTimeout(() => hits++, 6)
    clock.clearTimeout(h)
    clock.clearTimeout(h)
    clock.clearTimeout(undefined)
    expect(clock.pending()).to.equal(1)
    await clock.advance(10)
    expect(hits).to.equal(1)
  })

  it('clearTimeout ignores a fired timer and a handle of another clock', async () => {
    const clock = new SimulatedClock()
    const other = new SimulatedClock()
    let hits = 0
    const fired = clock.setTimeout(() => hits++, 1)
    await clock.advance(1)
    clock.clearTimeout(fired)
    const foreign = other.setTimeout(() => undefined, 5)
    clock.setTimeout(() => hits++, 5)
    clock.clearTimeout(foreign)
    clock.clearTimeout({ id: 2 })
    expect(clock.pending()).to.equal(1)
    expect(other.pending()).to.equal(1)
    await clock.advance(10)
    expect(hits).to.equal(2)
  })

  describe('slots (reserveSlot / setTimeoutInSlot)', () => {
    it('a timer put in a slot fires where a 0-ms timer made at reservation would have', async () => {
      // The same schedule twice: a plain 0-ms timer made by 'a', or a slot 'a' reserves and
      // 'd' (which fires before the slot's place) fills.
      const run = async (useSlot: boolean): Promise<string[]> => {
        const clock = new SimulatedClock()
        const order: string[] = []
        const s = (): number => order.push('s')
        let slot: ClockSlot | undefined
        clock.setTimeout(() => {
          order.push('a')
          if (useSlot) slot = clock.reserveSlot()
          else clock.setTimeout(s, 0)
          clock.setTimeout(() => order.push('c'), 0)
        }, 5)
        clock.setTimeout(() => {
          order.push('d')
          if (slot) clock.setTimeoutInSlot(slot, s)
        }, 5)
        await clock.advance(10)
        return order
      }
      expect(await run(false)).to.deep.equal(['a', 'd', 's', 'c'])
      expect(await run(true)).to.deep.equal(['a', 'd', 's', 'c'])
    })

    it('a slot whose place has passed (or whose instant has) becomes an ordinary 0-ms timer', async () => {
      const clock = new SimulatedClock()
      const order: string[] = []
      const slot = clock.reserveSlot()
      clock.setTimeout(() => order.push('a'), 0)
      clock.setTimeout(() => {
        clock.setTimeout(() => order.push('later'), 0)
        clock.setTimeoutInSlot(slot, () => order.push(`slot@${clock.now()}`))
      }, 0)
      await clock.advance(0)
      expect(order).to.deep.equal(['a', 'later', 'slot@0'])

      const old = clock.reserveSlot()
      await clock.advance(7)
      clock.setTimeoutInSlot(old, () => order.push(`old@${clock.now()}`))
      clock.setTimeout(() => order.push('after'), 0)
      await clock.advance(0)
      expect(order.slice(3)).to.deep.equal(['old@7', 'after'])
    })

    it('a timer in a slot can be cleared', async () => {
      const clock = new SimulatedClock()
      let hit = false
      const h = clock.setTimeoutInSlot(clock.reserveSlot(), () => (hit = true))
      expect(clock.pending()).to.equal(1)
      clock.clearTimeout(h)
      await clock.advance(1)
      expect(hit).to.equal(false)
    })
  })

  it('lets async work settle between timers (timers created by callbacks fire in the same advance)', async () => {
    const clock = new SimulatedClock()
    const seen: number[] = []
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10)
        await Promise.resolve()
        seen.push(clock.now())
      }
    }
    const done = loop()
    await clock.advance(30)
    await done
    expect(seen).to.deep.equal([10, 20, 30])
  })

  it('run() drives a scenario to completion in simulated time', async () => {
    const clock = new SimulatedClock()
    const result = await clock.run(async () => {
      await clock.sleep(1000)
      await clock.sleep(500)
      return clock.now()
    })
    expect(result).to.equal(1500)
  })

  it('run() rethrows the scenario error', async () => {
    const clock = new SimulatedClock()
    let caught: unknown
    try {
      await clock.run(async () => {
        await clock.sleep(1)
        throw new Error('scenario failed')
      })
    } catch (e) {
      caught = e
    }
    expect((caught as Error).message).to.equal('scenario failed')
  })

  it('run() fails with SimulationStalledError when nothing can make progress or past its limit', async () => {
    const clock = new SimulatedClock()
    let caught: unknown
    try {
      await clock.run(() => new Promise<void>(() => undefined))
    } catch (e) {
      caught = e
    }
    expect(caught).to.be.instanceOf(SimulationStalledError)
    caught = undefined
    try {
      await clock.run(() => clock.sleep(10_000), 1000)
    } catch (e) {
      caught = e
    }
    expect(caught).to.be.instanceOf(SimulationStalledError)
    expect((caught as Error).message).to.match(/limit of 1000 ms/)
  })

  describe('waitBeforeAdvancing', () => {
    /** Work outside the simulated clock: a real timer (like a file write in the thread pool). */
    function outsideWork(tracker: Set<Promise<void>>, ms: number): Promise<void> {
      const p = new Promise<void>((resolve) => setTimeout(resolve, ms))
      tracker.add(p)
      void p.then(() => tracker.delete(p))
      return p
    }
    const idle = (tracker: Set<Promise<void>>) => () =>
      tracker.size === 0 ? undefined : Promise.all(tracker).then(() => undefined)

    it('run() does not move time or report a stall while hooked outside work is pending', async () => {
      const clock = new SimulatedClock()
      const tracker = new Set<Promise<void>>()
      clock.waitBeforeAdvancing(idle(tracker))
      const seen: string[] = []
      clock.setTimeout(() => seen.push(`timer@${clock.now()}`), 1)
      const result = await clock.run(async () => {
        await outsideWork(tracker, 20)
        seen.push(`io1@${clock.now()}`)
        // outside work started by a continuation is waited for as well
        await outsideWork(tracker, 5)
        seen.push(`io2@${clock.now()}`)
        await clock.sleep(10)
        return clock.now()
      })
      expect(seen).to.deep.equal(['io1@0', 'io2@0', 'timer@1'])
      expect(result).to.equal(10)
    })

    it('advance() waits for hooked outside work before each timer; null removes the hook', async () => {
      const clock = new SimulatedClock()
      const tracker = new Set<Promise<void>>()
      clock.waitBeforeAdvancing(idle(tracker))
      let doneAt = -1
      clock.setTimeout(() => {
        void outsideWork(tracker, 10).then(() => (doneAt = clock.now()))
      }, 5)
      clock.setTimeout(() => undefined, 6)
      await clock.advance(10)
      expect(doneAt).to.equal(5)

      clock.waitBeforeAdvancing(null)
      await expectStall(clock.run(() => outsideWork(tracker, 10)))
    })

    async function expectStall(p: Promise<unknown>): Promise<void> {
      try {
        await p
      } catch (e) {
        expect(e).to.be.instanceOf(SimulationStalledError)
        return
      }
      expect.fail('expected SimulationStalledError')
    }
  })
})

describe('SystemClock', () => {
  it('fires timers, tracks pending ones and clears them', async () => {
    const clock = new SystemClock()
    const h = clock.setTimeout(() => expect.fail('cleared timer fired'), 5)
    expect(clock.pending()).to.equal(1)
    clock.clearTimeout(h)
    expect(clock.pending()).to.equal(0)
    const start = clock.now()
    await clock.sleep(5)
    expect(clock.now()).to.be.greaterThan(start)
    expect(clock.pending()).to.equal(0)
  })

  it('run(fn) runs fn in real time and settles as it does, so SimulatedClock code runs unchanged', async () => {
    const clock = new SystemClock()
    const value = await clock.run(async () => {
      await clock.sleep(1)
      return 42
    })
    expect(value).to.equal(42)
    let caught: unknown
    await clock.run(() => Promise.reject(new Error('boom'))).catch((e: unknown) => (caught = e))
    expect((caught as Error).message).to.equal('boom')
  })
})

describe('SystemClock 0-ms timers', () => {
  it('fire in creation order on the next turn, not synchronously', async () => {
    const clock = new SystemClock()
    const fired: string[] = []
    clock.setTimeout(() => fired.push('a'), 0)
    clock.setTimeout(() => fired.push('b'), -3) // a negative delay means 0
    clock.setTimeout(() => fired.push('c'), Number.NaN) // so does NaN
    expect(fired).to.deep.equal([])
    expect(clock.pending()).to.equal(3)
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(fired).to.deep.equal(['a', 'b', 'c'])
    expect(clock.pending()).to.equal(0)
  })

  it('can be cleared, also by an earlier 0-ms timer of the same turn', async () => {
    const clock = new SystemClock()
    const fired: string[] = []
    clock.setTimeout(() => fired.push('a'), 0)
    const b = clock.setTimeout(() => fired.push('b'), 0)
    clock.clearTimeout(b)
    expect(clock.pending()).to.equal(1)
    const later: { handle?: ReturnType<SystemClock['setTimeout']> } = {}
    clock.setTimeout(() => {
      fired.push('c')
      clock.clearTimeout(later.handle) // queued in the same turn, after this one
    }, 0)
    later.handle = clock.setTimeout(() => fired.push('d'), 0)
    expect(clock.pending()).to.equal(3)
    await clock.sleep(0)
    expect(fired).to.deep.equal(['a', 'c'])
    expect(clock.pending()).to.equal(0)
    clock.clearTimeout(later.handle) // clearing again is harmless
    expect(clock.pending()).to.equal(0)
  })

  it('queued from a 0-ms timer run on a later turn, so the event loop is not starved', async () => {
    const clock = new SystemClock()
    let hops = 0
    const hop = (): void => {
      hops++
      if (hops < 1000) clock.setTimeout(hop, 0)
    }
    clock.setTimeout(hop, 0)
    // A ping-pong of 0-ms timers lets other callbacks (and I/O) run between its hops: this
    // immediate, queued after the first hop's, runs before the second hop.
    const seen = await new Promise<number>((resolve) => setImmediate(() => resolve(hops)))
    expect(seen).to.equal(1)
    for (let i = 0; i < 100 && clock.pending() > 0; i++) await clock.sleep(5)
    expect(hops).to.equal(1000)
  })

  it('keep 0-ms and longer timers apart: clearing one never touches the other', async () => {
    const clock = new SystemClock()
    const fired: string[] = []
    const long = clock.setTimeout(() => fired.push('long'), 2)
    clock.setTimeout(() => fired.push('zero'), 0)
    expect(clock.pending()).to.equal(2)
    clock.clearTimeout(long)
    expect(clock.pending()).to.equal(1)
    await clock.sleep(5)
    expect(fired).to.deep.equal(['zero'])
    expect(clock.pending()).to.equal(0)
  })
})
