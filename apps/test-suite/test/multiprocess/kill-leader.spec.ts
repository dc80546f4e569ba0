/**
 * kill -9 the leader of a real 3-process cluster in the middle of a concurrent workload, then
 * restart it: the others elect a new leader and keep serving, the restarted node recovers from
 * its WAL and catches up, every acknowledged write is in the final state and the whole history
 * (final reads included) is linearizable.
 */
import { expect } from 'chai'
import { delay, monotonicClock } from '@raftkit/kv-service/chaos'
import {
  expectFinalState,
  useTestCluster,
  waitUntil,
  withWorkload,
  writesAcknowledgedSince,
} from './helpers.js'

describe('multi-process: kill -9 the leader mid-workload and restart it', function () {
  this.timeout(90_000)
  const clusters = useTestCluster()

  it('a new leader serves, the old one rejoins, acknowledged writes survive, linearizable', async () => {
    const cluster = await clusters.start(3)
    await cluster.waitForLeader()
    const plan = { keys: ['a', 'b', 'c'], clients: 3, seed: 11, deadlineMs: 5000 }
    await withWorkload(cluster, plan, async (run) => {
      await delay(1500)
      await waitUntil('serving operations before the kill', () => run.workload.counts.ok > 0)
      // The leader now: leadership may have moved since the cluster first elected one.
      const first = await cluster.waitForLeader()

      const killedAt = monotonicClock.now()
      const exit = await cluster.nodes.kill(first.id)
      expect(exit?.signal).to.equal('SIGKILL')
      const others = cluster.ids.filter((id) => id !== first.id)
      const second = await cluster.waitForLeader(20_000, { ids: others, afterTerm: first.term })
      expect(others).to.include(second.id)

      await delay(1500)
      cluster.nodes.start(first.id)
      // The restarted node recovers its log from disk and follows the new leader...
      await cluster.waitForStatus(
        first.id,
        `back in the cluster (a leader known, term >= ${second.term})`,
        (s) => s.leader !== null && s.term >= second.term,
      )
      await waitUntil(
        'acknowledging writes after the kill',
        () => writesAcknowledgedSince(run.recorder.operations(), killedAt) > 0,
      )
      await delay(1000)
      await run.workload.stop()
      // ...and catches up with everything the leader committed.
      const leader = await cluster.waitForLeader()
      const commit = (await cluster.admin.status(leader.id))?.commitIndex ?? Infinity
      await cluster.waitForStatus(
        first.id,
        `applied up to ${commit}`,
        (s) => s.appliedIndex >= commit,
      )

      expect(
        writesAcknowledgedSince(run.recorder.operations(), killedAt),
        'writes acknowledged after the kill',
      ).to.be.greaterThan(0)

      await expectFinalState(cluster, run)
    })
  })
})
