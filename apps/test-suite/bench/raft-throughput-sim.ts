/**
 * The in-process throughput workload of `raft-throughput.ts` (3 nodes, the copying
 * transport-memory network, MemoryStorage, `--inflight` proposals outstanding on the leader,
 * every node consuming its apply stream) under a SimulatedClock instead of the real one, for
 * A/B comparisons on a shared machine. The real clock makes the batching (entries per Ready,
 * per AppendEntries, per write) depend on how fast the machine runs at that moment; here it is
 * a function of the arguments alone, so the work per entry is the same from run to run and CPU
 * time per entry of interleaved A/B runs compares the code, not the batching. Under callgrind
 * (`perf stat` is not available on this VM) one build's instruction count repeats to a few
 * hundred instructions with `node --predictable`:
 *
 *   npx esbuild bench/raft-throughput-sim.ts --bundle --platform=node --format=esm \
 *     --conditions=@raftkit/source --external:msgpackr-extract --outfile=/tmp/sim.mjs
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --predictable /tmp/sim.mjs --entries 60000
 *
 * but between two builds V8's own compile and deoptimization work moves with the code, and at
 * 80 000 entries it swamped the change measured (a build 12 % more instructions than another
 * ran 3 % less CPU): compare instruction counts only over runs long enough to amortize it.
 * Prints one JSON line.
 *
 *   npx tsx --conditions=@raftkit/source bench/raft-throughput-sim.ts [--entries 100000] [--inflight 10000] [--bytes 16]
 */
import { parseArgs } from 'node:util'
import { MemoryStorage, Raft, SimulatedClock, createRng } from '@raftkit/raft-core'
import type { NodeId } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    inflight: { type: 'string', default: '10000' },
    bytes: { type: 'string', default: '16' },
  },
})
const total = Number(values.entries)
const inflight = Number(values.inflight)
const payload = new Uint8Array(Number(values.bytes)).fill(1)
if (!Number.isSafeInteger(total) || total <= 0 || !Number.isSafeInteger(inflight) || inflight < 2)
  throw new Error('--entries must be a positive integer and --inflight at least 2')

async function main(): Promise<void> {
  const clock = new SimulatedClock()
  const network = createMemoryNetwork({ seed: 1, clock, copy: true })
  const ids: NodeId[] = ['a', 'b', 'c']
  const nodes: Raft[] = []
  for (const [i, id] of ids.entries())
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
  let leader: Raft | undefined
  await clock.run(async () => {
    while (!leader) {
      await clock.sleep(20)
      leader = nodes.find((n) => n.getState().isLeader)
    }
  })
  const lead = leader as Raft
  const base = lead.status().lastIndex
  let applied = 0
  let proposed = 0
  let done!: () => void
  const finished = new Promise<void>((resolve) => (done = resolve))
  const pump = (): void => {
    while (proposed < total && proposed - applied < inflight) {
      if (!lead.start(payload).isLeader) throw new Error('lost leadership during the benchmark')
      proposed++
    }
  }
  for (const n of nodes) if (n !== lead) n.onApply(() => undefined)
  lead.onApply((msg) => {
    if (msg.kind !== 'command' || msg.index <= base) return
    applied++
    if (applied === total) done()
    else if (proposed - applied < inflight / 2) pump()
  })
  const simStart = clock.now()
  const cpu0 = process.cpuUsage()
  await clock.run(async () => {
    pump()
    await finished
  })
  const cpu = process.cpuUsage(cpu0)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  console.log(
    JSON.stringify({
      bench: 'raft-throughput-sim',
      entries: total,
      entryBytes: payload.byteLength,
      inflight,
      simulatedMs: clock.now() - simStart,
      cpuSeconds: Number(cpuSeconds.toFixed(3)),
      entriesPerCpuSec: Math.round(total / cpuSeconds),
    }),
  )
  for (const n of nodes) await n.kill()
  await network.close()
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
