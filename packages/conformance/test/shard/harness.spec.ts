/** The shard harness: scenarios selected by part, and a simulated run is a pure function of its seed. */
import { expect } from 'chai'
import { SimulatedClock } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import {
  ShardCluster,
  TestChallenge2Partial4B,
  allShardScenarios,
  selectShardScenarios,
} from '../../src/shard/index.js'

async function fingerprint(seed: number): Promise<string> {
  const clock = new SimulatedClock()
  return clock.run(async () => {
    const c = await ShardCluster.create({
      seed,
      clock,
      createNetwork: (_ids, o) => createMemoryNetwork(o),
      groups: TestChallenge2Partial4B.groups,
      unreliable: TestChallenge2Partial4B.unreliable,
      maxRaftState: TestChallenge2Partial4B.maxRaftState,
    })
    try {
      await c.guard(() => TestChallenge2Partial4B.run(c))
      return JSON.stringify([clock.now(), c.rpc.count(), c.groups.history.operations()])
    } finally {
      await c.cleanup()
    }
  })
}

describe('shard harness', () => {
  it("names 15 lab scenarios and raftkit's session-expiry one, 2 in 4A and 14 in 4B, all ending in their part", () => {
    expect(allShardScenarios).to.have.length(16)
    expect(selectShardScenarios('4A$')).to.have.length(2)
    expect(selectShardScenarios('4B$')).to.have.length(14)
    expect(selectShardScenarios('4[AB]').at(-1)?.name).to.equal(
      'TestSessionExpiryAcrossMigration4B',
    )
    for (const s of allShardScenarios) expect(s.name.endsWith(s.part)).to.equal(true)
    expect(selectShardScenarios('^TestChallenge').map((s) => s.name)).to.deep.equal([
      'TestChallenge1Delete4B',
      'TestChallenge2Unaffected4B',
      'TestChallenge2Partial4B',
    ])
  })

  it('a simulated run is a pure function of its seed (same history twice, another seed differs)', async function () {
    this.timeout(120_000)
    const a = await fingerprint(7)
    const b = await fingerprint(7)
    const other = await fingerprint(8)
    expect(a).to.equal(b)
    expect(other).to.not.equal(a)
  })
})
