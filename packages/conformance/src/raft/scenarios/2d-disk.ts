/**
 * A 2D scenario of raftkit's own, aimed at the window the simulated disk opens (issue 10):
 * a follower that fell behind the leader's snapshot is reconnected while new entries keep
 * flowing, over an unreliable network that, during the reconnection, delays and reorders messages by up to
 * seconds, so
 * an InstallSnapshot, later AppendEntries and stale reordered ones reach it while its own
 * writes are in flight. The applierSnap checker fails the run on any gap or reordering of a
 * node's apply stream (e.g. entries past a snapshot handed out before the snapshot).
 */
import { SNAPSHOT_INTERVAL } from '../harness.js'
import { scenario } from '../scenario.js'

export const TestSnapshotDuringSlowWrite2D = scenario({
  name: 'TestSnapshotDuringSlowWrite2D',
  part: '2D',
  description: 'Test (2D): install snapshots during slow writes (unreliable+reordering)',
  servers: 3,
  unreliable: true,
  snapshot: true,
  requires: ['snapshots'],
  async run(c) {
    const n = c.n
    c.begin('Test (2D): install snapshots during slow writes (unreliable+reordering)')
    await c.one(c.randInt(), n, true)
    let leader = await c.checkOneLeader()
    for (let i = 0; i < 10; i++) {
      const victim = (leader + 1 + c.rng.int(n - 1)) % n
      c.disconnect(victim)
      // Enough entries for the others to snapshot past everything the victim has.
      const burst = 2 * SNAPSHOT_INTERVAL + c.rng.int(SNAPSHOT_INTERVAL)
      for (let k = 0; k < burst; k++) c.start(leader, c.randInt())
      await c.one(c.randInt(), n - 1, true)
      leader = await c.checkOneLeader()
      // Back, while a stream of new entries is replicated: the snapshot, fresh and stale
      // AppendEntries race each other and the victim's writes.
      c.connect(victim)
      c.setLongReordering(true)
      const stream = SNAPSHOT_INTERVAL + c.rng.int(2 * SNAPSHOT_INTERVAL)
      for (let k = 0; k < stream; k++) {
        c.start(leader, c.randInt())
        await c.sleep(1 + c.rng.int(20))
      }
      // Messages already held back still arrive late; new ones are not held back.
      c.setLongReordering(false)
      await c.one(c.randInt(), n, true)
      leader = await c.checkOneLeader()
    }
    c.end()
  },
})
