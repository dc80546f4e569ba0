// Loaded by every package's .mocharc.json (`require`): an unhandled promise rejection fails the
// test that is running. Mocha traps `unhandledRejection` and, for one that does not come from
// Mocha itself, re-emits it on `process` with its own listener removed; with no other listener
// that re-emit does nothing, so a rejection nobody handled passed silently. Throwing here turns
// it into an uncaught exception, which Mocha reports as a failure of the current test.
'use strict'
process.on('unhandledRejection', (reason) => {
  throw reason instanceof Error ? reason : new Error(`unhandled rejection: ${String(reason)}`)
})
