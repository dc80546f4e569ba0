// Every package's .mocharc.json loads tools/mocha-unhandled.cjs, so that a promise rejection
// nobody handles fails the test that is running. Mocha on its own lets it pass: it traps
// `unhandledRejection` and re-emits it with its own listener removed, which does nothing when
// no one else listens (found in session 18: a shardkv mutant that turned a logged failure into
// an unhandled rejection survived every test).
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')
const hook = join(root, 'tools', 'mocha-unhandled.cjs')

const FIXTURE = `
describe('fixture', () => {
  it('leaves a rejection unhandled', async () => {
    Promise.reject(new Error('nobody handled me'))
    await new Promise((resolve) => setTimeout(resolve, 20))
  })
})
`

function mocha(args: string[]): { status: number | null; out: string } {
  const bin = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js')
  const r = spawnSync(process.execPath, [bin, '--no-config', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

describe('mocha and unhandled rejections', function () {
  this.timeout(60_000)
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-mocha-'))
    await writeFile(join(dir, 'fixture.spec.mjs'), FIXTURE)
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('with the hook, a rejection nobody handles fails the test (and without it, it would pass)', () => {
    const spec = join(dir, 'fixture.spec.mjs')
    const plain = mocha([spec])
    expect(plain.status, plain.out).to.equal(0)
    const hooked = mocha(['--require', hook, spec])
    expect(hooked.status, hooked.out).to.not.equal(0)
    expect(hooked.out).to.contain('nobody handled me')
  })

  it('every package and app loads the hook in its .mocharc.json', async () => {
    const homes: string[] = []
    for (const group of ['packages', 'apps'])
      for (const name of await readdir(join(root, group))) homes.push(join(root, group, name))
    let checked = 0
    for (const home of homes) {
      let rc: { require?: string[] }
      try {
        rc = JSON.parse(await readFile(join(home, '.mocharc.json'), 'utf8')) as typeof rc
      } catch {
        continue // no mocha here
      }
      expect(rc.require, home).to.deep.equal(['../../tools/mocha-unhandled.cjs'])
      checked++
    }
    expect(checked).to.equal(10)
  })
})
