import { expect } from 'chai'
import { StorageError } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'
import { DEFAULT_MAX_INLINE_SYNC_MS, SyncPlacement } from '../src/sync-placement.js'
import { entries, removeDir, tempDir } from './helpers.js'

describe('where the log is fdatasync-ed (SyncPlacement)', function () {
  it('runs the first fdatasync on the main thread', function () {
    expect(new SyncPlacement().inline(0)).to.equal(true)
  })

  it('runs it on the main thread once the log was idle at least as long as the last fdatasync took', function () {
    const p = new SyncPlacement()
    p.done(10, 13) // took 3 ms, ended at 13
    expect(p.inline(13)).to.equal(false) // back to back: the pool
    expect(p.inline(15.9)).to.equal(false)
    expect(p.inline(16)).to.equal(true) // idle 3 ms
    expect(p.inline(50)).to.equal(true)
  })

  it('sends the next fdatasync to the thread pool after one slower than maxInlineMs, however idle', function () {
    const p = new SyncPlacement(5)
    p.done(0, 6)
    expect(p.inline(1000)).to.equal(false)
    p.done(1000, 1001) // a healthy one again (on the pool)
    expect(p.inline(1002)).to.equal(true)
    p.done(2000, 2005) // exactly the limit still counts as healthy
    expect(p.inline(3000)).to.equal(true)
  })

  it('caps a stall by default well below an election timeout', function () {
    const p = new SyncPlacement()
    p.done(0, DEFAULT_MAX_INLINE_SYNC_MS + 1)
    expect(p.inline(10_000)).to.equal(false)
    expect(DEFAULT_MAX_INLINE_SYNC_MS).to.be.below(100)
  })
})

describe('FileStorage inlineSync', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it("fdatasyncs an idle log's append on the main thread by default, and the entry survives a reopen", async function () {
    const s = await createFileStorage({ dir })
    await s.write({ entries: entries(1, 3), sync: true })
    expect(s.stats()).to.deep.include({ syncs: 1, inlineSyncs: 1 })
    await s.close()
    const reopened = await createFileStorage({ dir })
    expect((await reopened.load()).entries.map((e) => e.index)).to.deep.equal([1, 2, 3])
    await reopened.close()
  })

  it("never fdatasyncs on the main thread with inlineSync: 'never'", async function () {
    const s = await createFileStorage({ dir, inlineSync: 'never' })
    for (let i = 1; i <= 5; i++) {
      await s.write({ entries: entries(i, i), sync: true })
      await new Promise((r) => setTimeout(r, 2))
    }
    expect(s.stats()).to.deep.include({ syncs: 5, inlineSyncs: 0 })
    await s.close()
  })

  it('rejects an unknown inlineSync with a StorageError naming it', async function () {
    const open = createFileStorage({ dir, inlineSync: 'sometimes' as 'never' })
    const error = await open.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(StorageError)
    expect((error as Error).message).to.match(
      /inlineSync must be 'when-idle' or 'never', got sometimes/,
    )
  })
})
