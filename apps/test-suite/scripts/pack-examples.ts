/**
 * `npm run pack-examples` (root): what a user gets from the registry. Packs every published
 * package (run `npm run build` first), installs the tarballs into a fresh app in a temporary
 * folder, and compiles and runs every README example there exactly as written — no source
 * condition, no workspace links. With --footprint it also installs each package alone (with the
 * raftkit packages it depends on) and prints what that pulls in: packages and bytes on disk.
 */
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { allExamples } from '../src/readme-examples.js'
import type { ExampleEnv } from '../src/readme-runner.js'
import {
  compileExamples,
  freshCwd,
  removeCwd,
  runClusterNode,
  runMocha,
  runProgram,
  writeExamples,
} from '../src/readme-runner.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
// Every published package: packages/* that are not private.
const PACKAGES = readdirSync(join(root, 'packages'))
  .filter((dir) => existsSync(join(root, 'packages', dir, 'package.json')))
  .filter((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as {
      private?: boolean
    }
    return pkg.private !== true
  })
  .sort()
// What the README examples need besides the packages (the versions the repository uses).
const TOOLS = [
  'typescript@~5.9.3',
  'tsx@^4.23.15',
  'mocha@^12.0.3',
  '@types/node@^20.19.0',
  '@types/mocha@^10.0.10',
]

const footprint = process.argv.includes('--footprint')
const keep = process.argv.includes('--keep')

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
}

function manifest(pkg: string): { name: string; dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as {
    name: string
    dependencies?: Record<string, string>
  }
}

function pack(dest: string): Map<string, string> {
  const tarballs = new Map<string, string>()
  for (const pkg of PACKAGES) {
    if (!existsSync(join(root, 'packages', pkg, 'dist')))
      throw new Error(`packages/${pkg}/dist is missing: run npm run build first`)
    const out = JSON.parse(
      npm(['pack', '--json', '--pack-destination', dest], join(root, 'packages', pkg)),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>
    const info = out[0]
    if (!info) throw new Error(`npm pack printed nothing for ${pkg}`)
    if (!info.files.some((f) => f.path === 'LICENSE'))
      throw new Error(`${pkg}: no LICENSE in the tarball`)
    tarballs.set(manifest(pkg).name, join(dest, info.filename.replace(/^@/, '').replace(/\//, '-')))
  }
  return tarballs
}

function newApp(dir: string): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'raftkit-readme-app', private: true, type: 'module' }, null, 2),
  )
}

/** Bytes under `dir`. */
function du(dir: string): number {
  let total = 0
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    const st = statSync(p, { throwIfNoEntry: false })
    if (!st) continue
    total += st.isDirectory() ? du(p) : st.size
  }
  return total
}

/** The raftkit packages `pkg` needs, itself included. */
function closure(name: string, out = new Set<string>()): Set<string> {
  if (out.has(name)) return out
  out.add(name)
  const pkg = PACKAGES.find((p) => manifest(p).name === name)
  if (!pkg) return out
  for (const dep of Object.keys(manifest(pkg).dependencies ?? {}))
    if (dep.startsWith('@raftkit/')) closure(dep, out)
  return out
}

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'raftkit-pack-'))
  let failures = 0
  try {
    const tarballs = pack(work)
    console.log(`packed ${tarballs.size} packages into ${work}`)

    const app = join(work, 'app')
    newApp(app)
    npm(
      ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs.values(), ...TOOLS],
      app,
    )
    const examples = allExamples(root)
    // tsx as the app resolves it (the examples run from other working directories).
    const tsx = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "console.log(import.meta.resolve('tsx'))"],
      { cwd: app, encoding: 'utf8' },
    ).trim()
    const env: ExampleEnv = {
      dir: join(app, 'examples'),
      nodeFlags: ['--import', tsx],
      mochaBin: join(app, 'node_modules', 'mocha', 'bin', 'mocha.js'),
      tscBin: join(app, 'node_modules', 'typescript', 'bin', 'tsc'),
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node', 'mocha'],
      },
    }
    writeExamples(env, examples)
    const tsc = compileExamples(env)
    if (tsc) {
      failures++
      console.log(`FAIL compile\n${tsc}`)
    } else console.log(`ok   ${examples.length} examples compile against the tarballs`)
    for (const e of examples) {
      const cwd = freshCwd()
      let problem: string | undefined
      try {
        if (e.kind === 'cluster-node') problem = await runClusterNode(env, e, cwd, 100_000)
        else
          for (let i = 1; i <= e.runs && problem === undefined; i++) {
            const r = await (e.kind === 'mocha' ? runMocha : runProgram)(env, e, cwd, 120_000)
            if (r.code !== 0) problem = `run ${i}: exit ${r.code ?? r.signal}\n${r.output}`
          }
      } finally {
        removeCwd(cwd)
      }
      if (problem) failures++
      console.log(
        `${problem ? 'FAIL' : 'ok  '} ${e.readme}:${e.line} (${e.kind})${problem ? `\n${problem}` : ''}`,
      )
    }

    if (footprint) {
      console.log(
        '\nfootprint: npm install <package> into an empty app (its raftkit deps from tarballs)',
      )
      console.log('| package | packages installed | on disk |')
      console.log('|---|---:|---:|')
      for (const [name] of tarballs) {
        const dir = join(work, `alone-${name.replace(/^@raftkit\//, '')}`)
        newApp(dir)
        const own = [...closure(name)].map((n) => tarballs.get(n) as string)
        npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=peer', ...own], dir)
        const lock = JSON.parse(
          readFileSync(join(dir, 'node_modules', '.package-lock.json'), 'utf8'),
        ) as {
          packages: Record<string, unknown>
        }
        const count = Object.keys(lock.packages).filter((k) => k.startsWith('node_modules/')).length
        const mb = du(join(dir, 'node_modules')) / 1e6
        console.log(`| \`${name}\` | ${count} | ${mb.toFixed(1)} MB |`)
      }
    }
  } finally {
    if (keep) console.log(`kept ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
  console.log(
    failures === 0 ? '\npack-examples: all passed' : `\npack-examples: ${failures} failed`,
  )
  return failures === 0 ? 0 : 1
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(e)
    process.exitCode = 1
  },
)
