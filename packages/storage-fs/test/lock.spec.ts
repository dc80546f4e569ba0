import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { StorageLockedError } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'
import { rejection, removeDir, tempDir } from './helpers.js'

const HOLDER = fileURLToPath(new URL('./fixtures/lock-holder.ts', import.meta.url))
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))

function startHolder(
  dir: string,
  hold: boolean,
): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@raftkit/source', HOLDER, dir, ...(hold ? ['hold'] : [])],
    {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve(out.slice(0, nl))
    })
    child.once('exit', (code) => reject(new Error(`holder exited with ${code} before printing`)))
  })
  return { child, firstLine }
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGKILL')
  await exited
}

describe('directory lock', function () {
  this.timeout(30_000)
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('refuses a second open in the same process with StorageLockedError, until close', async function () {
    const s = await createFileStorage({ dir })
    const err = await rejection(createFileStorage({ dir }))
    expect(err).to.be.instanceOf(StorageLockedError)
    expect((err as StorageLockedError).dir).to.equal(dir)
    expect(err.message).to.contain(`pid ${process.pid}`)
    await s.close()
    const again = await createFileStorage({ dir })
    await again.close()
  })

  it('refuses a second process while the first holds the directory', async function () {
    const s = await createFileStorage({ dir })
    try {
      const { firstLine } = startHolder(dir, false)
      expect(await firstLine).to.equal('error RAFT_STORAGE_LOCKED')
    } finally {
      await s.close()
    }
    const { firstLine } = startHolder(dir, false)
    expect(await firstLine).to.equal('open')
  })

  it('refuses this process while another holds it, and takes over at once when that one is killed', async function () {
    const holder = startHolder(dir, true)
    try {
      expect(await holder.firstLine).to.equal('open')
      const err = await rejection(createFileStorage({ dir }))
      expect(err).to.be.instanceOf(StorageLockedError)
      expect(err.message).to.contain(`pid ${holder.child.pid}`)
    } finally {
      await kill9(holder.child)
    }
    // The dead holder's lock is still fresh by proper-lockfile's clock; its dead pid frees it.
    const s = await createFileStorage({ dir })
    await s.close()
  })
})
