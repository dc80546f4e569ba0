import { existsSync, readFileSync, rmSync } from 'node:fs'
import { expect } from 'chai'
import { TraceHasher } from '../../src/raft/index.js'
import {
  TestOnePartition3A,
  allKvScenarios,
  checkLinearizable,
  clntAppendsProblem,
  element,
  runKvScenario,
  selectKvScenarios,
} from '../../src/kv/index.js'
import { awaitLeader, createNetwork, withSimCluster } from './sim-cluster.js'

describe('kv harness', () => {
  it('names all 23 lab scenarios (14 in 3A, 9 in 3B) and 5 with membership churn, selects by part', () => {
    expect(allKvScenarios).to.have.length(29)
    expect(new Set(allKvScenarios.map((s) => s.name)).size).to.equal(29)
    expect(selectKvScenarios('3A')).to.have.length(19)
    expect(selectKvScenarios('3B')).to.have.length(10)
    expect(selectKvScenarios('^Test(?!Membership|LeadershipTransfer).*3A$')).to.have.length(14)
    expect(selectKvScenarios('^TestSpeed').map((s) => s.name)).to.deep.equal([
      'TestSpeed3A',
      'TestSpeed3B',
    ])
  })

  it('checkClntAppends finds missing, duplicate and misordered elements', () => {
    const ok = element(1, 0) + element(1, 1) + element(1, 2)
    expect(clntAppendsProblem(1, ok, 3)).to.equal(null)
    expect(clntAppendsProblem(1, element(1, 0) + element(1, 2), 3)).to.match(
      /missing element x 1 1 y/,
    )
    expect(clntAppendsProblem(1, ok + element(1, 1), 3)).to.match(/duplicate element x 1 1 y/)
    expect(clntAppendsProblem(1, element(1, 1) + element(1, 0), 2)).to.match(/wrong order/)
    // "x 1 1 y" is not found inside "x 1 11 y"
    expect(clntAppendsProblem(1, element(1, 0) + element(1, 11), 2)).to.match(/missing/)
  })

  it('fails an illegal history with a path to an HTML report', async () => {
    await withSimCluster({ servers: 1, maxRaftState: -1, seed: 3 }, async (c, clock) => {
      const put = c.history.begin(0, { op: 'put', key: 'k', value: 'a' })
      await clock.sleep(1)
      c.history.end(put, {})
      await clock.sleep(1)
      const get = c.history.begin(1, { op: 'get', key: 'k' })
      await clock.sleep(1)
      c.history.end(get, { value: 'b' }) // never written
      let message = ''
      await checkLinearizable(c, 'UnitTest').catch((e: Error) => (message = e.message))
      expect(message).to.match(/history is not linearizable/)
      const path = /wrote visualization to (\S+\.html)/.exec(message)?.[1]
      expect(path, message).to.be.a('string')
      expect(existsSync(path!)).to.equal(true)
      expect(readFileSync(path!, 'utf8')).to.match(/<html/i)
      rmSync(path!)
      expect(c.error?.message).to.equal(message)
    })
  })

  it('puts the leader last, in the minority, in makePartition()', async () => {
    await withSimCluster({ servers: 5, maxRaftState: -1, seed: 4 }, async (c) => {
      const leader = await awaitLeader(c)
      const [p1, p2] = c.makePartition()
      expect(p1).to.have.length(3)
      expect(p2).to.have.length(2)
      expect(p2[1]).to.equal(leader)
      expect([...p1, ...p2].sort()).to.deep.equal([0, 1, 2, 3, 4])
    })
  })

  it('replays a scenario exactly from its seed (same trace hash twice)', async function () {
    this.timeout(60_000)
    const digests: string[] = []
    for (let k = 0; k < 2; k++) {
      const hasher = new TraceHasher()
      await runKvScenario(TestOnePartition3A, {
        seed: 7,
        clock: 'sim',
        createNetwork,
        trace: hasher.sink,
      })
      expect(hasher.count).to.be.greaterThan(10)
      digests.push(hasher.digest())
    }
    expect(digests[0]).to.equal(digests[1])
  })
})
