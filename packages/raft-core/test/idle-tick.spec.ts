/**
 * The runtime's idle ticks: a tick that leaves the core nothing to hand out (no election or
 * heartbeat due, no change or transfer waiting) fires no pump timer. Under a clock with slots
 * (SimulatedClock) the tick reserves the pump timer's place instead, so a pump asked for later
 * in the same instant fires exactly where it used to and seeded runs replay unchanged (the
 * conformance trace-hash tests pin that); a clock without slots still gets a timer per tick.
 */
import { expect } from 'chai'
import { SimulatedClock } from '../src/clock.js'
import type { Clock, TimerHandle } from '../src/clock.js'
import { MemoryStorage } from '../src/memory-storage.js'
import { Raft } from '../src/runtime.js'
import { createRng } from '../src/rng.js'
import { silentLogger } from '../src/logger.js'
import { SimNetwork } from './helpers/sim-transport.js'

/** The SimulatedClock seen through the plain Clock interface (no slots). */
class PlainClock implements Clock {
  constructor(private readonly inner: SimulatedClock) {}
  now(): number {
    return this.inner.now()
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.inner.setTimeout(fn, ms)
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    this.inner.clearTimeout(handle)
  }
  sleep(ms: number): Promise<void> {
    return this.inner.sleep(ms)
  }
}

/** Timers fired while one follower of a 3-node cluster (the others down) waits 250 ms. */
async function firedWhileIdle(slots: boolean): Promise<number> {
  const sim = new SimulatedClock()
  const clock = slots ? sim : new PlainClock(sim)
  const net = new SimNetwork(sim, 1)
  const raft = await Raft.create({
    id: 'a',
    peers: ['a', 'b', 'c'],
    transport: net.endpoint('a'),
    storage: new MemoryStorage(),
    clock,
    rng: createRng(1),
    logger: silentLogger,
  })
  // 250 ms is below the minimum election timeout (300 ms): 25 ticks and nothing else to do.
  await sim.advance(250)
  expect(raft.getState()).to.deep.equal({ term: 0, isLeader: false })
  await raft.kill()
  return sim.fired
}

describe('runtime: idle ticks', () => {
  it('fire no pump timer on a clock with slots (25 ticks and the start-up pump)', async () => {
    expect(await firedWhileIdle(true)).to.equal(26)
  })

  it('fire a pump timer each on a clock without slots', async () => {
    expect(await firedWhileIdle(false)).to.equal(51)
  })
})
