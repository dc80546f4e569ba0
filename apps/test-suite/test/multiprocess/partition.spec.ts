/**
 * Partition the leader of a real 3-process cluster into a minority through the nodes' fault
 * controls (POST /v1/admin/faults): the majority elects a new leader and serves, the old leader
 * steps down and a write sent only to it never succeeds (nor shows up later), then heal: the old
 * leader rejoins and the history, final reads included, is linearizable with no write lost.
 */
import { TimeoutError } from '@raftkit/raft-core'
import { expect } from 'chai'
import {
  delay,
  finalReads,
  httpClient,
  monotonicClock,
  recordedOp,
} from '@raftkit/kv-service/chaos'
import {
  expectNothingLost,
  useTestCluster,
  waitUntil,
  withWorkload,
  writesAcknowledgedSince,
} from './helpers.js'

describe('multi-process: partition the leader into a minority, then heal', function () {
  this.timeout(90_000)
  const clusters = useTestCluster()

  it('the majority serves, minority writes do not succeed, linearizable after heal', async () => {
    const cluster = await clusters.start(3)
    await cluster.waitForLeader()
    // A leader needs only two nodes: wait for the third too, or the partition below may find
    // it still starting (connection refused) and count it as a node that could not be told.
    for (const id of cluster.ids) await cluster.waitForStatus(id, 'answering', () => true)
    const plan = { keys: ['a', 'b', 'c'], clients: 3, seed: 23, deadlineMs: 5000 }
    await withWorkload(cluster, plan, async (run) => {
      const { keys, recorder, workload } = run
      let minority: ReturnType<typeof httpClient> | undefined
      try {
        await delay(1000)
        // The leader now: leadership may have moved since the cluster first elected one.
        const old = await cluster.waitForLeader()
        const majority = cluster.ids.filter((id) => id !== old.id)
        // A client that talks to the old leader only (no redirects elsewhere).
        minority = httpClient({
          config: cluster.config,
          servers: [old.id],
          maxRedirects: 0,
          deadlineMs: 3000,
        })
        expect(await cluster.admin.partition([[old.id], majority])).to.deep.equal([])
        const partitionedAt = monotonicClock.now()

        const next = await cluster.waitForLeader(20_000, { ids: majority, afterTerm: old.term })
        expect(majority).to.include(next.id)
        // Check-quorum: the isolated leader notices it lost its majority and steps down.
        await cluster.waitForStatus(old.id, 'stepped down', (s) => s.role !== 'leader')

        const lonely = await recordedOp(recorder, 'minority', minority.client, {
          op: 'put',
          key: 'm',
          value: '<minority>',
        })
        expect(lonely.outcome, 'a write through the minority side').to.equal('unknown')
        expect(lonely.error).to.be.instanceOf(TimeoutError)

        await waitUntil(
          'acknowledging writes during the partition',
          () => writesAcknowledgedSince(recorder.operations(), partitionedAt) > 0,
        )

        expect(await cluster.admin.heal()).to.deep.equal([])
        await cluster.waitForStatus(
          old.id,
          `following a leader in term >= ${next.term}`,
          (s) => s.leader !== null && s.term >= next.term,
        )
        await delay(1000)
        await workload.stop()

        const finals = await finalReads(cluster.config, recorder, [...keys, 'm'])
        expect(finals.get('m'), 'the minority write never took effect').to.equal('')
        expectNothingLost(cluster, run, finals)
      } finally {
        minority?.close()
      }
    })
  })
})
