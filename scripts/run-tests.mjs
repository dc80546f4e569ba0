#!/usr/bin/env node
// Runs every workspace's tests through turbo, then adds up the JSON summaries that
// tools/mocha-reporter.cjs wrote into .reports/ and prints one closing line:
//   N passed, N failed
// Exits non-zero if any test failed, if turbo failed, or if no test ran at all.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const reports = join(root, '.reports')
rmSync(reports, { recursive: true, force: true })

const extra = process.argv.slice(2)
const turbo = spawnSync(
  'npx',
  ['turbo', 'run', 'test', '--continue', '--concurrency=1', ...extra],
  {
    cwd: root,
    stdio: 'inherit',
  },
)

let passed = 0
let failed = 0
let pending = 0
const failures = []
if (existsSync(reports)) {
  for (const file of readdirSync(reports).filter((f) => f.endsWith('.json'))) {
    const r = JSON.parse(readFileSync(join(reports, file), 'utf8'))
    passed += r.passed
    failed += r.failed
    pending += r.pending
    for (const f of r.failures)
      failures.push(`${file.replace(/\.json$/, '')}: ${f.title}: ${f.error}`)
  }
}
if (failures.length > 0) {
  console.log('\nFailures:')
  for (const f of failures) console.log(`  - ${f}`)
}
if (turbo.status !== 0 && failed === 0) {
  // a package crashed before its reporter could write (syntax error, hook failure): count it
  failed += 1
  console.log('\nturbo reported a failing task that wrote no failure report')
}
console.log(`\n${passed} passed, ${failed} failed${pending ? `, ${pending} skipped` : ''}`)
process.exit(failed > 0 || passed === 0 || turbo.status !== 0 ? 1 : 0)
