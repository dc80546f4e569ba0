import { copyFile, readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { expect } from 'chai'
import type { Entry } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'
import { entries, removeDir, segmentFiles, tempDir } from './helpers.js'

const indexes = (es: readonly Entry[]): number[] => es.map((e) => e.index)
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('segments: rotation and compaction', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  async function fill(segmentBytes: number, batches: number): Promise<void> {
    const s = await createFileStorage({ dir, segmentBytes })
    for (let i = 0; i < batches; i++)
      await s.write({ entries: entries(i * 4 + 1, i * 4 + 4), sync: true })
    await s.close()
  }

  it('rotates to a new segment past segmentBytes and replays all of them in order', async function () {
    await fill(1024, 40)
    const files = await segmentFiles(dir)
    expect(files.length).to.be.at.least(3)
    for (const f of files.slice(0, -1)) {
      const { size } = await import('node:fs/promises').then((fs) => fs.stat(f))
      expect(size, basename(f)).to.be.lessThan(1024 + 200) // sealed just past the limit
    }
    const s = await createFileStorage({ dir, segmentBytes: 1024 })
    expect(indexes((await s.load()).entries)).to.deep.equal(range(1, 160))
    await s.close()
  })

  it('deletes the segments a snapshot covers, and older snapshot files', async function () {
    await fill(1024, 40)
    const before = await segmentFiles(dir)
    const s = await createFileStorage({ dir, segmentBytes: 1024 })
    await s.compact({ meta: { index: 100, term: 1 }, data: new Uint8Array([1]) })
    await s.compact({ meta: { index: 150, term: 1 }, data: new Uint8Array([2]) })
    const after = await segmentFiles(dir)
    expect(after).to.have.length(1)
    expect(before).to.not.include(after[0])
    expect((await readdir(dir)).filter((n) => n.endsWith('.snap'))).to.have.length(1)
    await s.write({ entries: entries(161, 162), sync: true })
    await s.close()

    const reopened = await createFileStorage({ dir, segmentBytes: 1024 })
    const state = await reopened.load()
    expect(state.snapshot?.meta).to.deep.equal({ index: 150, term: 1 })
    expect(Array.from(state.snapshot!.data)).to.deep.equal([2])
    expect(indexes(state.entries)).to.deep.equal(range(151, 162))
    await reopened.close()
  })

  it('finishes a compaction interrupted before the old segments were deleted', async function () {
    await fill(1024, 40)
    const old = await segmentFiles(dir)
    const aside = await tempDir()
    try {
      for (const f of old) await copyFile(f, join(aside, basename(f)))
      const s = await createFileStorage({ dir, segmentBytes: 1024 })
      await s.compact({ meta: { index: 120, term: 1 }, data: new Uint8Array([7]) })
      await s.close()
      // Put the deleted segments back, as if the process died right after the checkpoint.
      for (const f of old) await copyFile(join(aside, basename(f)), f)
      const reopened = await createFileStorage({ dir, segmentBytes: 1024 })
      const state = await reopened.load()
      expect(state.snapshot?.meta.index).to.equal(120)
      expect(indexes(state.entries)).to.deep.equal(range(121, 160))
      await reopened.close()
      expect(await segmentFiles(dir)).to.have.length(1)
    } finally {
      await removeDir(aside)
    }
  })

  it('shares one fdatasync among writes that arrive while another is in progress (group commit)', async function () {
    // On the thread pool, so the loop goes on while an fdatasync runs (sync-placement.spec.ts).
    const s = await createFileStorage({ dir, inlineSync: 'never' })
    // 64 writes issued in the same tick form one group: one write() call, one fdatasync.
    await Promise.all(
      Array.from({ length: 64 }, (_, i) => s.write({ entries: entries(i + 1, i + 1), sync: true })),
    )
    expect(s.stats()).to.deep.equal({ writes: 64, groups: 1, syncs: 1, inlineSyncs: 0 })
    // Writes that arrive while a group is being flushed wait for it, then share the next flush.
    const first = s.write({ entries: entries(65, 65), sync: true })
    await Promise.resolve() // the flush loop takes [65] and starts its I/O
    await Promise.resolve()
    const later = Array.from({ length: 10 }, (_, i) =>
      s.write({ entries: entries(66 + i, 66 + i), sync: true }),
    )
    await Promise.all([first, ...later])
    expect(s.stats()).to.deep.equal({ writes: 75, groups: 3, syncs: 3, inlineSyncs: 0 })
    await s.close()
    const reopened = await createFileStorage({ dir })
    expect(indexes((await reopened.load()).entries)).to.deep.equal(range(1, 75))
    await reopened.close()
  })

  it("does not fdatasync appends with sync: 'never'", async function () {
    const s = await createFileStorage({ dir, sync: 'never' })
    for (let i = 1; i <= 5; i++) await s.write({ entries: entries(i, i), sync: true })
    expect(s.stats().syncs).to.equal(0)
    await s.close()
  })
})
