/**
 * The fenced TypeScript examples of every README in the repository, extracted so the tests
 * (test/readme) and the packed-tarball check (scripts/pack-examples.ts) compile and run them
 * exactly as written. A block's info string says how it runs:
 *
 * - ```` ```ts ```` — a program: it must exit with code 0 within the time limit;
 * - ```` ```ts mocha grep=<regexp> ```` — a spec file (it registers mocha tests): run with mocha,
 *   only the tests that match;
 * - ```` ```ts runs=2 ```` — a program run twice in the same working directory (it must work
 *   on what its first run left behind, e.g. files);
 * - ```` ```ts cluster-node ```` — one node of a multi-process cluster, started once per node
 *   with `<id> <id>=<host:port> ...`, stopped with SIGTERM and restarted (see test/readme).
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { join, relative } from 'node:path'

export type ExampleKind = 'program' | 'mocha' | 'cluster-node'

export interface ReadmeExample {
  /** The README, relative to the repository root. */
  readonly readme: string
  /** 1-based line of the opening fence. */
  readonly line: number
  readonly kind: ExampleKind
  /** mocha: the --grep pattern. */
  readonly grep?: string
  /** program: how many times it runs in the same working directory (default 1). */
  readonly runs: number
  readonly code: string
  /** A file name for it: the README's folder and the line, e.g. `packages-raft-core-L23.ts`. */
  readonly fileName: string
}

/** Every README.md at the root, in packages/* and in apps/*. */
export function readmePaths(root: string): string[] {
  const out = [join(root, 'README.md')]
  for (const dir of ['packages', 'apps']) {
    const base = join(root, dir)
    if (!existsSync(base)) continue
    for (const name of readdirSync(base).sort()) {
      const readme = join(base, name, 'README.md')
      if (existsSync(readme)) out.push(readme)
    }
  }
  return out
}

export function extractExamples(root: string, readme: string): ReadmeExample[] {
  const lines = readFileSync(readme, 'utf8').split('\n')
  const rel = relative(root, readme)
  const slug = rel === 'README.md' ? 'root' : rel.replace(/\/README\.md$/, '').replace(/\//g, '-')
  const out: ReadmeExample[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)(?:\s+(.*))?$/.exec(lines[i] ?? '')
    if (!open) continue
    const info = (open[2] ?? '').trim().split(/\s+/).filter(Boolean)
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++) body.push(lines[i] ?? '')
    if (i >= lines.length) throw new Error(`${rel}:${start + 1}: unterminated code block`)
    let kind: ExampleKind = 'program'
    let grep: string | undefined
    let runs = 1
    for (const word of info) {
      if (word === 'mocha') kind = 'mocha'
      else if (word === 'cluster-node') kind = 'cluster-node'
      else if (word.startsWith('grep=')) grep = word.slice('grep='.length)
      else if (/^runs=[1-9]$/.test(word)) runs = Number(word.slice('runs='.length))
      else throw new Error(`${rel}:${start + 1}: unknown code block option "${word}"`)
    }
    out.push({
      readme: rel,
      line: start + 1,
      kind,
      ...(grep !== undefined ? { grep } : {}),
      runs,
      code: body.join('\n') + '\n',
      fileName: `${slug}-L${start + 1}.ts`,
    })
  }
  return out
}

export function allExamples(root: string): ReadmeExample[] {
  return readmePaths(root).flatMap((readme) => extractExamples(root, readme))
}
