/**
 * The seeded sweep of the shard scenarios (issue 14; not part of `npm test`): every 4A and 4B
 * scenario × 500 seeds by default, in simulated time over the memory adapters. Extra arguments
 * go to raftkit-conformance, e.g.
 *
 *   npm run sweep:shard -w @raftkit/conformance                           # 500 seeds × 15 scenarios
 *   npm run sweep:shard -w @raftkit/conformance -- --seeds 50 --first-seed 1001
 *   npm run sweep:shard -w @raftkit/conformance -- --grep 'Unreliable34B$' --seeds 200
 *   npm run sweep:shard -w @raftkit/conformance -- --jobs 2     # seeds on 2 worker processes
 *
 * About 9 CPU seconds per seed for all 15 scenarios (TESTING.md, "Cost per seed"; so ~1.3 h of
 * one core for 500 seeds, about half that in wall time with --jobs 2 on a free 2-core machine).
 * Exits non-zero when any run failed; every failure prints the command that replays it.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('../src/cli/conformance.ts', import.meta.url))
const args = process.argv.slice(2)
if (args.includes('--seed'))
  throw new Error('sweep:shard sweeps --seeds; replay one seed with raftkit-conformance --seed')
const seeds = args.includes('--seeds') ? [] : ['--seeds', '500']
const grep = args.includes('--grep') ? [] : ['--grep', '4[AB]$']
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--conditions=@raftkit/source', cli, ...seeds, ...grep, ...args],
  { stdio: 'inherit' },
)
process.exitCode = run.status === 0 ? 0 : 1
