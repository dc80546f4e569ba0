/**
 * Restart every node of a real 3-process cluster (SIGTERM all, start all) while clients keep
 * going: each node stops cleanly, comes back from its files, a leader is elected again, every
 * acknowledged write is still there and the history is linearizable across the restart.
 */
import { createRng } from '@raftkit/raft-core'
import { expect } from 'chai'
import {
  Workload,
  delay,
  finalReads,
  lostAcknowledgedWrites,
  monotonicClock,
  newRecorder,
} from '@raftkit/kv-service/chaos'
import {
  expectLinearizable,
  useTestCluster,
  waitUntil,
  writesAcknowledgedSince,
} from './helpers.js'

describe('multi-process: restart all nodes', function () {
  this.timeout(90_000)
  const clusters = useTestCluster()

  it('all acknowledged data survives a full restart; linearizable across it', async () => {
    const cluster = await clusters.start(3)
    await cluster.waitForLeader()
    const keys = ['a', 'b', 'c', 'd']
    const recorder = newRecorder()
    const workload = new Workload({
      config: cluster.config,
      clients: 3,
      keys,
      rng: createRng(37),
      recorder,
      deadlineMs: 8000,
    })
    workload.start()
    try {
      await delay(2000)
      await waitUntil(
        'acknowledging writes before the restart',
        () => writesAcknowledgedSince(recorder.operations(), -Infinity) > 0,
      )

      const exits = await cluster.nodes.stopAll()
      for (const [id, exit] of exits) expect(exit?.code, `${id} exit code`).to.equal(0)
      const restartedAt = monotonicClock.now()
      cluster.nodes.startAll()
      await cluster.waitForLeader()
      await waitUntil(
        'acknowledging writes after the restart',
        () => writesAcknowledgedSince(recorder.operations(), restartedAt) > 0,
      )
      await delay(1500)
      await workload.stop()

      const finals = await finalReads(cluster.config, recorder, keys)
      expect([...finals.keys()].sort()).to.deep.equal(keys)
      expect(lostAcknowledgedWrites(recorder.operations(), finals)).to.deep.equal([])
      expectLinearizable(recorder.operations())
      expect(cluster.nodes.unexpectedExits, 'nodes that exited on their own').to.deep.equal([])
    } finally {
      await workload.stop(0)
    }
  })
})
