// The key/value scenarios with random membership changes (issue 13): joining servers, the
// names the issue's --grep selects, a churn run that makes every kind of change and replays
// exactly from its seed, and the transfer scenario's line naming the clock its times are in.
import { expect } from 'chai'
import { SimulatedClock } from '@raftkit/raft-core'
import { TraceHasher, selectScenarios } from '../../src/raft/index.js'
import {
  CHURN_KINDS,
  KvCluster,
  TestLeadershipTransferUnderLoadNoUnavailable3A,
  TestMembershipChurnUnreliable3A,
  runKvScenario,
  scenariosKvMembership,
  selectKvScenarios,
} from '../../src/kv/index.js'
import { awaitLeader, createNetwork, withSimCluster } from './sim-cluster.js'

const ISSUE_GREP = 'Membership|Learner|LeadershipTransfer'

describe('kv membership scenarios', () => {
  it("are all selected by the issue's --grep, with the Raft-level membership scenarios", () => {
    const kv = selectKvScenarios(ISSUE_GREP).map((s) => s.name)
    expect(kv).to.deep.equal(scenariosKvMembership.map((s) => s.name))
    expect(kv).to.have.length(6)
    expect(selectScenarios(ISSUE_GREP).map((s) => s.part)).to.include('M')
    // The churn scenarios run on a lossy network (the transfer-under-load one on a reliable one).
    for (const s of scenariosKvMembership.filter((x) => x.name.includes('Churn'))) {
      expect(s.initialVoters).to.be.lessThanOrEqual(s.servers)
      expect(s.unreliable).to.equal(true)
    }
  })

  it('starts the servers past initialVoters as joining nodes that a leader can add', async () => {
    await withSimCluster({ servers: 4, initialVoters: 3, maxRaftState: -1, seed: 5 }, async (c) => {
      const leader = await awaitLeader(c)
      expect(leader).to.not.equal(3) // a joining node never campaigns
      expect(c.raft(leader).membership().current.voters).to.deep.equal(['0', '1', '2'])
      expect(c.raft(3).membership().current.voters).to.deep.equal([])
      await c.raft(leader).addLearner('3')
      for (let i = 0; i < 20 && c.raft(3).membership().current.learners.length === 0; i++)
        await c.sleep(50)
      expect(c.raft(3).membership().current.learners).to.deep.equal(['3'])
    })
  })

  it('refuses initialVoters outside 1..servers', async () => {
    const clock = new SimulatedClock()
    let error: unknown
    await KvCluster.create({
      servers: 3,
      initialVoters: 4,
      maxRaftState: -1,
      seed: 1,
      clock,
      createNetwork,
    }).catch((e: unknown) => (error = e))
    expect(error).to.be.instanceOf(RangeError)
  })

  it('makes every kind of change under churn and replays exactly from its seed', async function () {
    this.timeout(120_000)
    const digests: string[] = []
    const churnLines: string[] = []
    for (let k = 0; k < 2; k++) {
      const hasher = new TraceHasher()
      await runKvScenario(TestMembershipChurnUnreliable3A, {
        seed: 3,
        clock: 'sim',
        createNetwork,
        trace: hasher.sink,
        log: (line) => {
          if (line.includes('membership churn:')) churnLines.push(line)
        },
      })
      digests.push(hasher.digest())
    }
    expect(digests[0]).to.equal(digests[1])
    expect(churnLines).to.have.length(2)
    expect(churnLines[0]).to.equal(churnLines[1])
    for (const kind of CHURN_KINDS) expect(churnLines[0]).to.match(new RegExp(`${kind} [1-9]`))
  })

  it("the transfer scenario's line gives its times in the clock's unit: simulated or real ms", async function () {
    this.timeout(60_000)
    for (const [clock, unit] of [
      ['sim', 'simulated ms'],
      ['real', 'real ms'],
    ] as const) {
      const lines: string[] = []
      await runKvScenario(TestLeadershipTransferUnderLoadNoUnavailable3A, {
        seed: 1,
        clock,
        createNetwork,
        log: (line) => {
          if (line.includes('transfers:')) lines.push(line)
        },
      })
      expect(lines, clock).to.have.length(1)
      expect(lines[0], clock).to.match(
        new RegExp(`without an acknowledgement \\(${unit}\\) \\d+(, \\d+){5}$`),
      )
    }
  })
})
