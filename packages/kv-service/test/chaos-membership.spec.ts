/**
 * The chaos monkey's membership faults (`--transfer-rate`, `--member-rate`): weight 0 by
 * default, and then a schedule draws exactly what it drew before they existed (a seed keeps
 * replaying the same faults); with weight, they are drawn like the other kinds.
 */
import { expect } from 'chai'
import { createRng } from '@raftkit/raft-core'
import { faultSchedule, parseChaosArgs } from '../src/chaos/index.js'
import type { FaultStep } from '../src/chaos/index.js'

const base = { leaderBias: 0.5, faultMs: [1000, 4000], gapMs: [500, 2000] } as const

function take(rates: Parameters<typeof faultSchedule>[2]['rates'], n = 200): FaultStep[] {
  const steps = faultSchedule(createRng(42), 3, { ...base, rates })
  return Array.from({ length: n }, () => steps.next().value as FaultStep)
}

/** The draw as it was before transfer/member existed (kill, partition, pause). */
function oldKind(r: number, rates: { kill: number; partition: number; pause: number }): string {
  return r < rates.kill ? 'kill' : r < rates.kill + rates.partition ? 'partition' : 'pause'
}

describe('chaos: membership faults in the schedule', () => {
  it('with transfer and member at 0 every step is what the old three-kind draw gave', () => {
    for (const rates of [
      { kill: 1, partition: 1, pause: 1 },
      { kill: 0, partition: 2, pause: 1 },
      { kill: 3, partition: 0, pause: 0 },
    ]) {
      const rng = createRng(42)
      const total = rates.kill + rates.partition + rates.pause
      const steps = take({ ...rates, transfer: 0, member: 0 })
      for (const step of steps) {
        const r = rng.next() * total
        expect(step.kind).to.equal(oldKind(r, rates))
        // the rest of the step's draws, as faultSchedule makes them
        for (let i = 0; i < 3 + 3 + 2; i++) rng.next()
      }
      expect(take(rates).map((s) => s.kind)).to.deep.equal(steps.map((s) => s.kind))
    }
  })

  it('only the kinds with a weight are drawn, each of them', () => {
    const kinds = new Set(
      take({ kill: 0, partition: 0, pause: 0, transfer: 1, member: 2 }).map((s) => s.kind),
    )
    expect([...kinds].sort()).to.deep.equal(['member', 'transfer'])
  })

  it('--transfer-rate and --member-rate are parsed, default 0', () => {
    const d = parseChaosArgs([], () => 1)
    expect(!d.help ? [d.options.rates.transfer, d.options.rates.member] : []).to.deep.equal([0, 0])
    const o = parseChaosArgs(['--transfer-rate', '2', '--member-rate', '0.5'], () => 1)
    expect(!o.help ? [o.options.rates.transfer, o.options.rates.member] : []).to.deep.equal([
      2, 0.5,
    ])
  })
})
