import { readFile, truncate, writeFile } from 'node:fs/promises'
import { expect } from 'chai'
import type { Entry } from '@raftkit/raft-core'
import { MemoryLogger, StorageCorruptionError } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'
import { scanRecords } from '../src/record.js'
import { entries, rejection, removeDir, segmentFiles, tempDir } from './helpers.js'

const texts = (es: readonly Entry[]): string[] =>
  es.map((e) => `${e.index}@${e.term}:${new TextDecoder().decode(e.data)}`)

describe('recovery', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  /** Writes three batches; returns the segment path, its bytes and its record offsets. */
  async function threeBatches(): Promise<{ path: string; bytes: Buffer; offsets: number[] }> {
    const s = await createFileStorage({ dir })
    await s.write({
      entries: entries(1, 3),
      hardState: { term: 1, votedFor: 'a', commit: 1 },
      sync: true,
    })
    await s.write({
      entries: entries(4, 5),
      hardState: { term: 1, votedFor: 'a', commit: 3 },
      sync: true,
    })
    await s.write({
      entries: entries(6, 7, 2),
      hardState: { term: 2, votedFor: 'b', commit: 5 },
      sync: true,
    })
    await s.close()
    const [path] = await segmentFiles(dir)
    // The log's bytes, without the zeros preallocated after them.
    const written = await readFile(path!)
    const bytes = written.subarray(0, scanRecords(written).validEnd)
    const offsets = scanRecords(bytes).records.map((r) => r.offset)
    expect(offsets).to.have.length(4) // segment header + three batches
    return { path: path!, bytes, offsets }
  }

  it('cuts a torn last record at every byte offset, keeping everything before it', async function () {
    this.timeout(60_000)
    const { path, bytes, offsets } = await threeBatches()
    const last = offsets[3]!
    for (let cut = last; cut < bytes.length; cut++) {
      await writeFile(path, bytes.subarray(0, cut))
      const logger = new MemoryLogger()
      const s = await createFileStorage({ dir, logger })
      const state = await s.load()
      expect(texts(state.entries), `cut at ${cut}`).to.deep.equal(texts(entries(1, 5)))
      expect(state.hardState).to.deep.equal({ term: 1, votedFor: 'a', commit: 3 })
      await s.close()
      const after = scanRecords(await readFile(path))
      expect(after.validEnd, 'the torn bytes are cut off').to.equal(last)
      expect(after.stop?.kind ?? 'zeros', 'only zeros follow').to.equal('zeros')
      if (cut > last)
        expect(
          logger.records.some((r) => r.level === 'warn' && r.fields?.offset === last),
        ).to.equal(true)
    }
    // And the log continues normally after a cut.
    const s = await createFileStorage({ dir })
    await s.write({ entries: entries(6, 6, 3), sync: true })
    await s.close()
    const again = await createFileStorage({ dir })
    expect(texts((await again.load()).entries)).to.deep.equal(
      texts([...entries(1, 5), ...entries(6, 6, 3)]),
    )
    await again.close()
  })

  it('keeps a zero-filled tail of the last segment as preallocated space: no warning, nothing cut', async function () {
    const { path, bytes } = await threeBatches()
    await writeFile(path, Buffer.concat([bytes, Buffer.alloc(300)]))
    const logger = new MemoryLogger()
    const s = await createFileStorage({ dir, logger, preallocateBytes: 0 })
    expect(texts((await s.load()).entries)).to.deep.equal(
      texts([...entries(1, 5), ...entries(6, 7, 2)]),
    )
    await s.write({ entries: entries(8, 8, 2), sync: true })
    await s.close()
    expect(logger.records.filter((r) => r.level === 'warn')).to.deep.equal([])
    const file = await readFile(path)
    expect(file.length, 'the append went into the zeros').to.equal(bytes.length + 300)
    const again = await createFileStorage({ dir })
    expect(texts((await again.load()).entries)).to.deep.equal(
      texts([...entries(1, 5), ...entries(6, 8, 2)]),
    )
    await again.close()
  })

  it('reports a flipped byte anywhere in an earlier record as corruption at that record, never as data', async function () {
    this.timeout(60_000)
    const { path, bytes, offsets } = await threeBatches()
    for (const [from, to] of [
      [offsets[1]!, offsets[2]!],
      [0, offsets[1]!],
    ] as const) {
      for (let at = from; at < to; at++) {
        const damaged = Buffer.from(bytes)
        damaged[at] = damaged[at]! ^ 0x5a
        await writeFile(path, damaged)
        const err = await rejection(createFileStorage({ dir }))
        expect(err, `byte ${at}`).to.be.instanceOf(StorageCorruptionError)
        const c = err as StorageCorruptionError
        expect(c.file).to.equal(path)
        expect(c.offset, `byte ${at}`).to.equal(from)
        expect(c.message).to.contain(path).and.contain(`byte ${from}`)
      }
    }
  })

  it('reports a damaged complete last record instead of cutting it', async function () {
    const { path, bytes, offsets } = await threeBatches()
    const damaged = Buffer.from(bytes)
    damaged[bytes.length - 2] = damaged[bytes.length - 2]! ^ 1
    await writeFile(path, damaged)
    const err = await rejection(createFileStorage({ dir }))
    expect(err).to.be.instanceOf(StorageCorruptionError)
    expect((err as StorageCorruptionError).offset).to.equal(offsets[3])
  })

  it('reports a cut sealed segment (not the last) as corruption', async function () {
    const s = await createFileStorage({ dir, segmentBytes: 1024 })
    for (let i = 0; i < 30; i++)
      await s.write({ entries: entries(i * 5 + 1, i * 5 + 5), sync: true })
    await s.close()
    const files = await segmentFiles(dir)
    expect(files.length).to.be.greaterThan(2)
    const size = (await readFile(files[0]!)).length
    await truncate(files[0]!, size - 3)
    const err = await rejection(createFileStorage({ dir, segmentBytes: 1024 }))
    expect(err).to.be.instanceOf(StorageCorruptionError)
    expect((err as StorageCorruptionError).file).to.equal(files[0])
  })

  it('reports a missing segment in the middle as corruption', async function () {
    const s = await createFileStorage({ dir, segmentBytes: 1024 })
    for (let i = 0; i < 30; i++)
      await s.write({ entries: entries(i * 5 + 1, i * 5 + 5), sync: true })
    await s.close()
    const files = await segmentFiles(dir)
    const { unlink } = await import('node:fs/promises')
    await unlink(files[1]!)
    const err = await rejection(createFileStorage({ dir, segmentBytes: 1024 }))
    expect(err).to.be.instanceOf(StorageCorruptionError)
    expect((err as StorageCorruptionError).file).to.equal(files[1])
  })

  it('gives every recovered entry its own bytes: none keeps a segment file in memory', async function () {
    // Entries in a checkpoint's header (2-4, after the snapshot at 1) and in later records (5-6).
    const s = await createFileStorage({ dir, checkpointBytes: 1024 })
    const large = entries(1, 4).map((e) => ({ ...e, data: new Uint8Array(400).fill(e.index) }))
    await s.write({ entries: large, sync: true })
    await s.compact({ meta: { index: 1, term: 1 }, data: new Uint8Array(1) })
    await s.write({ entries: entries(5, 6), sync: true })
    await s.close()
    const again = await createFileStorage({ dir })
    const loaded = (await again.load()).entries
    await again.close()
    expect(loaded.map((e) => e.index)).to.deep.equal([2, 3, 4, 5, 6])
    for (const e of loaded) {
      expect([e.data.byteOffset, e.data.buffer.byteLength]).to.deep.equal([0, e.data.length])
      expect(Object.getPrototypeOf(e.data)).to.equal(Uint8Array.prototype)
    }
    expect(Array.from(loaded[0]!.data.subarray(0, 3))).to.deep.equal([2, 2, 2])
    expect(texts(loaded.slice(-1))).to.deep.equal(['6@1:e6'])
  })

  it('reports a damaged or missing snapshot file', async function () {
    const s = await createFileStorage({ dir })
    await s.write({ entries: entries(1, 5), sync: true })
    await s.compact({ meta: { index: 4, term: 1 }, data: new TextEncoder().encode('state') })
    await s.close()
    const { readdir, unlink } = await import('node:fs/promises')
    const snap = (await readdir(dir)).find((n) => n.endsWith('.snap'))!
    const path = `${dir}/${snap}`
    const bytes = await readFile(path)
    const damaged = Buffer.from(bytes)
    damaged[bytes.length - 1] = damaged[bytes.length - 1]! ^ 1
    await writeFile(path, damaged)
    const err = await rejection(createFileStorage({ dir }))
    expect(err).to.be.instanceOf(StorageCorruptionError)
    expect((err as StorageCorruptionError).file).to.equal(path)
    await unlink(path)
    const missing = await rejection(createFileStorage({ dir }))
    expect(missing).to.be.instanceOf(StorageCorruptionError)
    expect(missing.message).to.contain('missing')
  })
})
