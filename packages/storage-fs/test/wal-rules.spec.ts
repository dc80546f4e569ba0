/**
 * The write-ahead log's segments (wal.ts) across reopens: a sealed segment is cut to its records
 * even when the zeros after them were preallocated by an earlier run, and checkpoints delete
 * exactly the segments before them, however many runs wrote those.
 */
import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { expect } from 'chai'
import type { Entry } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'
import { scanRecords } from '../src/record.js'
import { entries, removeDir, segmentFiles, tempDir } from './helpers.js'

const indexes = (es: readonly Entry[]): number[] => es.map((e) => e.index)
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('WAL segments across reopens', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('seals a segment preallocated by an earlier run (larger segmentBytes) at its valid size', async function () {
    const first = await createFileStorage({ dir })
    await first.write({ entries: entries(1, 5), sync: true })
    await first.close()
    const [active] = await segmentFiles(dir)
    const preallocated = (await stat(active!)).size
    expect(preallocated).to.be.greaterThan(4096)
    // Reopened with small segments: the next rotation seals the segment holding those zeros.
    const small = await createFileStorage({ dir, segmentBytes: 1024 })
    for (let i = 0; i < 40; i++)
      await small.write({ entries: entries(6 + i * 4, 9 + i * 4), sync: true })
    await small.close()
    const files = await segmentFiles(dir)
    expect(files.length).to.be.greaterThan(2)
    for (const f of files.slice(0, -1)) {
      const bytes = await readFile(f)
      const scan = scanRecords(bytes)
      expect([scan.stop, scan.validEnd], basename(f)).to.deep.equal([undefined, bytes.length])
    }
    const again = await createFileStorage({ dir, segmentBytes: 1024 })
    expect(indexes((await again.load()).entries)).to.deep.equal(range(1, 165))
    await again.close()
  })

  it('a checkpoint deletes every older segment and restarts the count toward the next, across a reopen too', async function () {
    const s = await createFileStorage({ dir, segmentBytes: 1024 })
    for (let i = 0; i < 30; i++)
      await s.write({ entries: entries(1 + i * 4, 4 + i * 4), sync: true })
    await s.compact({ meta: { index: 40, term: 1 }, data: new Uint8Array([1]) })
    const afterFirst = await segmentFiles(dir)
    expect(afterFirst).to.have.length(1)
    // The log is under segmentBytes again: another compaction now is no checkpoint.
    await s.compact({ meta: { index: 80, term: 1 }, data: new Uint8Array([1]) })
    expect(await segmentFiles(dir)).to.deep.equal(afterFirst)
    for (let i = 30; i < 60; i++)
      await s.write({ entries: entries(1 + i * 4, 4 + i * 4), sync: true })
    await s.close()
    const r = await createFileStorage({ dir, segmentBytes: 1024 })
    await r.compact({ meta: { index: 200, term: 1 }, data: new Uint8Array([2]) })
    const afterSecond = await segmentFiles(dir)
    expect(afterSecond).to.have.length(1)
    expect(afterFirst).to.not.include(afterSecond[0])
    await r.write({ entries: entries(241, 242), sync: true })
    await r.close()
    const again = await createFileStorage({ dir, segmentBytes: 1024 })
    const state = await again.load()
    expect(state.snapshot?.meta).to.deep.equal({ index: 200, term: 1 })
    expect(indexes(state.entries)).to.deep.equal(range(201, 242))
    await again.close()
  })
})
