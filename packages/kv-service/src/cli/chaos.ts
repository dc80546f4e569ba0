/**
 * `raftkit chaos`: the chaos monkey (src/chaos) against a real cluster of `raftkit serve`
 * processes. Ctrl-C / SIGTERM ends the run early: faults are repaired, the partial history is
 * checked and every node process is stopped (main.ts exits on a third signal, and the node
 * processes are killed when this process exits).
 */
import { runChaosCli } from '../chaos/cli.js'

/** What `raftkit chaos` needs of the CLI's Io (commands.ts), declared here to keep no circle. */
export interface ChaosCommandIo {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** Resolves when the user asks to stop (SIGINT/SIGTERM). */
  readonly interrupted: Promise<void>
}

export async function cmdChaos(argv: readonly string[], io: ChaosCommandIo): Promise<number> {
  const controller = new AbortController()
  let done = false
  void io.interrupted.then(() => {
    if (done) return
    io.err('\nraftkit chaos: stopping (a third signal kills everything now)\n')
    controller.abort()
  })
  try {
    return await runChaosCli(argv, { out: io.out, err: io.err, signal: controller.signal })
  } finally {
    done = true
  }
}
