/**
 * The `raftkit` command line (the bin of @raftkit/kv-service): see `raftkit --help` and the
 * package README. SIGINT/SIGTERM end `serve` and `cluster` cleanly; a second signal while
 * stopping is ignored, a third forces the exit.
 */
import { runCli } from './commands.js'

let signals = 0
let onSignal: () => void = () => undefined
const interrupted = new Promise<void>((resolve) => (onSignal = resolve))
const handle = (): void => {
  signals++
  if (signals >= 3) process.exit(130)
  onSignal()
}
process.on('SIGINT', handle)
process.on('SIGTERM', handle)

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interrupted,
})
process.off('SIGINT', handle)
process.off('SIGTERM', handle)
process.exitCode = code
// Everything is closed by now; if a handle still keeps the loop alive, say so and exit anyway.
setTimeout(() => {
  process.stderr.write('raftkit: exiting with handles still open\n')
  process.exit(code)
}, 3000).unref()
