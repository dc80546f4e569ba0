/**
 * Paused nodes are resumed even when whoever paused them dies (the chaos driver killed with
 * SIGKILL, say). A node stopped with SIGSTOP cannot notice that its supervisor is gone (see
 * cli/supervised-node.ts), so it would stay stopped for good, holding its ports and its data
 * directory's lock. The guard is a small Node process, spawned on the first pause in a process
 * group of its own (a Ctrl-C aimed at the driver does not reach it), told every pause and every
 * resume over its stdin; when that pipe ends (the driver exited, however) it sends SIGCONT to
 * every process still paused and exits. The resumed node then sees its own stdin pipe end and
 * stops cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { Socket } from 'node:net'

/** The guard: `+pid` / `-pid` lines on stdin; at the end of stdin, SIGCONT to every `+pid` left. */
const GUARD_SCRIPT = `
const paused = new Set()
let rest = ''
const resumeAll = () => {
  for (const pid of paused) {
    try { process.kill(pid, 'SIGCONT') } catch {}
  }
  process.exit(0)
}
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => {
  const lines = (rest + chunk).split('\\n')
  rest = lines.pop()
  for (const line of lines) {
    const pid = Number(line.slice(1))
    if (!Number.isInteger(pid) || pid <= 0) continue
    if (line[0] === '+') paused.add(pid)
    else paused.delete(pid)
  }
})
process.stdin.on('end', resumeAll)
process.stdin.on('error', resumeAll)
`

/** Tells a guard process which node processes are paused (see the file's header). */
export class ResumeGuard {
  private guard: ChildProcess | undefined

  /** Call before the SIGSTOP: a driver that dies right after it still has the node resumed. */
  pausing(pid: number): void {
    this.tell(`+${pid}`)
  }

  /** Call after the SIGCONT, or once a paused process has exited. */
  resumed(pid: number): void {
    if (this.guard !== undefined) this.tell(`-${pid}`)
  }

  /** Ends the guard (it resumes whatever it still counts as paused); the next pause starts one. */
  close(): void {
    this.guard?.stdin?.end()
    this.guard = undefined
  }

  private tell(line: string): void {
    this.guard ??= startGuard()
    this.guard.stdin?.write(`${line}\n`)
  }
}

function startGuard(): ChildProcess {
  const guard = spawn(process.execPath, ['-e', GUARD_SCRIPT], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  })
  // A guard that could not start, or is gone, leaves things as they were before it existed.
  guard.once('error', () => undefined)
  guard.stdin?.on('error', () => undefined)
  // Neither the guard nor the pipe to it keeps this process running.
  guard.unref()
  ;(guard.stdin as Socket | null)?.unref()
  return guard
}
