/**
 * Recovery's rules on damaged directories (recovery.ts), beyond recovery.spec.ts: damage that
 * could pass for an interrupted append or for preallocated space is a StorageCorruptionError
 * naming the file and offset, and the failed open changes no byte on disk.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { expect } from 'chai'
import type { Entry } from '@raftkit/raft-core'
import { StorageCorruptionError } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'
import { scanRecords } from '../src/record.js'
import { rejection, removeDir, segmentFiles, tempDir } from './helpers.js'

const big = (index: number): Entry => ({
  index,
  term: 1,
  kind: 'command',
  data: new Uint8Array(200).fill(index % 251 || 1),
})

describe('recovery rules', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('a run of zeroed pages in the active segment with records after it is corruption, not a zero tail', async function () {
    const s = await createFileStorage({ dir })
    for (let i = 1; i <= 60; i++) await s.write({ entries: [big(i)], sync: true })
    await s.close()
    const [path] = await segmentFiles(dir)
    const bytes = await readFile(path!)
    const offsets = scanRecords(bytes).records.map((r) => r.offset)
    // Two pages' worth of records lost (zeroed), acknowledged records after them.
    const at = offsets[10]!
    const damaged = Buffer.from(bytes)
    damaged.fill(0, at, at + 5000)
    expect(at + 5000).to.be.lessThan(offsets.at(-1)!)
    await writeFile(path!, damaged)
    const err = await rejection(createFileStorage({ dir }))
    expect(err).to.be.instanceOf(StorageCorruptionError)
    expect((err as StorageCorruptionError).file).to.equal(path)
    expect((err as StorageCorruptionError).offset).to.equal(at)
    expect((await readFile(path!)).equals(damaged), 'the failed open changed the file').to.equal(
      true,
    )
  })
})
