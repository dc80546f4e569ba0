#!/usr/bin/env node
// `npm run mutation [-- <group>] [stryker options]`: mutation testing with StrykerJS.
// Groups: raft-core (default), membership, runtime, kv, kv-server, shardkv, shardkv-servers,
// storage, transport, checker, all. Stryker mutates the files IN PLACE (see stryker.config.mjs), so
// run it in a clean clone, never in a working tree others edit:
//   git clone <repo> /tmp/mut && cd /tmp/mut && npm ci && npm run mutation
// The run refuses to start when the files it mutates have uncommitted changes.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const args = process.argv.slice(2)
const named = args[0] && !args[0].startsWith('-') ? args.shift() : 'raft-core'
const groups =
  named === 'all'
    ? [
        'raft-core',
        'membership',
        'runtime',
        'kv',
        'kv-server',
        'shardkv',
        'shardkv-servers',
        'storage',
        'transport',
        'checker',
      ]
    : [named]

if (!existsSync(join(here, 'node_modules', '@stryker-mutator', 'core'))) {
  console.log('installing the mutation tools (tools/mutation/package-lock.json)')
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' })
}
const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: root })
  .toString()
  .trim()
if (dirty && !process.env.MUTATION_ALLOW_DIRTY) {
  console.error(`Stryker mutates files in place; commit or move these changes first:\n${dirty}`)
  process.exit(2)
}
const stryker = join(here, 'node_modules', '.bin', 'stryker')
for (const group of groups) {
  console.log(`\n=== mutation group ${group} ===`)
  const r = spawnSync(stryker, ['run', 'tools/mutation/stryker.config.mjs', ...args], {
    cwd: root,
    stdio: 'inherit',
    // The safety properties run 100 cluster histories by default (a minute): 10 (seeded) here.
    env: {
      RAFT_PROPERTY_RUNS: '10',
      // transport-ws's codec specs: 200 random messages instead of 2 000 (test/random.ts).
      CODEC_RUNS_SCALE: '0.1',
      ...process.env,
      MUTATION_GROUP: group,
    },
  })
  if (r.status !== 0) process.exit(r.status ?? 1)
}
