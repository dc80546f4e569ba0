/** `raftkit chaos` as a function: parses the command line, runs, returns the exit code. */
import { randomInt } from 'node:crypto'
import { CHAOS_USAGE, ChaosUsageError, parseChaosArgs } from './args.js'
import { runChaos } from './driver.js'

export interface ChaosCliIo {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** Aborted on Ctrl-C / SIGTERM: the run stops early and cleans up. */
  readonly signal?: AbortSignal
}

export async function runChaosCli(argv: readonly string[], io: ChaosCliIo): Promise<number> {
  let command
  try {
    command = parseChaosArgs(argv, () => randomInt(1, 0x7fffffff))
  } catch (e) {
    if (e instanceof ChaosUsageError) {
      io.err(`raftkit chaos: ${e.message}\n\n${CHAOS_USAGE}\n`)
      return 2
    }
    throw e
  }
  if (command.help) {
    io.out(`${CHAOS_USAGE}\n`)
    return 0
  }
  try {
    const result = await runChaos(command.options, {
      out: io.out,
      ...(io.signal ? { signal: io.signal } : {}),
    })
    return result.exitCode
  } catch (e) {
    io.err(`raftkit chaos: ${e instanceof Error ? e.message : String(e)}\n`)
    return io.signal?.aborted ? 130 : 1
  }
}
