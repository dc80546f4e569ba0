/**
 * The runtime's idle ticks: a tick that leaves the core nothing to hand out (no election or
 * heartbeat due, no change or transfer waiting) fires no pump timer. Under a clock with slots
 * (SimulatedClock) the tick reserves the pump timer's place instead, so a pump asked for later
 * in the same instant fires exactly where it used to and seeded runs replay unchanged (the
 * conformance trace-hash tests pin that, and so do the last two tests here against the same run on
 * a clock without slots, one of them with writes that take long enough for ticks to fire while
 * a pump waits); a clock without slots still gets a timer per tick.
 */
import { expect } from 'chai'
import { SimulatedClock } from '../src/clock.js'
import type { Clock, TimerHandle } from '../src/clock.js'
import type { Message } from '../src/messages.js'
import type { Transport } from '../src/transport.js'
import { MemoryStorage } from '../src/memory-storage.js'
import type { StorageBatch } from '../src/storage.js'
import { Raft } from '../src/runtime.js'
import { createRng } from '../src/rng.js'
import { silentLogger, type Logger } from '../src/logger.js'
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

/**
 * A network whose messages take 1 to 12 ms (whole, seeded): deliveries often land in the same
 * instant as a node's tick, which is where a reserved slot decides the order.
 */
function laggyNetwork(clock: Clock, seed: number): (id: string) => Transport {
  const rng = createRng(seed)
  const handlers = new Map<string, (m: Message) => void>()
  return (id) => ({
    id,
    send: (m) => {
      clock.setTimeout(() => handlers.get(m.to)?.(m), 1 + rng.int(12))
    },
    listen: (h) => void handlers.set(id, h),
    close: async () => void handlers.delete(id),
  })
}

/** MemoryStorage whose writes take `ms` of simulated time. */
class SlowStorage extends MemoryStorage {
  constructor(
    private readonly clock: SimulatedClock,
    private readonly ms: number,
  ) {
    super()
  }
  override async write(batch: StorageBatch): Promise<void> {
    await this.clock.sleep(this.ms)
    return super.write(batch)
  }
}

/**
 * Role changes and applied entries (with their simulated times) of a seeded 3-node run; with
 * `diskMs`, every write takes that long, so ticks also fire while a pump waits for its write.
 */
async function traceOf(slots: boolean, seed: number, diskMs = 0): Promise<string[]> {
  const sim = new SimulatedClock()
  const clock = slots ? sim : new PlainClock(sim)
  const endpoint = laggyNetwork(sim, seed)
  const trace: string[] = []
  const nodes: Raft[] = []
  for (const id of ['a', 'b', 'c']) {
    const logger: Logger = {
      ...silentLogger,
      info: (msg, fields) => {
        if (msg === 'role changed') trace.push(`${sim.now()} ${id} ${String(fields?.['role'])}`)
      },
    }
    const raft = await Raft.create({
      id,
      peers: ['a', 'b', 'c'],
      transport: endpoint(id),
      storage: diskMs > 0 ? new SlowStorage(sim, diskMs) : new MemoryStorage(),
      clock,
      rng: createRng(seed * 10 + nodes.length),
      logger,
    })
    raft.onApply((m) => {
      trace.push(`${sim.now()} ${id} apply ${m.index}`)
    })
    nodes.push(raft)
  }
  for (let step = 0; step < 40; step++) {
    await sim.advance(37)
    for (const raft of nodes) raft.start(new TextEncoder().encode(`${step}`))
  }
  for (const raft of nodes) await raft.kill()
  return trace
}

describe('runtime: idle ticks', () => {
  it('fire no pump timer on a clock with slots (25 ticks and the start-up pump)', async () => {
    expect(await firedWhileIdle(true)).to.equal(26)
  })

  it('fire a pump timer each on a clock without slots', async () => {
    expect(await firedWhileIdle(false)).to.equal(51)
  })

  it('replay a seeded cluster exactly as a clock without slots does (where a later pump fires)', async () => {
    for (const seed of [1, 2, 3]) {
      const withSlots = await traceOf(true, seed)
      expect(withSlots.some((line) => line.endsWith('apply 10'))).to.equal(true)
      expect(withSlots).to.deep.equal(await traceOf(false, seed))
    }
  })

  it('replay it exactly also when a tick fires while the pump waits for its write: no place is taken for a pump that is running', async () => {
    // 7 ms writes, seed 14: a tick and the end of a write fall in the same instant, the tick
    // first, and a pump is asked for later in that instant. A slot taken by that tick (the
    // pump was running) would run that pump in the tick's place, ahead of timers set since; a
    // clock without slots runs it after them. (Seeds 1-60 at 5, 7 and 9 ms: only this one reaches it.)
    const withSlots = await traceOf(true, 14, 7)
    expect(withSlots.some((line) => line.endsWith('apply 10'))).to.equal(true)
    expect(withSlots).to.deep.equal(await traceOf(false, 14, 7))
  })
})
