/**
 * Restart every node of a real 3-process cluster (SIGTERM all, start all) while clients keep
 * going: each node stops cleanly, comes back from its files, a leader is elected again, every
 * acknowledged write is still there and the history is linearizable across the restart.
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

describe('multi-process: restart all nodes', function () {
  this.timeout(90_000)
  const clusters = useTestCluster()

  it('all acknowledged data survives a full restart; linearizable across it', async () => {
    const cluster = await clusters.start(3)
    await cluster.waitForLeader()
    const plan = { keys: ['a', 'b', 'c', 'd'], clients: 3, seed: 37, deadlineMs: 8000 }
    await withWorkload(cluster, plan, async (run) => {
      await delay(2000)
      await waitUntil(
        'acknowledging writes before the restart',
        () => writesAcknowledgedSince(run.recorder.operations(), -Infinity) > 0,
      )

      const exits = await cluster.nodes.stopAll()
      for (const [id, exit] of exits) expect(exit?.code, `${id} exit code`).to.equal(0)
      const restartedAt = monotonicClock.now()
      cluster.nodes.startAll()
      await cluster.waitForLeader()
      await waitUntil(
        'acknowledging writes after the restart',
        () => writesAcknowledgedSince(run.recorder.operations(), restartedAt) > 0,
      )
      await delay(1500)
      await run.workload.stop()

      await expectFinalState(cluster, run)
    })
  })
})
