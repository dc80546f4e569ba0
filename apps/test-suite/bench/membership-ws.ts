/**
 * Membership figures on a real 3-process cluster (`raftkit serve`, WebSocket + FileStorage):
 *
 *  1. Client-visible unavailability of a leadership transfer versus a leader kill: one client
 *     writes back to back (short per-attempt timeout, small backoff); per round, the longest
 *     gap between two consecutive acknowledged writes around the event (transfer-leader to
 *     another voter, or kill -9 of the leader, which is then restarted and caught up).
 *  2. Catch-up of a new node: --keys keys are written (concurrent clients), then a node started
 *     with `raftkit serve --join` is added as a learner; the time from the add to the moment it
 *     has applied the leader's commit index, and whether it got there by snapshot.
 *
 *   npx tsx --conditions=@raftkit/source bench/membership-ws.ts [--rounds 5] [--keys 100000]
 *     [--clients 32] [--keep]
 *
 * One JSON line (every round's gap), then a summary. Every node is stopped on the way out.
 */
import { createServer } from 'node:net'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { MembersClient } from '@raftkit/kv-service'
import type { ClusterConfig, HttpKvRpc, KvClient } from '@raftkit/kv-service'
import type { ClusterAdmin, NodeProcesses } from '@raftkit/kv-service/chaos'
import { delay } from '@raftkit/kv-service/chaos'
import type { BenchCluster } from './bench-cluster.js'
import { median, retryingClient, startBenchCluster, waitCaughtUp } from './bench-cluster.js'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    keys: { type: 'string', default: '100000' },
    clients: { type: 'string', default: '32' },
    keep: { type: 'boolean', default: false },
  },
})
const rounds = Number(values.rounds)
const keyCount = Number(values.keys)
const clientCount = Number(values.clients)
for (const [name, v] of [
  ['rounds', rounds],
  ['keys', keyCount],
  ['clients', clientCount],
] as const)
  if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`--${name}: a positive integer`)

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

function newClient(rpc: HttpKvRpc, seed: number): KvClient {
  return retryingClient(rpc.servers, rpc, seed, 60_000)
}

/** Writes back to back; records each acknowledgement time. */
class Writer {
  readonly acks: number[] = []
  private running = true
  private done: Promise<void>
  constructor(private readonly client: KvClient) {
    this.done = this.loop()
  }
  private async loop(): Promise<void> {
    for (let i = 0; this.running; i++) {
      await this.client.put('probe', String(i))
      this.acks.push(performance.now())
    }
  }
  /** Longest gap between consecutive acks in [from, to]. */
  gap(from: number, to: number): number {
    let worst = 0
    for (let i = 1; i < this.acks.length; i++) {
      const a = this.acks[i - 1] as number
      const b = this.acks[i] as number
      if (b >= from && a <= to) worst = Math.max(worst, b - a)
    }
    return worst
  }
  async stop(): Promise<void> {
    this.running = false
    await this.done
  }
}

async function httpStatus(
  http: string,
): Promise<{ appliedIndex: number; snapshotIndex: number } | undefined> {
  try {
    const r = await fetch(`http://${http}/v1/status`, { signal: AbortSignal.timeout(1000) })
    return r.ok ? ((await r.json()) as { appliedIndex: number; snapshotIndex: number }) : undefined
  } catch {
    return undefined
  }
}

async function unavailability(
  config: ClusterConfig,
  admin: ClusterAdmin,
  nodes: NodeProcesses,
  rpc: HttpKvRpc,
): Promise<{ transferMs: number[]; killMs: number[] }> {
  const members = new MembersClient({
    endpoints: config.nodes.map((n) => `${n.http.host}:${n.http.port}`),
    secret: config.secret,
  })
  const client = newClient(rpc, 7)
  const writer = new Writer(client)
  const transferMs: number[] = []
  const killMs: number[] = []
  try {
    await delay(500)
    for (let round = 0; round < rounds; round++) {
      let leader = await admin.waitForLeader(30_000)
      const to = admin.ids.find((id) => id !== leader.id) as string
      let t0 = performance.now()
      await members.transferLeader(to)
      await delay(1500)
      transferMs.push(writer.gap(t0, performance.now()))
      leader = await admin.waitForLeader(30_000)
      t0 = performance.now()
      await nodes.kill(leader.id)
      await admin.waitForLeader(30_000, { afterTerm: leader.term })
      await delay(1500)
      killMs.push(writer.gap(t0, performance.now()))
      nodes.start(leader.id)
      await waitCaughtUp(admin, leader.id)
      console.error(
        `round ${round + 1}: transfer gap ${transferMs.at(-1)?.toFixed(1)} ms, kill gap ${killMs.at(-1)?.toFixed(1)} ms`,
      )
    }
  } finally {
    await writer.stop()
    client.close()
  }
  return { transferMs, killMs }
}

async function catchUp(
  dir: string,
  config: ClusterConfig,
  admin: ClusterAdmin,
  nodes: NodeProcesses,
  rpc: HttpKvRpc,
): Promise<{ loadMs: number; catchUpMs: number; bySnapshot: boolean; applied: number }> {
  const value = 'v'.repeat(32)
  const t0 = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: clientCount }, async (_, c) => {
      const client = newClient(rpc, 100 + c)
      try {
        for (let k = next++; k < keyCount; k = next++) await client.put(`key-${k}`, value)
      } finally {
        client.close()
      }
    }),
  )
  const loadMs = performance.now() - t0
  console.error(`loaded ${keyCount} keys in ${(loadMs / 1000).toFixed(1)} s`)
  const peer = `127.0.0.1:${await freePort()}`
  const http = `127.0.0.1:${await freePort()}`
  nodes.addJoining('n9', ['--peer', peer, '--http', http, '--data-dir', join(dir, 'data', 'n9')])
  nodes.start('n9')
  const members = new MembersClient({
    endpoints: config.nodes.map((n) => `${n.http.host}:${n.http.port}`),
    secret: config.secret,
  })
  while ((await httpStatus(http)) === undefined) await delay(50)
  const leader = await admin.waitForLeader(30_000)
  const goal = (await admin.status(leader.id))?.commitIndex ?? 0
  const t1 = performance.now()
  await members.addLearner({ id: 'n9', peer, http })
  for (;;) {
    const s = await httpStatus(http)
    if (s && s.appliedIndex >= goal)
      return {
        loadMs,
        catchUpMs: performance.now() - t1,
        bySnapshot: s.snapshotIndex > 0,
        applied: s.appliedIndex,
      }
    if (performance.now() - t1 > 300_000) throw new Error('n9 did not catch up within 300 s')
    await delay(20)
  }
}

async function main(): Promise<void> {
  let cluster: BenchCluster | undefined
  const load0 = loadavg()
  try {
    const c = (cluster = await startBenchCluster({
      name: 'membership',
      nodes: 3,
      keep: values.keep,
      configure: (file) => {
        file.server = { ...file.server, maxRaftState: 1024 * 1024 }
      },
    }))
    const gaps = await unavailability(c.config, c.admin, c.nodes, c.rpc)
    const join_ = await catchUp(c.dir, c.config, c.admin, c.nodes, c.rpc)
    const row = {
      bench: 'membership-ws',
      rounds,
      transferGapMs: gaps.transferMs.map((x) => Math.round(x)),
      killGapMs: gaps.killMs.map((x) => Math.round(x)),
      transferGapMedianMs: Math.round(median(gaps.transferMs)),
      killGapMedianMs: Math.round(median(gaps.killMs)),
      electionTimeoutMs: [c.config.raft.electionTimeoutMinMs, c.config.raft.electionTimeoutMaxMs],
      keys: keyCount,
      loadS: Math.round(join_.loadMs / 100) / 10,
      catchUpMs: Math.round(join_.catchUpMs),
      catchUpBySnapshot: join_.bySnapshot,
      appliedIndex: join_.applied,
      loadavg: [load0[0] ?? 0, loadavg()[0] ?? 0].map((x) => Math.round(x * 100) / 100),
    }
    console.log(JSON.stringify(row))
  } finally {
    await cluster?.close()
  }
}

await main()
