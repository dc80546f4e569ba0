/**
 * The `raftkit` CLI run in this process (runCli) with its output captured: the exit code and
 * everything written to stdout and stderr. Never interrupted.
 */
import { runCli } from '../src/cli/commands.js'

export interface CliRun {
  readonly code: number
  readonly out: string
  readonly err: string
}

export async function cli(argv: readonly string[]): Promise<CliRun> {
  let out = ''
  let err = ''
  const code = await runCli(argv, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    interrupted: new Promise<void>(() => undefined),
  })
  return { code, out, err }
}
