/**
 * The Figure 16 simulation (report/sim/election-sim.ts): replays from its seed, and obeys the
 * bounds that Raft's timers put on the time without a leader.
 */
import { expect } from 'chai'
import { simulateLeaderElections, type ElectionSimOptions } from '../../report/sim/election-sim.js'

const base: ElectionSimOptions = {
  servers: 5,
  electionMinMs: 150,
  electionMaxMs: 300,
  tickMs: 1,
  delayMinMs: 0.1,
  delayMaxMs: 0.5,
  diskMinMs: 2,
  diskMaxMs: 12,
  preVote: true,
  checkQuorum: true,
  trials: 30,
  seed: 7,
  maxTrialMs: 10_000,
}

describe('Figure 16 simulation', function () {
  this.timeout(60_000)

  it('replays exactly from its seed', () => {
    const a = simulateLeaderElections(base)
    const b = simulateLeaderElections(base)
    expect(a.downtimeMs).to.deep.equal(b.downtimeMs)
    expect(a.events).to.equal(b.events)
  })

  it('no server becomes leader before a follower could time out: downtime >= min timeout - heartbeat', () => {
    for (const preVote of [false, true]) {
      const r = simulateLeaderElections({ ...base, preVote })
      const heartbeat = base.electionMinMs / 3
      for (const d of r.downtimeMs)
        expect(d).to.be.at.least(base.electionMinMs - heartbeat - base.tickMs)
      expect(r.censored).to.equal(0)
    }
  })

  it('with a wide range most elections need one term, and every trial ends within a few timeouts', () => {
    const r = simulateLeaderElections({ ...base, trials: 50 })
    expect(r.termsUsed.filter((t) => t === 1).length).to.be.greaterThan(40)
    for (const d of r.downtimeMs) expect(d).to.be.below(10 * base.electionMaxMs)
  })

  it('a trial without a leader within maxTrialMs is censored, not waited for', () => {
    // A limit below the minimum election timeout: no trial can elect a leader in time.
    const r = simulateLeaderElections({ ...base, trials: 3, maxTrialMs: 50 })
    expect(r.censored).to.equal(3)
    expect(r.downtimeMs.every((d) => d === Infinity)).to.equal(true)
  })
})
