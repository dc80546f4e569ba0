/**
 * The `raftkit` command line (the bin of @raftkit/kv-service): see `raftkit --help` and the
 * package README. SIGINT/SIGTERM end `serve` and `cluster` cleanly; a second signal while
 * stopping is ignored, a third forces the exit; a signal after the command has finished is
 * ignored.
 *
 * The signal handlers are the first thing this module does: the commands (and everything they
 * import, which takes seconds under load) are loaded afterwards with a dynamic import, so a
 * signal that arrives while the CLI is still loading is remembered and honoured by the command
 * (`serve` then exits 0 without starting the node) instead of killing the process mid-start.
 *
 * RAFTKIT_TEST_HOLD_STARTUP=1 (for tests only) holds start-up at the point where the commands
 * are loaded until a signal arrives (at most 60 s), after printing
 * `raftkit: start-up held (RAFTKIT_TEST_HOLD_STARTUP)` to stderr: it lets a test deliver a
 * signal in that window deterministically. RAFTKIT_TEST_HOLD_EXIT=1 likewise holds the process
 * for 2 s after its command has finished (printing `raftkit: exit held`), for a late signal.
 *
 * RAFTKIT_STOP_ON_STDIN_CLOSE=1 (set for their nodes by LocalCluster — `raftkit cluster`, `npm
 * start` — and NodeProcesses — `raftkit chaos`, the multi-process test harness — which hold the
 * other end of a stdin pipe): the end of stdin counts as a SIGTERM, so a node stops cleanly when
 * its supervisor is gone, even by SIGKILL, instead of running on orphaned.
 */
import { STOP_ON_STDIN_CLOSE_ENV } from './supervised-node.js'

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
if (process.env[STOP_ON_STDIN_CLOSE_ENV] === '1') {
  const stdin = process.stdin
  // Like a first SIGTERM, but never counted towards the third that forces the exit: the pipe
  // also ends after a clean stop, when the supervisor exits.
  const supervisorGone = (): void => onSignal()
  stdin.once('end', supervisorGone)
  stdin.once('close', supervisorGone)
  stdin.on('error', () => undefined) // an error ends the stream too ('close')
  stdin.resume() // read (and drop) whatever comes, to see the end
  ;(stdin as { unref?: () => void }).unref?.() // reading stdin alone keeps nothing alive
}

if (process.env['RAFTKIT_TEST_HOLD_STARTUP'] === '1') {
  process.stderr.write('raftkit: start-up held (RAFTKIT_TEST_HOLD_STARTUP)\n')
  let timer: NodeJS.Timeout | undefined
  await Promise.race([interrupted, new Promise((r) => (timer = setTimeout(r, 60_000)))])
  clearTimeout(timer)
}

const { runCli } = await import('./commands.js')
const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interrupted,
})
// The command is done and the process is on its way out. A late SIGINT/SIGTERM must not kill it
// now: after a Ctrl-C that reached the whole process group, `raftkit cluster` (and `npm start`)
// sends each node a SIGTERM that can cross the node's own clean stop, and death by that signal
// would turn a clean exit into a failure (`n3 exited with -1`). Late signals are ignored; the
// timer below still ends a process that does not exit by itself.
process.off('SIGINT', handle)
process.off('SIGTERM', handle)
const ignoreLateSignal = (): void => undefined
process.on('SIGINT', ignoreLateSignal)
process.on('SIGTERM', ignoreLateSignal)
process.exitCode = code
if (process.env['RAFTKIT_TEST_HOLD_EXIT'] === '1') {
  process.stderr.write('raftkit: exit held (RAFTKIT_TEST_HOLD_EXIT)\n')
  await new Promise((r) => setTimeout(r, 2000))
}
// Everything is closed by now; if a handle still keeps the loop alive, say so and exit anyway.
setTimeout(() => {
  process.stderr.write('raftkit: exiting with handles still open\n')
  process.exit(code)
}, 3000).unref()
