/**
 * The long seed sweep of issue 10 (not part of `npm test`): every scenario (2A–2D and, with
 * kv-service installed, 3A/3B) × N seeds × pipelineLeaderAppends off and on, on the simulated
 * disk (the default of simulated runs). Extra arguments go to raftkit-conformance, e.g.
 *
 *   npm run sweep -w @raftkit/conformance                      # 1000 seeds, everything
 *   npm run sweep -w @raftkit/conformance -- --seeds 100 --grep 2D
 *   npm run sweep -w @raftkit/conformance -- --first-seed 1001 --storage fs
 *   npm run sweep -w @raftkit/conformance -- --jobs 2               # seeds on 2 worker processes
 *
 * Exits non-zero when any run failed; every failure prints the command that replays it.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('../src/cli/conformance.ts', import.meta.url))
const args = process.argv.slice(2)
if (args.includes('--raft') || args.includes('--seed'))
  throw new Error('sweep sets --raft itself (both pipelining modes) and sweeps --seeds, not --seed')
const seeds = args.includes('--seeds') ? [] : ['--seeds', '1000']
let failedModes = 0
for (const pipelineLeaderAppends of [false, true]) {
  console.log(`== pipelineLeaderAppends: ${pipelineLeaderAppends} ==`)
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@raftkit/source',
      cli,
      ...seeds,
      ...args,
      '--raft',
      JSON.stringify({ pipelineLeaderAppends }),
    ],
    { stdio: 'inherit' },
  )
  if (run.status !== 0) failedModes++
}
process.exitCode = failedModes > 0 ? 1 : 0
