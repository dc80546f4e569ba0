/**
 * pipelineLeaderAppends (thesis §10.2.1): the leader may send AppendEntries while its own write
 * of those entries is in flight; it still counts itself toward a commit only once durable.
 */
import { expect } from 'chai'
import { TestCluster, bytes } from './cluster.js'
import { HeldStorage } from './helpers/held-storage.js'

describe('Raft runtime: pipelineLeaderAppends', function () {
  let cluster: TestCluster

  afterEach(async () => {
    for (const s of cluster.storages.values()) (s as HeldStorage).release()
    await cluster.clock.run(() => cluster.shutdown())
  })

  async function startGated(pipeline: boolean, seed: number): Promise<void> {
    cluster = new TestCluster({ seed, config: { pipelineLeaderAppends: pipeline } })
    for (const id of cluster.ids) await cluster.start(id, new HeldStorage())
  }
  const lastIndex = (id: string): number => cluster.node(id).status().lastIndex
  const followers = (leader: string): string[] => cluster.ids.filter((id) => id !== leader)

  // While the leader's write is held its pump waits, so it sends nothing more (no heartbeats
  // either): each test holds it for well under the 300 ms minimum election timeout.
  const durable = async (id: string, index: number): Promise<boolean> => {
    const stored = await cluster.storages.get(id)!.load()
    return (
      (stored.snapshot?.meta.index ?? 0) >= index || stored.entries.some((e) => e.index === index)
    )
  }

  it('replicates while the leader’s own write is held, and commits and applies on two durable followers (thesis 10.2.1)', async () => {
    await startGated(true, 21)
    await cluster.clock.run(async () => {
      const leader = await cluster.leader()
      const disk = cluster.storages.get(leader.id) as HeldStorage
      disk.hold()
      const t0 = cluster.clock.now()
      const { index } = leader.start(bytes('x'))
      const [f1, f2] = followers(leader.id) as [string, string]
      while (!((await durable(f1, index)) && (await durable(f2, index))))
        await cluster.clock.sleep(1)
      await cluster.clock.sleep(5) // the followers' acks arrive
      expect(cluster.clock.now() - t0).to.be.lessThan(100)
      expect(await durable(leader.id, index)).to.equal(false)
      // Two durable followers are a majority of three: committed without the leader's copy,
      // and applied on the leader while its own write is still held (the entry can no longer
      // be lost: it is on a majority's disks).
      expect(leader.status().commitIndex).to.be.at.least(index)
      await cluster.waitFor(() => cluster.commands(leader.id).includes('x'), 50)
      expect(await durable(leader.id, index)).to.equal(false)
      // The service may snapshot there; compaction waits for the leader's own write.
      let compacted = false
      const snapshot = leader.snapshot(index, bytes('state')).then(() => (compacted = true))
      await cluster.clock.sleep(5)
      expect(compacted).to.equal(false)
      expect(leader.status().snapshotIndex).to.be.lessThan(index)
      disk.release()
      await snapshot
      expect(leader.status().snapshotIndex).to.equal(index)
      expect(await durable(leader.id, index)).to.equal(true)
    })
  })

  it('never commits with one durable follower while the leader’s write is still held', async () => {
    await startGated(true, 22)
    await cluster.clock.run(async () => {
      const leader = await cluster.leader()
      const [f1, f2] = followers(leader.id) as [string, string]
      cluster.net.disconnect(f2)
      const disk = cluster.storages.get(leader.id) as HeldStorage
      disk.hold()
      const { index } = leader.start(bytes('y'))
      while (!(await durable(f1, index))) await cluster.clock.sleep(1)
      await cluster.clock.sleep(50)
      // The leader (not durable) + f1 are one durable copy of three: no commit.
      expect(leader.status().commitIndex).to.be.lessThan(index)
      disk.release() // now leader + f1 are a durable majority
      await cluster.waitFor(() => leader.status().commitIndex >= index)
      await cluster.waitFor(() => cluster.commands(leader.id).includes('y'))
    })
  })

  it('is off by default: a leader’s entries wait for its own write', async () => {
    await startGated(false, 23)
    await cluster.clock.run(async () => {
      const leader = await cluster.leader()
      const disk = cluster.storages.get(leader.id) as HeldStorage
      disk.hold()
      const { index } = leader.start(bytes('z'))
      await cluster.clock.sleep(100)
      for (const f of followers(leader.id)) expect(lastIndex(f)).to.be.lessThan(index)
      disk.release()
      await cluster.waitFor(() => followers(leader.id).every((f) => lastIndex(f) >= index))
    })
  })
})
