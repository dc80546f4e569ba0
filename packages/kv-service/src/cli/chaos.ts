/**
 * `raftkit chaos`: runs the chaos monkey, `raftkit-chaos` of @raftkit/test-suite, with the same
 * arguments. The monkey checks histories with the suite's linearizability checker, and packages
 * never depend on the suite, so it is found at run time (installed next to this package, as in
 * the raftkit repository) and started as a child process: no package dependency, no cycle.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Io } from './commands.js'

const NOT_INSTALLED =
  'raftkit chaos runs the chaos monkey of @raftkit/test-suite, which is not installed here:\n' +
  '  npm install @raftkit/test-suite   then   raftkit chaos ...   (or npx raftkit-chaos ...)\n'

/** How to start raftkit-chaos, or a reason why it cannot be started. */
export function chaosInvocation():
  { command: string; args: string[]; cwd: string } | { problem: string } {
  let root: string
  try {
    root = dirname(createRequire(import.meta.url).resolve('@raftkit/test-suite/package.json'))
  } catch {
    return { problem: NOT_INSTALLED }
  }
  const fromSource = extname(fileURLToPath(import.meta.url)) === '.ts'
  const source = join(root, 'src', 'cli', 'chaos.ts')
  const built = join(root, 'dist', 'cli', 'chaos.js')
  if (fromSource && existsSync(source)) {
    let tsx = 'tsx'
    try {
      tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href
    } catch {
      // left to node, from the working directory
    }
    return {
      command: process.execPath,
      args: ['--import', tsx, '--conditions=@raftkit/source', source],
      cwd: root,
    }
  }
  if (existsSync(built)) return { command: process.execPath, args: [built], cwd: root }
  return { problem: `@raftkit/test-suite has no ${built}; build it first (npm run build)\n` }
}

export async function cmdChaos(argv: readonly string[], io: Io): Promise<number> {
  const how = chaosInvocation()
  if ('problem' in how) {
    io.err(`raftkit chaos: ${how.problem}`)
    return 2
  }
  // Its own process group: a Ctrl-C reaches only this process, which passes exactly one SIGTERM
  // on (the monkey then repairs, checks what it has and stops its nodes).
  const child = spawn(how.command, [...how.args, ...argv], {
    cwd: process.cwd(),
    stdio: 'inherit',
    detached: true,
  })
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)))
    child.once('error', (e) => {
      io.err(`raftkit chaos: cannot start ${how.command}: ${e.message}\n`)
      resolve(1)
    })
  })
  let done = false
  void io.interrupted.then(() => {
    if (!done) child.kill('SIGTERM')
  })
  const code = await exited
  done = true
  return code
}
