/**
 * The WebSocket RPC on a real 3-process cluster: KvClients sharing one WsKvRpc (one connection
 * per node, many requests in flight on it) run a concurrent workload, the leader is killed (-9)
 * under it — the connection to it drops with requests in flight, which must come back as
 * "outcome unknown" and be retried elsewhere, never answered twice — and a new leader serves
 * them. Every acknowledged write is in the final state and the history is linearizable.
 */
import { expect } from 'chai'
import { finalReads, monotonicClock } from '@raftkit/kv-service/chaos'
import type { WorkloadPlan } from './helpers.js'
import {
  expectNothingLost,
  useTestCluster,
  waitUntil,
  withWorkload,
  writesAcknowledgedSince,
} from './helpers.js'

describe('multi-process: KvClients over the WebSocket RPC, the leader killed under them', function () {
  this.timeout(60_000)
  const clusters = useTestCluster()

  it('serves over /v1/rpc, survives the kill, acknowledged writes survive, linearizable', async () => {
    const cluster = await clusters.start(3)
    await cluster.waitForLeader()
    const plan: WorkloadPlan = {
      keys: ['a', 'b', 'c'],
      clients: 4,
      seed: 15,
      deadlineMs: 5000,
      protocol: 'ws',
    }
    await withWorkload(cluster, plan, async (run) => {
      const { keys, recorder, workload } = run
      await waitUntil('serving operations over ws', () => workload.counts.ok > 20)
      const first = await cluster.waitForLeader()
      const killedAt = monotonicClock.now()
      await cluster.nodes.kill(first.id)
      const others = cluster.ids.filter((id) => id !== first.id)
      const second = await cluster.waitForLeader(20_000, { ids: others, afterTerm: first.term })
      await waitUntil(
        'acknowledging writes after the kill',
        () => writesAcknowledgedSince(recorder.operations(), killedAt) > 5,
      )
      await workload.stop()
      // The clients did speak the WebSocket RPC (the new leader counted its requests).
      const http = cluster.config.nodes.find((n) => n.id === second.id)!.http
      const metrics = await (await fetch(`http://${http.host}:${http.port}/metrics`)).text()
      expect(metrics).to.match(/raftkit_http_requests_total\{op="rpc-put",status="204"\} [1-9]/)
      expect(workload.errors, 'errors other than timeouts').to.deep.equal(new Map())
      const finals = await finalReads(cluster.config, recorder, keys)
      expectNothingLost(cluster, run, finals)
    })
  })
})
