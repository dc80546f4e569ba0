/**
 * In-process commit throughput and per-entry latency of a 3-node raftkit cluster:
 * transport-memory (reliable, no faults) + MemoryStorage + the real clock. The bench keeps
 * `--inflight` proposals outstanding on the leader (default 10 000; refilled whenever half of
 * them have been applied) and counts entries applied on the leader per second; latency is
 * start() → apply on the leader, for every `--latency-every`-th entry (default 16: reading the
 * clock costs 0.1–0.2 µs on this VM, and two reads per entry were a tenth of the CPU the bench
 * measured; `1` times every entry). Every node consumes its apply stream (as a service would),
 * so followers do not buffer what they apply.
 *
 * `--copy` chooses the network mode: `true` (the default network: every message is copied, so
 * sender and receiver share no memory), `false` (the network's trusted mode: the receiver gets
 * the sender's object), or `both` (default: one cluster per mode, one after the other).
 *
 * It also measures the physical ceiling of one in-process hop: messages/s pushed through an
 * array and handed to a consumer by one microtask each.
 *
 * Prints one JSON line per measurement, then a table. `--hop false` skips the queue hop (for
 * A/B runs of the raft cluster alone, e.g. under `perf stat`).
 *
 *   npx tsx --conditions=@raftkit/source bench/raft-throughput.ts [--entries 300000] [--inflight 10000] [--bytes 16] [--copy both|true|false] [--hop true|false] [--latency-every 16]
 */
import { parseArgs } from 'node:util'
import { cpus } from 'node:os'
import { MemoryStorage, Raft, SystemClock, createRng } from '@raftkit/raft-core'
import type { NodeId } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import * as hdr from 'hdr-histogram-js'

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '300000' },
    inflight: { type: 'string', default: '10000' },
    bytes: { type: 'string', default: '16' },
    copy: { type: 'string', default: 'both' },
    hop: { type: 'string', default: 'true' },
    'latency-every': { type: 'string', default: '16' },
  },
})
const total = Number(values.entries)
const inflight = Number(values.inflight)
const latencyEvery = Number(values['latency-every'])
const payload = new Uint8Array(Number(values.bytes)).fill(1)
const modes: boolean[] =
  values.copy === 'both' ? [true, false] : values.copy === 'false' ? [false] : [true]
if (!Number.isSafeInteger(total) || total <= 0 || !Number.isSafeInteger(inflight) || inflight < 2)
  throw new Error('--entries must be a positive integer and --inflight at least 2')
if (!['both', 'true', 'false'].includes(values.copy))
  throw new Error('--copy must be both, true or false')
if (!['true', 'false'].includes(values.hop)) throw new Error('--hop must be true or false')
if (!Number.isSafeInteger(latencyEvery) || latencyEvery < 1)
  throw new Error('--latency-every must be a positive integer')

interface RaftResult {
  readonly bench: 'raft-throughput'
  readonly copy: boolean
  readonly nodes: number
  readonly entries: number
  readonly entryBytes: number
  readonly inflight: number
  /** Latency was measured for one entry in this many. */
  readonly latencyEvery: number
  readonly seconds: number
  readonly entriesPerSec: number
  /** CPU time (user + system) of the process during the run: robust on a loaded machine. */
  readonly cpuSeconds: number
  readonly entriesPerCpuSec: number
  readonly latencyUs: { readonly p50: number; readonly p99: number; readonly max: number }
  readonly node: string
  readonly cpu: string
}

async function runRaft(copy: boolean): Promise<RaftResult> {
  const ids: NodeId[] = ['a', 'b', 'c']
  const clock = new SystemClock()
  const network = createMemoryNetwork({ seed: 1, clock, copy })
  const nodes: Raft[] = []
  for (const [i, id] of ids.entries()) {
    nodes.push(
      await Raft.create({
        id,
        peers: ids,
        transport: network.endpoint(id),
        storage: new MemoryStorage(),
        clock,
        rng: createRng(i + 1),
      }),
    )
  }
  let leader: Raft | undefined
  while (!leader) {
    await clock.sleep(20)
    leader = nodes.find((n) => n.getState().isLeader)
  }
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  })
  const lead = leader
  const base = lead.status().lastIndex
  // start() time of the entry at base + 1 + k, in ms (NaN: not proposed by the bench).
  const startedAt = new Float64Array(total).fill(NaN)
  let applied = 0
  let proposed = 0
  let done!: () => void
  const finished = new Promise<void>((resolve) => (done = resolve))

  const pump = (): void => {
    while (proposed < total && proposed - applied < inflight) {
      const r = lead.start(payload)
      if (!r.isLeader) throw new Error('lost leadership during the benchmark')
      const k = r.index - base - 1
      if (k >= 0 && k < total && k % latencyEvery === 0) startedAt[k] = clock.now()
      proposed++
    }
  }
  for (const n of nodes) if (n !== lead) n.onApply(() => undefined)
  lead.onApply((msg) => {
    if (msg.kind !== 'command' || msg.index <= base) return
    const s = startedAt[msg.index - base - 1]
    if (s !== undefined && !Number.isNaN(s))
      histogram.recordValue(Math.max(1, Math.round((clock.now() - s) * 1000)))
    applied++
    if (applied === total) done()
    else if (proposed - applied < inflight / 2) pump()
  })
  const t0 = clock.now()
  const cpu0 = process.cpuUsage()
  pump()
  await finished
  const seconds = (clock.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  if (process.env['BENCH_DEBUG']) console.error(network.stats())
  for (const n of nodes) await n.kill()
  await network.close()
  return {
    bench: 'raft-throughput',
    copy,
    nodes: 3,
    entries: total,
    entryBytes: payload.byteLength,
    inflight,
    latencyEvery,
    seconds: Number(seconds.toFixed(3)),
    entriesPerSec: Math.round(total / seconds),
    cpuSeconds: Number(cpuSeconds.toFixed(3)),
    entriesPerCpuSec: Math.round(total / cpuSeconds),
    latencyUs: {
      p50: histogram.getValueAtPercentile(50),
      p99: histogram.getValueAtPercentile(99),
      max: histogram.maxValue,
    },
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
  }
}

/**
 * The ceiling of one in-process hop: the producer pushes each message into an array and
 * queues one microtask per message; the microtask takes the oldest message and consumes it.
 * Produced in bursts of `burst` messages, each burst drained before the next.
 */
async function queueHop(messages: number, burst = 10_000): Promise<number> {
  const queue: number[] = []
  let head = 0
  let sum = 0
  const consume = (): void => {
    sum += queue[head++] as number
    if (head === queue.length) {
      queue.length = 0
      head = 0
    }
  }
  const t0 = performance.now()
  for (let sent = 0; sent < messages;) {
    const n = Math.min(burst, messages - sent)
    for (let i = 0; i < n; i++) {
      queue.push(sent + i)
      queueMicrotask(consume)
    }
    sent += n
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  const seconds = (performance.now() - t0) / 1000
  if (sum !== (messages * (messages - 1)) / 2) throw new Error('queue hop lost messages')
  return Math.round(messages / seconds)
}

async function main(): Promise<void> {
  const hopMessages = values.hop === 'false' ? 0 : 5_000_000
  const hopPerSec = hopMessages > 0 ? await queueHop(hopMessages) : NaN
  if (hopMessages > 0)
    console.log(
      JSON.stringify({ bench: 'queue-hop', messages: hopMessages, messagesPerSec: hopPerSec }),
    )
  const results: RaftResult[] = []
  for (const copy of modes) {
    const result = await runRaft(copy)
    console.log(JSON.stringify(result))
    results.push(result)
  }
  console.table([
    ...results.map((r) => ({
      what: `raft, 3 nodes, network ${r.copy ? 'copies messages' : 'trusted (no copy)'}`,
      'per second': r.entriesPerSec,
      'per CPU second': r.entriesPerCpuSec,
      count: r.entries,
      'bytes/entry': r.entryBytes,
      inflight: r.inflight,
      'p50 µs': r.latencyUs.p50,
      'p99 µs': r.latencyUs.p99,
    })),
    ...(hopMessages > 0
      ? [
          {
            what: 'queue hop: array + microtask (ceiling)',
            'per second': hopPerSec,
            count: hopMessages,
          },
        ]
      : []),
  ])
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
