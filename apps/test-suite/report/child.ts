/**
 * Runs one of the benchmark scripts in bench/ as a child process (each in its own process, as
 * `npm run bench` does) and collects the JSON lines it prints on stdout. Its stderr lines are
 * passed on as progress. The command recorded in the report is the one a reader can paste.
 */
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** apps/test-suite, where the bench scripts' commands are run from. */
export const SUITE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The command as a reader would type it in apps/test-suite. */
export function benchCommand(script: string, args: readonly string[]): string {
  return `npx tsx --conditions=@raftkit/source bench/${script} ${args.join(' ')}`.trim()
}

export interface BenchRun {
  readonly command: string
  readonly rows: readonly Record<string, unknown>[]
}

/** Runs bench/`script` with `args`; rejects when it exits non-zero or is killed. */
export function runBench(
  script: string,
  args: readonly string[],
  onLine: (line: string) => void,
  timeoutMs: number,
): Promise<BenchRun> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@raftkit/source', join(SUITE_DIR, 'bench', script), ...args],
    { cwd: SUITE_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const rows: Record<string, unknown>[] = []
  const tail: string[] = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{')) {
      try {
        rows.push(JSON.parse(line) as Record<string, unknown>)
        return
      } catch {
        // not a JSON row: fall through
      }
    }
    remember(tail, line)
  })
  createInterface({ input: child.stderr }).on('line', (line) => {
    remember(tail, line)
    onLine(line)
  })
  const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const command = benchCommand(script, args)
      if (code === 0) resolve({ command, rows })
      else
        reject(
          new Error(
            `${command} exited with ${signal ?? String(code)}${signal === 'SIGINT' ? ` (time limit ${timeoutMs / 1000} s)` : ''}:\n${tail.join('\n')}`,
          ),
        )
    })
  })
}

function remember(tail: string[], line: string): void {
  tail.push(line)
  if (tail.length > 15) tail.shift()
}
