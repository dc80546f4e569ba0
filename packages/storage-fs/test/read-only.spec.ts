/**
 * readFileStorage: a stopped node's directory read without changing it — the same state that
 * opening it would load, every file's bytes (and the file list) unchanged afterwards, a torn
 * tail skipped but left in place, a directory held by an open storage refused, damage reported
 * as corruption, and nothing (undefined) for a directory without a log.
 */
import { mkdir, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { StorageCorruptionError, StorageLockedError } from '@raftkit/raft-core'
import { createFileStorage, readFileStorage } from '../src/index.js'
import { entries, rejection, removeDir, segmentFiles, tempDir } from './helpers.js'

/** Every file under `dir` (recursively) with its bytes, and every directory, by relative path. */
async function contents(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of (await readdir(join(dir, prefix))).sort()) {
    const rel = join(prefix, name)
    if ((await stat(join(dir, rel))).isDirectory()) {
      out[`${rel}/`] = 'dir'
      Object.assign(out, await contents(dir, rel))
    } else out[rel] = (await readFile(join(dir, rel))).toString('base64')
  }
  return out
}

describe('readFileStorage (read only)', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  /** A stopped node's directory: a snapshot at 3, entries 4-9 (term 2 from 7), commit 6. */
  async function stoppedNode(preallocateBytes?: number): Promise<void> {
    const s = await createFileStorage({
      dir,
      segmentBytes: 4096,
      ...(preallocateBytes === undefined ? {} : { preallocateBytes }),
    })
    await s.write({
      entries: entries(1, 6),
      hardState: { term: 1, votedFor: 'a', commit: 3 },
      sync: true,
    })
    await s.compact({
      meta: {
        index: 3,
        term: 1,
        membership: { voters: ['a', 'b', 'c'], learners: [], outgoing: [] },
      },
      data: new TextEncoder().encode('state at 3'),
    })
    await s.write({
      entries: entries(7, 9, 2),
      hardState: { term: 2, votedFor: 'b', commit: 6 },
      sync: true,
    })
    await s.close()
  }

  it('returns what opening the directory loads, and leaves every byte of it as it was', async () => {
    await stoppedNode()
    const before = await contents(dir)
    const read = await readFileStorage(dir)
    expect(await contents(dir)).to.deep.equal(before)
    expect(read?.snapshot?.meta.index).to.equal(3)
    expect(new TextDecoder().decode(read?.snapshot?.data)).to.equal('state at 3')
    expect(read?.entries.map((e) => [e.index, e.term])).to.deep.equal([
      [4, 1],
      [5, 1],
      [6, 1],
      [7, 2],
      [8, 2],
      [9, 2],
    ])
    expect(read?.hardState).to.deep.equal({ term: 2, votedFor: 'b', commit: 6 })
    const s = await createFileStorage({ dir })
    try {
      expect(read).to.deep.equal(await s.load())
    } finally {
      await s.close()
    }
  })

  it('skips a torn record at the end of the log and leaves it in place (opening would cut it)', async () => {
    await stoppedNode(0)
    const last = (await segmentFiles(dir)).at(-1) as string
    await truncate(last, (await stat(last)).size - 3)
    const before = await contents(dir)
    const read = await readFileStorage(dir)
    expect(await contents(dir)).to.deep.equal(before)
    expect(read?.entries.at(-1)?.index).to.equal(6)
    expect(read?.hardState.commit).to.equal(3)
  })

  it('refuses a directory an open storage holds, naming it, and changes nothing', async () => {
    await stoppedNode()
    // No preallocation: the holder itself must not write in the background meanwhile.
    const s = await createFileStorage({ dir, preallocateBytes: 0 })
    try {
      const before = await contents(dir)
      const err = await rejection(readFileStorage(dir))
      expect(err).to.be.instanceOf(StorageLockedError)
      expect((err as StorageLockedError).dir).to.equal(dir)
      expect(err.message).to.contain(`pid ${process.pid}`)
      expect(await contents(dir)).to.deep.equal(before)
    } finally {
      await s.close()
    }
    expect(await readFileStorage(dir)).to.not.equal(undefined)
  })

  it('refuses a fresh lock with no owner file, saying no holder, and changes nothing', async () => {
    await stoppedNode()
    // What proper-lockfile takes, before its holder writes the owner file (close leaves one).
    await rm(join(dir, 'LOCK.owner'), { force: true })
    await mkdir(join(dir, 'LOCK'))
    const before = await contents(dir)
    const err = await rejection(readFileStorage(dir))
    expect(err).to.be.instanceOf(StorageLockedError)
    expect(err.message).to.equal(
      `storage directory ${dir} is in use by another process: stop that process or use another directory`,
    )
    expect(await contents(dir)).to.deep.equal(before)
  })

  it('reports a damaged record as corruption naming the file', async () => {
    await stoppedNode(0)
    const first = (await segmentFiles(dir))[0] as string
    const bytes = await readFile(first)
    bytes[20] = (bytes[20] as number) ^ 0x5a
    await writeFile(first, bytes)
    const err = await rejection(readFileStorage(dir))
    expect(err).to.be.instanceOf(StorageCorruptionError)
    expect((err as StorageCorruptionError).file).to.equal(first)
  })

  it('returns undefined for a directory without a log (empty, or other files) and creates nothing', async () => {
    expect(await readFileStorage(dir)).to.equal(undefined)
    await mkdir(join(dir, 'sub'))
    await writeFile(join(dir, 'notes.txt'), 'hello')
    const before = await contents(dir)
    expect(await readFileStorage(dir)).to.equal(undefined)
    expect(await contents(dir)).to.deep.equal(before)
  })
})
