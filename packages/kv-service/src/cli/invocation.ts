/**
 * How to run this package's `raftkit` CLI in a child process (from the sources through tsx, or
 * the built bin): one answer for `raftkit cluster` (LocalCluster), `raftkit chaos` and the
 * multi-process tests (NodeProcesses, runRaftkit).
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** How to run the `raftkit` CLI of this package (@raftkit/kv-service) in a child process. */
export interface CliInvocation {
  readonly command: string
  readonly args: readonly string[]
  readonly cwd: string
}

/**
 * The `raftkit` CLI: from kv-service's sources through tsx when this file runs from source (the
 * tests), else kv-service's built bin. `prefer: 'built'` (the benchmarks: measure what users
 * run, with no transpiling loader in the servers) takes the built bin whenever it exists. The
 * package root is found through the package's own exported package.json (a self-reference), so
 * this works from the sources, from dist and from an installed tarball alike.
 */
export function raftkitInvocation(prefer: 'auto' | 'built' = 'auto'): CliInvocation {
  const require = createRequire(import.meta.url)
  const root = dirname(require.resolve('@raftkit/kv-service/package.json'))
  const fromSource = extname(fileURLToPath(import.meta.url)) === '.ts' && prefer !== 'built'
  const source = join(root, 'src', 'cli', 'main.ts')
  const built = join(root, 'dist', 'cli', 'main.js')
  if (!fromSource && existsSync(built))
    return { command: process.execPath, args: [built], cwd: root }
  if (!existsSync(source))
    throw new Error(`cannot find the raftkit CLI: neither ${built} nor ${source} exists`)
  return {
    command: process.execPath,
    // `tsx` is resolved by node from the working directory (the package, in this workspace).
    args: ['--import', 'tsx', '--conditions=@raftkit/source', source],
    cwd: root,
  }
}
