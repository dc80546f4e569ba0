/**
 * Kill -9 soak: `npm run soak -w @raftkit/storage-fs -- --kills 100 [--seed N] [--dir D]`.
 * Runs the SIGKILL round of test/kill9.ts `--kills` times on one directory and prints
 * "N kills, 0 acknowledged entries lost"; exits non-zero on any loss or damage.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { killSoak } from '../test/kill9.js'

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '100' },
    seed: { type: 'string' },
    dir: { type: 'string' },
  },
})
const kills = Number(values.kills)
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 0x7fffffff
if (!Number.isSafeInteger(kills) || kills < 1)
  throw new Error(`--kills must be a positive integer, got ${values.kills}`)

const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'raftkit-kill9-soak-')))
console.log(`kill -9 soak: ${kills} kills, seed ${seed}, dir ${dir}`)
const started = Date.now()
const result = await killSoak(dir, kills, seed, (i, r) => {
  if ((i + 1) % 10 === 0 || r.problems.length > 0) {
    console.log(
      `  kill ${i + 1}: acknowledged up to ${r.acked}, recovered up to ${r.recovered}${r.problems.length ? ` PROBLEMS: ${r.problems.join('; ')}` : ''}`,
    )
  }
})
for (const p of result.problems) console.error(`  ${p}`)
console.log(
  `${result.kills} kills, ${result.lost} acknowledged entries lost (${((Date.now() - started) / 1000).toFixed(1)} s, seed ${seed})`,
)
if (values.dir === undefined && result.problems.length === 0)
  await rm(dir, { recursive: true, force: true })
process.exitCode = result.lost > 0 || result.problems.length > 0 ? 1 : 0
