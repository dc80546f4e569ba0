/**
 * A node process tied to its supervisor (LocalCluster, NodeProcesses): it gets a stdin pipe and
 * STOP_ON_STDIN_CLOSE_ENV=1, and `raftkit serve` (main.ts) treats the end of that pipe as a
 * SIGTERM, so the node stops cleanly when the supervisor is gone, even by SIGKILL.
 */
import type { ChildProcess } from 'node:child_process'

export const STOP_ON_STDIN_CLOSE_ENV = 'RAFTKIT_STOP_ON_STDIN_CLOSE'

/** spawn() options for a supervised node whose stdout and stderr go to the file `log`. */
export function supervisedSpawnOptions(log: number): {
  env: NodeJS.ProcessEnv
  stdio: ['pipe', number, number]
} {
  return { env: { ...process.env, [STOP_ON_STDIN_CLOSE_ENV]: '1' }, stdio: ['pipe', log, log] }
}

/** Nothing is written to the pipe; a dead node's broken pipe is expected, not an error. */
export function ignoreStdinErrors(child: ChildProcess): void {
  child.stdin?.on('error', () => undefined)
}
