/**
 * A sharded cluster run from the command line, as the README runs it: `raftkit init --groups 3
 * --nodes 3` (a controller group and three replica groups on three local nodes, free ports),
 * one `raftkit serve` process per node, `raftkit shard join 100 101`; then, under a 3-client
 * workload through the nodes' HTTP API (each client's node forwards to the key's group), group
 * 102 joins and group 100 leaves, and shards move. The history must be linearizable with no
 * acknowledged write lost or run twice, every shard must end on 101 or 102, and group 100 must
 * have garbage-collected what it handed over.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRng } from '@raftkit/raft-core'
import type { ShardConfig, ShardNodeStatus } from '@raftkit/shardkv'
import { NSHARDS, loadShardCluster } from '@raftkit/shardkv'
import { expect } from 'chai'
import {
  NodeProcesses,
  Workload,
  delay,
  finalReads,
  lostAcknowledgedWrites,
  newRecorder,
  runRaftkit,
} from '@raftkit/kv-service/chaos'
import { expectLinearizable, waitSettled, waitUntil } from './helpers.js'

/** Runs a `raftkit` command; fails the test with its output unless it exits 0. */
async function raftkit(args: readonly string[]): Promise<string> {
  const r = await runRaftkit(args, 60_000)
  expect(r.code, `raftkit ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).to.equal(0)
  return r.stdout
}

async function statusOf(http: string): Promise<ShardNodeStatus | undefined> {
  try {
    const r = await fetch(`http://${http}/v1/status`, { signal: AbortSignal.timeout(1000) })
    return r.ok ? ((await r.json()) as ShardNodeStatus) : undefined
  } catch {
    return undefined
  }
}

describe('multi-process: a sharded cluster from the CLI', function () {
  this.timeout(180_000)
  let dir: string | undefined
  let nodes: NodeProcesses | undefined
  let failed = false
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true
  })
  after(async () => {
    await nodes?.stopAll(5000)
    if (failed && dir) console.log(`    node logs kept in ${dir}/logs`)
    else if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('join 102 and leave 100 under load: shards move, no acknowledged write lost, linearizable', async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-shard-mp-'))
    await raftkit(['init', '--groups', '3', '--nodes', '3', '--dir', dir])
    const file = join(dir, 'cluster.json')
    const cluster = await loadShardCluster(file)
    const https = cluster.config.nodes.map((n) => `${n.http.host}:${n.http.port}`)
    const statuses = (): Promise<(ShardNodeStatus | undefined)[]> =>
      Promise.all(https.map(statusOf))
    nodes = new NodeProcesses({
      configFile: file,
      ids: cluster.config.nodes.map((n) => n.id),
      logDir: join(dir, 'logs'),
      serveArgs: ['--log-level', 'warn'],
    })
    nodes.startAll()
    const query = async (): Promise<ShardConfig> =>
      JSON.parse(
        await raftkit(['shard', 'query', '--json', '--config', file, '--timeout', '30000']),
      ) as ShardConfig

    await raftkit(['shard', 'join', '100', '101', '--config', file, '--timeout', '30000'])
    const first = await query()
    expect(new Set(first.shards)).to.deep.equal(new Set([100, 101]))
    await waitSettled(statuses, first)

    // One key per shard (key2shard: the first character's code mod 10).
    const keys = Array.from({ length: NSHARDS }, (_, i) => String.fromCharCode(100 + i))
    const recorder = newRecorder()
    const workload = new Workload({
      config: cluster.config,
      clients: 3,
      keys,
      rng: createRng(41),
      recorder,
      deadlineMs: 10_000,
    })
    workload.start()
    try {
      await delay(1500)
      const okBefore = workload.counts.ok
      await raftkit(['shard', 'join', '102', '--config', file, '--timeout', '30000'])
      const second = await query()
      expect(second.shards.filter((g) => g === 102)).to.have.length.greaterThan(0)
      await waitSettled(statuses, second)
      await raftkit(['shard', 'leave', '100', '--config', file, '--timeout', '30000'])
      const third = await query()
      expect(new Set(third.shards)).to.deep.equal(new Set([101, 102]))
      await waitSettled(statuses, third)
      await waitUntil(
        'serving 20 more operations across the moves',
        () => workload.counts.ok > okBefore + 20,
      )
    } finally {
      await workload.stop()
    }

    const finals = await finalReads(cluster.config, recorder, keys)
    expect([...finals.keys()].sort()).to.deep.equal(keys)
    const history = recorder.operations()
    expect(lostAcknowledgedWrites(history, finals)).to.deep.equal([])
    // A write run twice would show its unique value twice in an appended-to key.
    for (const [key, value] of finals) {
      const parts = value.match(/<[^>]*>/g) ?? []
      expect(new Set(parts).size, `duplicated write in ${key}: ${value}`).to.equal(parts.length)
    }
    expectLinearizable(history)
    // Group 100 left: every replica of it has handed over and deleted its shards.
    for (const s of await statuses()) {
      expect(s?.groups.g100?.keys, `${s?.id}: keys left on g100`).to.equal(0)
      expect(s?.groups.g100?.shards, `${s?.id}: shards left on g100`).to.deep.equal({})
    }
    expect(nodes.unexpectedExits, 'nodes that exited on their own').to.deep.equal([])
  })
})
