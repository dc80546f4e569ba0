/**
 * raftkit-chaos: the chaos monkey for a real raftkit cluster (see `raftkit-chaos --help`).
 * Ctrl-C / SIGTERM ends the run early: faults are repaired, the partial history is checked and
 * every node process is stopped; a second signal kills the nodes and exits at once.
 */
import { killEveryChild } from '../chaos/processes.js'
import { runChaosCli } from '../chaos/cli.js'

const controller = new AbortController()
let signals = 0
const handle = (): void => {
  signals++
  if (signals >= 2) {
    killEveryChild()
    process.exit(130)
  }
  process.stderr.write('\nraftkit-chaos: stopping (again to kill everything now)\n')
  controller.abort()
}
process.on('SIGINT', handle)
process.on('SIGTERM', handle)

const code = await runChaosCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  signal: controller.signal,
})
process.off('SIGINT', handle)
process.off('SIGTERM', handle)
process.exitCode = code
setTimeout(() => {
  process.stderr.write('raftkit-chaos: exiting with handles still open\n')
  killEveryChild()
  process.exit(code)
}, 3000).unref()
