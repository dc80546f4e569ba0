/**
 * In-process commit throughput and per-entry latency of a 3-node raftkit cluster:
 * transport-memory (reliable, no faults) + MemoryStorage + the real clock. The bench keeps
 * `--inflight` proposals outstanding on the leader (default 10 000) and counts entries applied
 * on the leader per second; latency is start() → apply on the leader, for every entry.
 * Prints one JSON line, then a table.
 *
 *   npx tsx --conditions=@raftkit/source bench/raft-throughput.ts [--entries 300000] [--inflight 10000] [--bytes 16]
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
  },
})
const total = Number(values.entries)
const inflight = Number(values.inflight)
const payload = new Uint8Array(Number(values.bytes)).fill(1)

async function main(): Promise<void> {
  const ids: NodeId[] = ['a', 'b', 'c']
  const clock = new SystemClock()
  const network = createMemoryNetwork({ seed: 1, clock })
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
  const startedAt = new Map<number, number>()
  let applied = 0
  let proposed = 0
  let t0 = 0
  let done!: () => void
  const finished = new Promise<void>((resolve) => (done = resolve))
  const lead = leader
  const base = lead.status().lastIndex

  const pump = (): void => {
    while (proposed < total && proposed - applied < inflight) {
      const r = lead.start(payload)
      if (!r.isLeader) throw new Error('lost leadership during the benchmark')
      startedAt.set(r.index, clock.now())
      proposed++
    }
  }
  lead.onApply((msg) => {
    if (msg.kind !== 'command' || msg.index <= base) return
    const s = startedAt.get(msg.index)
    if (s !== undefined) {
      histogram.recordValue(Math.max(1, Math.round((clock.now() - s) * 1000)))
      startedAt.delete(msg.index)
    }
    applied++
    if (applied === total) done()
    else if (proposed - applied < inflight / 2) pump()
  })
  t0 = clock.now()
  pump()
  await finished
  const seconds = (clock.now() - t0) / 1000
  const result = {
    bench: 'raft-throughput',
    nodes: 3,
    entries: total,
    entryBytes: payload.byteLength,
    inflight,
    seconds: Number(seconds.toFixed(3)),
    entriesPerSec: Math.round(total / seconds),
    latencyUs: {
      p50: histogram.getValueAtPercentile(50),
      p99: histogram.getValueAtPercentile(99),
      max: histogram.maxValue,
    },
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
  }
  if (process.env['BENCH_DEBUG']) console.error(network.stats())
  console.log(JSON.stringify(result))
  console.table([
    {
      'entries/s': result.entriesPerSec,
      entries: total,
      'bytes/entry': payload.byteLength,
      inflight,
      'p50 µs': result.latencyUs.p50,
      'p99 µs': result.latencyUs.p99,
    },
  ])
  for (const n of nodes) await n.kill()
  await network.close()
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
