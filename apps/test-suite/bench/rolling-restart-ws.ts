/**
 * Rolling restart of a real 3-process cluster (`raftkit serve`, WebSocket + FileStorage) under
 * closed-loop writers: each node in turn is stopped (SIGTERM) and restarted, and the next one
 * waits until it has caught up. Three ways of handling the leader's turn, one pass each:
 *
 *  - transfer: `transfer-leader` to another voter first (the admin endpoint), then stop it;
 *  - stop:     stop the leader as it is (a clean SIGTERM, no transfer);
 *  - kill:     kill -9 the leader.
 *
 * --clients writers each put back to back through a KvClient that retries quickly (200 ms per
 * attempt, 5–20 ms backoff), over an RPC wrapper that records every refused attempt (a 503 or
 * a redirect the client had to follow: WRONG_LEADER) and every attempt that timed out. For each
 * node's turn: the longest time no writer got an acknowledgement (the client-visible
 * unavailability), the longest single write, refused attempts and timeouts, the refusals that
 * named no leader (503 NO_LEADER or a hint-less WRONG_LEADER: the client has to poll) and the
 * "503 window", from the first to the last of those while the node goes down. The round trip is
 * the median write latency of the warm-up (2 s before the first turn).
 *
 *   npx tsx --conditions=@raftkit/source bench/rolling-restart-ws.ts [--clients 8] [--passes 2]
 *     [--modes transfer,stop,kill] [--keep]
 *
 * Every mode restarts each node --passes times (a turn finds whoever leads then).
 *
 * One JSON line (every turn), then a table of the leader turns. Every node is stopped on the way out.
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import type { KvClient, KvReply, KvRequest, KvRpcNetwork } from '@raftkit/kv-service'
import { MembersClient } from '@raftkit/kv-service'
import { delay, killEveryChild } from '@raftkit/kv-service/chaos'
import type { BenchCluster } from './bench-cluster.js'
import { median, retryingClient, startBenchCluster, waitCaughtUp } from './bench-cluster.js'

type Mode = 'transfer' | 'stop' | 'kill'

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '8' },
    passes: { type: 'string', default: '2' },
    modes: { type: 'string', default: 'transfer,stop,kill' },
    keep: { type: 'boolean', default: false },
  },
})
const clientCount = Number(values.clients)
if (!(Number.isInteger(clientCount) && clientCount > 0))
  throw new RangeError('--clients: a positive integer')
const passes = Number(values.passes)
if (!(Number.isInteger(passes) && passes > 0)) throw new RangeError('--passes: a positive integer')
const modes = values.modes.split(',') as Mode[]
for (const m of modes)
  if (m !== 'transfer' && m !== 'stop' && m !== 'kill')
    throw new RangeError(`--modes: transfer, stop and/or kill, got ${String(m)}`)

/** What the writers saw, with performance.now() times. */
class Observations {
  readonly acks: number[] = []
  /** Write latencies: [start, end]. */
  readonly ops: Array<[number, number]> = []
  readonly refused: number[] = []
  /** Refusals that named no leader (a 503, or a redirect to an unknown node): the client must poll. */
  readonly unavailable: number[] = []
  readonly timeouts: number[] = []

  /** The RPC the writers' clients use: `inner`, recording refusals and timeouts. */
  wrap(inner: KvRpcNetwork): KvRpcNetwork {
    return {
      call: async (from: string, to: string, request: KvRequest, timeoutMs: number) => {
        let reply: KvReply
        try {
          reply = await inner.call(from, to, request, timeoutMs)
        } catch (e) {
          this.timeouts.push(performance.now())
          throw e
        }
        if (!reply.ok) {
          const now = performance.now()
          this.refused.push(now)
          if (!(reply.error === 'WRONG_LEADER' && reply.leaderHint !== null))
            this.unavailable.push(now)
        }
        return reply
      },
    }
  }

  /** Longest time in [from, to] without an acknowledgement. */
  longestGap(from: number, to: number): number {
    return this.longestGapAt(from, to).gap
  }

  /** The same, with when that gap began. */
  longestGapAt(from: number, to: number): { gap: number; start: number } {
    let last = from
    let worst = { gap: 0, start: from }
    for (const t of this.acks) {
      if (t < from) continue
      if (t > to) break
      if (t - last > worst.gap) worst = { gap: t - last, start: last }
      last = t
    }
    return to - last > worst.gap ? { gap: to - last, start: last } : worst
  }

  longestOp(from: number, to: number): number {
    let worst = 0
    for (const [a, b] of this.ops) if (b >= from && a <= to) worst = Math.max(worst, b - a)
    return worst
  }

  count(times: readonly number[], from: number, to: number): number {
    return times.filter((t) => t >= from && t <= to).length
  }

  /** From the first to the last answer in [from, to] that named no leader (0: none). */
  unavailableWindow(from: number, to: number): number {
    const inside = this.unavailable.filter((t) => t >= from && t <= to)
    return inside.length === 0 ? 0 : (inside[inside.length - 1] as number) - (inside[0] as number)
  }
}

interface Turn {
  mode: Mode
  node: string
  wasLeader: boolean
  /** The part of the turn in which the leader was transferred or stopped/killed. */
  eventMs: number
  /** Longest time without an acknowledgement over the whole turn. */
  longestGapMs: number
  /** The same while the node goes down (transfer, stop or kill, until writers found a leader). */
  downGapMs: number
  /** The same while it restarts and catches up. */
  restartGapMs: number
  /** When that gap began, when the restarted node first answered /v1/status, and when it had caught up (ms after its start). */
  restartGapStartMs: number
  reachableMs: number
  caughtUpMs: number
  longestWriteMs: number
  refused: number
  /** Refusals that named no leader (503 NO_LEADER, or WRONG_LEADER without a hint). */
  unavailable: number
  /** First to last such refusal while the node goes down (the client-visible 503 window). */
  unavailableWindowMs: number
  timeouts: number
  /** Terms the cluster went through during the turn (1 for a transfer or a leader's stop). */
  terms: number
}

async function writers(c: BenchCluster, obs: Observations, running: () => boolean) {
  const rpc = obs.wrap(c.rpc)
  const clients: KvClient[] = []
  const loops = Array.from({ length: clientCount }, async (_, i) => {
    const client = retryingClient(c.rpc.servers, rpc, 1000 + i, 60_000)
    clients.push(client)
    for (let k = 0; running(); k++) {
      const t0 = performance.now()
      await client.put(`w${i}`, String(k))
      const t1 = performance.now()
      obs.acks.push(t1)
      obs.ops.push([t0, t1])
    }
  })
  return {
    done: Promise.all(loops).then(() => undefined),
    close: () => clients.forEach((cl) => cl.close()),
  }
}

async function turn(
  c: BenchCluster,
  members: MembersClient,
  mode: Mode,
  id: string,
  obs: Observations,
): Promise<Turn> {
  const leader = await c.admin.waitForLeader(30_000)
  const wasLeader = leader.id === id
  const t0 = performance.now()
  if (wasLeader && mode === 'transfer') {
    const to = c.admin.ids.find((x) => x !== id) as string
    await members.transferLeader(to)
  }
  if (wasLeader && mode === 'kill') await c.nodes.kill(id)
  else await c.nodes.stop(id, 10_000)
  if (wasLeader) await c.admin.waitForLeader(30_000, { afterTerm: leader.term })
  await delay(1000) // the writers find the new leader
  const t1 = performance.now()
  c.nodes.start(id)
  while (!(await c.admin.status(id))) await delay(10)
  const reachable = performance.now()
  await waitCaughtUp(c.admin, id)
  const caughtUp = performance.now()
  await delay(500)
  const t2 = performance.now()
  const restartGap = obs.longestGapAt(t1, t2)
  const after = await c.admin.waitForLeader(30_000)
  return {
    mode,
    node: id,
    wasLeader,
    eventMs: Math.round(t1 - t0),
    longestGapMs: Math.round(obs.longestGap(t0, t2)),
    downGapMs: Math.round(obs.longestGap(t0, t1)),
    restartGapMs: Math.round(restartGap.gap),
    restartGapStartMs: Math.round(restartGap.start - t1),
    reachableMs: Math.round(reachable - t1),
    caughtUpMs: Math.round(caughtUp - t1),
    longestWriteMs: Math.round(obs.longestOp(t0, t2)),
    refused: obs.count(obs.refused, t0, t2),
    unavailable: obs.count(obs.unavailable, t0, t2),
    unavailableWindowMs: Math.round(obs.unavailableWindow(t0, t1)),
    timeouts: obs.count(obs.timeouts, t0, t2),
    terms: after.term - leader.term,
  }
}

async function main(): Promise<void> {
  const load0 = loadavg()
  const c = await startBenchCluster({ name: 'rolling', nodes: 3, cli: 'built', keep: values.keep })
  const obs = new Observations()
  let running = true
  const w = await writers(c, obs, () => running)
  const turns: Turn[] = []
  let rttMs = 0
  try {
    const members = new MembersClient({
      endpoints: c.config.nodes.map((n) => `${n.http.host}:${n.http.port}`),
      secret: c.config.secret,
    })
    await delay(500)
    const w0 = performance.now()
    await delay(2000)
    rttMs = median(obs.ops.filter(([a]) => a >= w0).map(([a, b]) => b - a))
    for (const mode of modes)
      for (const id of Array.from({ length: passes }, () => c.admin.ids).flat()) {
        const t = await turn(c, members, mode, id, obs)
        turns.push(t)
        console.error(JSON.stringify(t))
      }
    if (c.nodes.unexpectedExits.length > 0)
      throw new Error(`nodes exited unexpectedly: ${JSON.stringify(c.nodes.unexpectedExits)}`)
  } finally {
    running = false
    w.close()
    await w.done.catch(() => undefined)
    await c.close()
  }
  const row = {
    bench: 'rolling-restart-ws',
    clients: clientCount,
    writes: obs.ops.length,
    medianWriteMs: Math.round(rttMs * 10) / 10,
    electionTimeoutMs: [c.config.raft.electionTimeoutMinMs, c.config.raft.electionTimeoutMaxMs],
    loadAverage: [load0[0] ?? 0, loadavg()[0] ?? 0].map((x) => Math.round(x * 100) / 100),
    turns,
  }
  console.log(JSON.stringify(row))
  console.table(
    turns
      .filter((t) => t.wasLeader)
      .map((t) => ({
        mode: t.mode,
        node: t.node,
        'longest gap ms': t.longestGapMs,
        'going down ms': t.downGapMs,
        'restart ms': t.restartGapMs,
        'longest write ms': t.longestWriteMs,
        'median write ms': row.medianWriteMs,
        refused: t.refused,
        'no leader named': t.unavailable,
        '503 window ms': t.unavailableWindowMs,
        timeouts: t.timeouts,
      })),
  )
}

process.once('SIGINT', () => {
  killEveryChild()
  process.exit(130)
})
await main()
