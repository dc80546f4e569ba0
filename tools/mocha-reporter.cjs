// Mocha reporter used by every package: the usual `spec` output on the terminal, plus a small
// JSON summary written to <repo>/.reports/<package>.json so that scripts/run-tests.mjs can add
// the counts of all packages up into one closing line ("N passed, N failed").
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const Mocha = require('mocha')

const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } =
  Mocha.Runner.constants

class RaftkitReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    const out =
      (options && options.reporterOptions && options.reporterOptions.output) ||
      path.join(__dirname, '..', '.reports', `${path.basename(process.cwd())}.json`)
    const result = { package: process.cwd(), passed: 0, failed: 0, pending: 0, failures: [] }
    runner.on(EVENT_TEST_PASS, () => {
      result.passed++
    })
    runner.on(EVENT_TEST_PENDING, () => {
      result.pending++
    })
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      result.failed++
      result.failures.push({ title: test.fullTitle(), error: String(err && err.message) })
    })
    runner.once(EVENT_RUN_END, () => {
      fs.mkdirSync(path.dirname(out), { recursive: true })
      fs.writeFileSync(out, JSON.stringify(result, null, 2))
    })
  }
}

module.exports = RaftkitReporter
