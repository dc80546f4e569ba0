/**
 * Where the log's fdatasync runs (FileStorageOptions.inlineSyncBytes): a group of at most
 * inlineSyncBytes on the event-loop thread, a larger one on libuv's thread pool; either way the
 * batch resolves only once its fdatasync returned, and what resolved is there after a reopen.
 */
import { expect } from 'chai'
import { StorageError } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'
import { entries, rejection, removeDir, tempDir } from './helpers.js'

describe('inline fdatasync of small groups (inlineSyncBytes)', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('syncs a group of at most inlineSyncBytes on the event-loop thread, a larger one on the thread pool', async function () {
    const s = await createFileStorage({ dir, inlineSyncBytes: 1024 })
    await s.write({ entries: entries(1, 1), sync: true }) // one entry: a record of ~50 bytes
    expect(s.stats()).to.include({ syncs: 1, inlineSyncs: 1 })
    await s.write({ entries: entries(2, 200), sync: true }) // ~200 entries: several KB
    expect(s.stats()).to.include({ syncs: 2, inlineSyncs: 1 })
    await s.close()
    const reopened = await createFileStorage({ dir })
    expect((await reopened.load()).entries).to.have.length(200)
    await reopened.close()
  })

  it('syncs small groups inline by default (4 KiB), and never with inlineSyncBytes 0', async function () {
    const byDefault = await createFileStorage({ dir })
    for (let i = 1; i <= 3; i++) await byDefault.write({ entries: entries(i, i), sync: true })
    expect(byDefault.stats()).to.include({ syncs: 3, inlineSyncs: 3 })
    await byDefault.close()
    const pool = await createFileStorage({ dir, inlineSyncBytes: 0 })
    for (let i = 4; i <= 6; i++) await pool.write({ entries: entries(i, i), sync: true })
    expect(pool.stats()).to.include({ syncs: 3, inlineSyncs: 0 })
    await pool.close()
  })

  it('makes no fdatasync for a batch without sync, inline or not', async function () {
    const s = await createFileStorage({ dir })
    await s.write({ entries: entries(1, 1), sync: false })
    expect(s.stats()).to.include({ groups: 1, syncs: 0, inlineSyncs: 0 })
    await s.close()
  })

  for (const bad of [-1, 1.5, Number.NaN])
    it(`refuses inlineSyncBytes ${bad} with a StorageError`, async function () {
      const e = await rejection(createFileStorage({ dir, inlineSyncBytes: bad }))
      expect(e).to.be.instanceOf(StorageError)
      expect(e.message).to.contain('inlineSyncBytes must be an integer >= 0')
    })
})
