/**
 * `npm run bench`: runs every benchmark in this folder one after another, each in its own
 * process (so one's garbage does not slow the next). Each prints a JSON line and a table.
 * Figures are recorded in BENCHMARKS.md at the repository root with the machine and date.
 */
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
// [file, arguments, node flags]
const benches: ReadonlyArray<readonly [string, readonly string[], (readonly string[])?]> = [
  ['raft-throughput.ts', []],
  ['storage-fs.ts', ['--seconds', '3']],
  ['linearizability.ts', []],
  ['kv-throughput.ts', ['--seconds', '3']],
  ['kv-memory.ts', [], ['--expose-gc']],
  ['kv-client-cpu.ts', ['--seconds', '3']],
  // raftkit and etcd interleaved (3 pairs at 1, 64 and 256 clients; raftkit alone without etcd).
  ['side-by-side.ts', []],
  ['failover-ws.ts', ['--rounds', '20']],
  // A sharded cluster: 1, 2, 4 groups (each on its own 3 processes) × 64, 256 clients ×
  // storageSync always/never, writes/s, server CPU and each group's leader CPU per write; the
  // migration time of one shard holding 10 000 keys.
  ['shard-ws.ts', []],
]

let failed = 0
for (const [file, args, nodeFlags = []] of benches) {
  console.log(`\n=== ${file} ${args.join(' ')}`)
  const r = spawnSync(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', '--conditions=@raftkit/source', join(here, file), ...args],
    { stdio: 'inherit' },
  )
  if (r.status !== 0) failed++
}
process.exitCode = failed > 0 ? 1 : 0
