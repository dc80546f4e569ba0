import { expect } from 'chai'
import {
  ConfigError,
  LONG_REORDER_MIN_MS,
  LONG_REORDER_PROBABILITY,
  LONG_REORDER_SPREAD_MS,
  REPLY_DROP_PROBABILITY,
  REQUEST_DROP_PROBABILITY,
  Reachability,
  UNRELIABLE_DELAY_MS,
  createRng,
  planDelivery,
} from '../src/index.js'
import type { FaultModes, Rng } from '../src/index.js'

const RELIABLE: FaultModes = { reliable: true, longReordering: false }
const UNRELIABLE: FaultModes = { reliable: false, longReordering: false }
const REORDER: FaultModes = { reliable: true, longReordering: true }
const BOTH: FaultModes = { reliable: false, longReordering: true }

/** An Rng that hands out scripted values and records every draw, to pin the draw order. */
class ScriptedRng implements Rng {
  readonly draws: string[] = []
  constructor(
    private readonly ints: number[] = [],
    private readonly floats: number[] = [],
  ) {}
  next(): number {
    this.draws.push('next')
    const v = this.floats.shift()
    if (v === undefined) throw new Error('unscripted next()')
    return v
  }
  int(maxExclusive: number): number {
    this.draws.push(`int(${maxExclusive})`)
    const v = this.ints.shift()
    if (v === undefined) throw new Error(`unscripted int(${maxExclusive})`)
    expect(v).to.be.below(maxExclusive)
    return v
  }
  fork(): Rng {
    throw new Error('planDelivery must not fork')
  }
}

describe('fault model: planDelivery', () => {
  it('has the labrpc numbers', () => {
    expect(REQUEST_DROP_PROBABILITY).to.equal(0.1)
    expect(REPLY_DROP_PROBABILITY).to.equal(0.1)
    expect(UNRELIABLE_DELAY_MS).to.equal(27)
    expect(LONG_REORDER_PROBABILITY).to.equal(2 / 3)
    expect(LONG_REORDER_MIN_MS).to.equal(200)
    expect(LONG_REORDER_SPREAD_MS).to.equal(2000)
  })

  it('a reliable network without long reordering delivers at once and draws nothing', () => {
    const rng = new ScriptedRng()
    expect(planDelivery(rng, RELIABLE, true)).to.deep.equal({ drop: false, delayMs: 0 })
    expect(planDelivery(rng, RELIABLE, false)).to.deep.equal({ drop: false, delayMs: 0 })
    expect(rng.draws).to.deep.equal([])
  })

  it('unreliable: draws the delay, then the drop; drops below 10 %, delays 0–26 ms', () => {
    const kept = new ScriptedRng([26], [REQUEST_DROP_PROBABILITY])
    expect(planDelivery(kept, UNRELIABLE, true)).to.deep.equal({ drop: false, delayMs: 26 })
    expect(kept.draws).to.deep.equal(['int(27)', 'next'])

    const dropped = new ScriptedRng([5], [0.0999])
    expect(planDelivery(dropped, UNRELIABLE, true)).to.deep.equal({ drop: true })
    expect(dropped.draws).to.deep.equal(['int(27)', 'next'])

    const reply = new ScriptedRng([0], [0.05])
    expect(planDelivery(reply, UNRELIABLE, false)).to.deep.equal({ drop: true })
  })

  it('long reordering holds back replies 200 + int(1 + int(2000)) ms and never touches requests', () => {
    const request = new ScriptedRng()
    expect(planDelivery(request, REORDER, true)).to.deep.equal({ drop: false, delayMs: 0 })
    expect(request.draws).to.deep.equal([])

    const held = new ScriptedRng([1500, 1234], [0.5])
    expect(planDelivery(held, REORDER, false)).to.deep.equal({ drop: false, delayMs: 1434 })
    expect(held.draws).to.deep.equal(['next', 'int(2000)', 'int(1501)'])

    const notHeld = new ScriptedRng([], [LONG_REORDER_PROBABILITY])
    expect(planDelivery(notHeld, REORDER, false)).to.deep.equal({ drop: false, delayMs: 0 })
    expect(notHeld.draws).to.deep.equal(['next'])
  })

  it('unreliable + long reordering: delays add up; a dropped reply draws no reordering', () => {
    const kept = new ScriptedRng([7, 1999, 1999], [0.5, 0])
    expect(planDelivery(kept, BOTH, false)).to.deep.equal({ drop: false, delayMs: 7 + 200 + 1999 })
    expect(kept.draws).to.deep.equal(['int(27)', 'next', 'next', 'int(2000)', 'int(2000)'])

    const dropped = new ScriptedRng([3], [0.01])
    expect(planDelivery(dropped, BOTH, false)).to.deep.equal({ drop: true })
    expect(dropped.draws).to.deep.equal(['int(27)', 'next'])
  })

  it('replays a seed exactly (the conformance trace hashes depend on this sequence)', () => {
    // Recorded from the implementation that lived in transport-memory before the move; the
    // final draw checks that exactly as many numbers were consumed.
    const rng = createRng(2024)
    const plans: string[] = []
    for (let i = 0; i < 16; i++) {
      const p = planDelivery(rng, BOTH, i % 2 === 0)
      plans.push(p.drop ? 'drop' : String(p.delayMs))
    }
    expect(plans).to.deep.equal([
      'drop',
      '2',
      '22',
      '710',
      '6',
      '281',
      '14',
      '725',
      'drop',
      '11',
      '4',
      '20',
      '6',
      '225',
      '5',
      '21',
    ])
    expect(rng.int(1000000)).to.equal(332150)
  })

  it('over many seeded draws: ~10 % drops, delays in range, ~2/3 of replies held back', () => {
    const rng = createRng(7)
    const n = 20000
    let requestDrops = 0
    let replyDrops = 0
    let held = 0
    const unreliableDelays = new Set<number>()
    for (let i = 0; i < n; i++) {
      const req = planDelivery(rng, UNRELIABLE, true)
      if (req.drop) requestDrops++
      else unreliableDelays.add(req.delayMs)
      const rep = planDelivery(rng, UNRELIABLE, false)
      if (rep.drop) replyDrops++
      const slow = planDelivery(rng, REORDER, false)
      expect(slow.drop).to.equal(false)
      if (!slow.drop && slow.delayMs > 0) {
        held++
        expect(slow.delayMs).to.be.within(200, 2199)
      }
    }
    expect(requestDrops / n).to.be.within(0.09, 0.11)
    expect(replyDrops / n).to.be.within(0.09, 0.11)
    expect(held / n).to.be.within(0.64, 0.69)
    expect([...unreliableDelays].sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: 27 }, (_, i) => i),
    )
  })
})

describe('fault model: Reachability', () => {
  it('everyone reaches everyone by default', () => {
    const r = new Reachability()
    expect(r.canReach('a', 'b')).to.equal(true)
    expect(r.canReach('a', 'a')).to.equal(true)
    expect(r.isConnected('a')).to.equal(true)
  })

  it('disconnect cuts a node off both ways, even from itself, until connect', () => {
    const r = new Reachability()
    r.disconnect('a')
    expect(r.isConnected('a')).to.equal(false)
    expect(r.canReach('a', 'b')).to.equal(false)
    expect(r.canReach('b', 'a')).to.equal(false)
    expect(r.canReach('a', 'a')).to.equal(false)
    expect(r.canReach('b', 'c')).to.equal(true)
    r.connect('a')
    expect(r.canReach('a', 'b')).to.equal(true)
  })

  it('partition: same group talks, unlisted nodes are isolated, a new partition replaces the old', () => {
    const r = new Reachability()
    r.partition([['a', 'b'], ['c']])
    expect(r.canReach('a', 'b')).to.equal(true)
    expect(r.canReach('c', 'c')).to.equal(true)
    expect(r.canReach('a', 'c')).to.equal(false)
    expect(r.canReach('d', 'd')).to.equal(false)
    expect(r.canReach('a', 'd')).to.equal(false)
    r.partition([['a', 'c']])
    expect(r.canReach('a', 'c')).to.equal(true)
    expect(r.canReach('a', 'b')).to.equal(false)
  })

  it('a disconnected node stays cut off inside its group; heal clears partitions and disconnections', () => {
    const r = new Reachability()
    r.partition([['a', 'b']])
    r.disconnect('b')
    expect(r.canReach('a', 'b')).to.equal(false)
    r.heal()
    expect(r.isConnected('b')).to.equal(true)
    expect(r.canReach('a', 'b')).to.equal(true)
    expect(r.canReach('a', 'z')).to.equal(true)
  })

  it('refuses bad input with a ConfigError and changes nothing', () => {
    const r = new Reachability()
    r.partition([['a', 'b'], ['c']])
    r.disconnect('c')
    expect(() => r.partition([['a'], ['b', 'a']])).to.throw(ConfigError, /groups 0 and 1/)
    expect(() => r.partition([['a'], [''] as string[]])).to.throw(ConfigError, /non-empty/)
    expect(() => r.partition('ab' as unknown as string[][])).to.throw(ConfigError)
    expect(() => r.partition([['a'], 'b' as unknown as string[]])).to.throw(ConfigError)
    expect(() => r.disconnect('')).to.throw(ConfigError)
    expect(() => r.connect(7 as unknown as string)).to.throw(ConfigError)
    // The earlier state is intact.
    expect(r.canReach('a', 'b')).to.equal(true)
    expect(r.canReach('a', 'c')).to.equal(false)
    expect(r.isConnected('c')).to.equal(false)
    // Listing a node twice in the same group is harmless.
    r.partition([['a', 'a', 'b']])
    expect(r.canReach('a', 'b')).to.equal(true)
  })
})
