/**
 * Leader failover on a real cluster: `raftkit init --nodes 3` into a temporary directory, three
 * `raftkit serve` processes (WebSocket + FileStorage), then --rounds times: find the leader,
 * kill -9 it, and measure the time from the kill until a put is acknowledged — through a KvClient
 * over HttpKvRpc that retries (short per-attempt timeout and backoff so that its retry pauses add
 * little to the figure); a write can only be acknowledged once a new leader has committed it.
 * The killed node is then restarted and the round waits until it has applied everything the
 * leader had committed, so every round starts from a full healthy cluster. Reports p50/p99/max
 * of the failover times (hdr-histogram-js) next to the cluster file's maximum election timeout.
 * One JSON line, then a table. Every node is stopped on the way out, even after an error; the
 * temporary directory is removed unless --keep.
 *
 *   npx tsx --conditions=@raftkit/source bench/failover-ws.ts [--rounds 20] [--nodes 3]
 *     [--raft JSON] [--keep]
 *
 * `--raft '{"electionTimeoutMinMs":150,"electionTimeoutMaxMs":300,"heartbeatIntervalMs":50}'`
 * merges settings into the cluster file's `raft` section. The JSON line lists every round's
 * time (`timesMs`).
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import type { KvClient } from '@raftkit/kv-service'
import * as hdr from 'hdr-histogram-js'
import { killEveryChild } from '@raftkit/kv-service/chaos'
import type { BenchCluster } from './bench-cluster.js'
import { retryingClient, startBenchCluster, waitApplied } from './bench-cluster.js'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    nodes: { type: 'string', default: '3' },
    raft: { type: 'string', default: '{}' },
    keep: { type: 'boolean', default: false },
  },
})
const rounds = Number(values.rounds)
if (!(Number.isInteger(rounds) && rounds > 0)) throw new RangeError('--rounds: a positive integer')

const nodeCount = Number(values.nodes)
if (!(Number.isInteger(nodeCount) && nodeCount > 0))
  throw new RangeError('--nodes: a positive integer')
const raftOverrides = JSON.parse(values.raft) as object
if (typeof raftOverrides !== 'object' || raftOverrides === null || Array.isArray(raftOverrides))
  throw new RangeError('--raft: a JSON object of cluster-file raft settings')

async function main(): Promise<void> {
  let cluster: BenchCluster | undefined
  let client: KvClient | undefined
  const times: number[] = []
  let electionTimeoutMaxMs = 0
  const load0 = loadavg()
  try {
    const c = (cluster = await startBenchCluster({
      name: 'failover',
      nodes: nodeCount,
      cli: 'built',
      keep: values.keep,
      configure: (file) => {
        file.raft = { ...file.raft, ...raftOverrides }
      },
    }))
    electionTimeoutMaxMs = c.config.raft.electionTimeoutMaxMs
    client = retryingClient(c.rpc.servers, c.rpc, 7, 30_000)
    await client.put('failover', 'warm-up')
    for (let round = 0; round < rounds; round++) {
      const leader = await c.admin.waitForLeader(30_000)
      const t0 = performance.now()
      await c.nodes.kill(leader.id)
      await client.put('failover', `round-${round}`)
      const ms = performance.now() - t0
      times.push(ms)
      const next = await c.admin.leader()
      console.error(
        `round ${round + 1}: killed ${leader.id} (term ${leader.term}); write acknowledged after ${ms.toFixed(1)} ms; leader now ${next?.id ?? '?'} (term ${next?.term ?? '?'})`,
      )
      c.nodes.start(leader.id)
      const status = next ? await c.admin.status(next.id) : undefined
      await waitApplied(c.admin, leader.id, status?.commitIndex ?? 0)
    }
    if (c.nodes.unexpectedExits.length > 0)
      throw new Error(`nodes exited unexpectedly: ${JSON.stringify(c.nodes.unexpectedExits)}`)
  } finally {
    client?.close()
    await cluster?.close()
  }
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  })
  for (const ms of times) histogram.recordValue(Math.max(1, Math.round(ms * 1000)))
  const row = {
    bench: 'failover-ws',
    rounds: times.length,
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    maxMs: Math.round(Math.max(...times) * 10) / 10,
    electionTimeoutMaxMs,
    targetP99Ms: 2 * electionTimeoutMaxMs,
    loadAverage: [load0[0], loadavg()[0]].map((x) => Math.round((x ?? 0) * 100) / 100),
    nodes: nodeCount,
    timesMs: times.map((ms) => Math.round(ms * 10) / 10),
  }
  histogram.destroy()
  console.log(JSON.stringify(row))
  console.table([
    {
      rounds: row.rounds,
      'p50 ms': row.p50Ms,
      'p99 ms': row.p99Ms,
      'max ms': row.maxMs,
      'max election timeout ms': row.electionTimeoutMaxMs,
      'target p99 < ms': row.targetP99Ms,
    },
  ])
}

process.once('SIGINT', () => {
  killEveryChild()
  process.exit(130)
})
await main()
