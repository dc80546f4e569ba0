/**
 * Recovery's rules on damaged directories (recovery.ts), beyond recovery.spec.ts: damage that
 * could pass for an interrupted append or for preallocated space is a StorageCorruptionError
 * naming the file and offset, and the failed open changes no byte on disk.
 */
import { copyFile, readFile, readdir, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import type { Entry } from '@raftkit/raft-core'
import { MemoryLogger, StorageCorruptionError, packValue } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'
import type { LogOp } from '../src/log-state.js'
import { frameRecord, scanRecords } from '../src/record.js'
import { segmentName } from '../src/segments.js'
import { encodeOp } from '../src/wal-codec.js'
import { entries, rejection, removeDir, segmentFiles, tempDir } from './helpers.js'

const big = (index: number): Entry => ({
  index,
  term: 1,
  kind: 'command',
  data: new Uint8Array(200).fill(index % 251 || 1),
})

/** The corruption an open fails with (and that it changed no byte of `path`). */
async function corruption(dir: string, path: string): Promise<StorageCorruptionError> {
  const before = await readFile(path)
  const err = await rejection(createFileStorage({ dir }))
  expect(err).to.be.instanceOf(StorageCorruptionError)
  expect((await readFile(path)).equals(before), 'the failed open changed the file').to.equal(true)
  return err as StorageCorruptionError
}

describe('recovery rules', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  /** Entries 1-3 written and closed; then `op`'s record framed after them. Returns its offset. */
  async function withRecord(op: LogOp): Promise<{ path: string; at: number }> {
    const s = await createFileStorage({ dir })
    await s.write({ entries: entries(1, 3), sync: true })
    await s.close()
    const [path] = await segmentFiles(dir)
    const bytes = await readFile(path!)
    const at = scanRecords(bytes).validEnd
    await writeFile(path!, Buffer.concat([bytes.subarray(0, at), frameRecord(encodeOp(op))]))
    return { path: path!, at }
  }

  it('a well-framed record that does not apply to the log (a gap) is corruption at its offset', async function () {
    const { path, at } = await withRecord({ entries: entries(5, 5) })
    const err = await corruption(dir, path)
    expect([err.file, err.offset]).to.deep.equal([path, at])
    expect(err.message).to.contain('entries start at 5 but the log ends at 3: a gap')
  })

  it('a well-framed record of entries that are not consecutive is corruption at its offset', async function () {
    const { path, at } = await withRecord({ entries: [...entries(4, 4), ...entries(6, 6)] })
    const err = await corruption(dir, path)
    expect([err.file, err.offset]).to.deep.equal([path, at])
    expect(err.message).to.contain('entries must be consecutive (4 then 6)')
  })

  it('a newest segment without a header record is corruption, empty or zeros', async function () {
    const s = await createFileStorage({ dir })
    await s.write({ entries: entries(1, 3), sync: true })
    await s.close()
    const path = join(dir, segmentName(2))
    for (const content of [Buffer.alloc(0), Buffer.alloc(4096)]) {
      await writeFile(path, content)
      const err = await corruption(dir, path)
      expect([err.file, err.offset]).to.deep.equal([path, 0])
      expect(err.message).to.contain('segment has no header record')
    }
  })

  it('a segment whose header names another sequence number is corruption', async function () {
    const s = await createFileStorage({ dir })
    await s.write({ entries: entries(1, 3), sync: true })
    await s.close()
    const path = join(dir, segmentName(2))
    await copyFile(join(dir, segmentName(1)), path)
    const err = await corruption(dir, path)
    expect([err.file, err.offset]).to.deep.equal([path, 0])
    expect(err.message).to.contain('segment header says sequence 1')
  })

  it('a missing segment, or a missing oldest checkpoint, is corruption naming the segment', async function () {
    const s = await createFileStorage({ dir, segmentBytes: 1024 })
    for (let i = 0; i < 30; i++)
      await s.write({ entries: entries(i * 5 + 1, i * 5 + 5), sync: true })
    await s.close()
    const files = await segmentFiles(dir)
    expect(files.length).to.be.at.least(3)
    const aside = `${files[1]!}.aside`
    await copyFile(files[1]!, aside)
    await unlink(files[1]!)
    const missing = await corruption(dir, files[0]!)
    expect([missing.file, missing.offset]).to.deep.equal([files[1], 0])
    expect(missing.message).to.contain('segment is missing')
    await copyFile(aside, files[1]!)
    await unlink(aside)
    await unlink(files[0]!)
    const noCheckpoint = await corruption(dir, files[1]!)
    expect([noCheckpoint.file, noCheckpoint.offset]).to.deep.equal([files[1], 0])
    expect(noCheckpoint.message).to.contain(
      'the oldest segment is not a checkpoint: segments are missing',
    )
  })

  it('cutting a torn tail is a warning naming the file, offset and reason, and leaves no descriptor open', async function () {
    const s = await createFileStorage({ dir })
    await s.write({ entries: entries(1, 3), sync: true })
    await s.close()
    const [path] = await segmentFiles(dir)
    const bytes = await readFile(path!)
    const end = scanRecords(bytes).validEnd
    const torn = frameRecord(encodeOp({ entries: entries(4, 4) })).subarray(0, 20)
    await writeFile(path!, Buffer.concat([bytes.subarray(0, end), torn]))
    // Open descriptors, where the platform lists them (Linux); elsewhere this check is skipped.
    const fds = async (): Promise<number> =>
      readdir('/proc/self/fd').then(
        (names) => names.length,
        () => -1,
      )
    const open = await fds()
    const logger = new MemoryLogger()
    const r = await createFileStorage({ dir, logger })
    expect((await r.load()).entries.map((e) => e.index)).to.deep.equal([1, 2, 3])
    await r.close()
    expect(await fds(), 'descriptors left open').to.equal(open)
    expect(logger.records.filter((x) => x.level === 'warn')).to.deep.equal([
      {
        level: 'warn',
        msg: 'storage: cutting a torn record at the end of the log (an interrupted write)',
        fields: {
          file: path,
          offset: end,
          reason: 'record of 19 bytes cut by the end of the file',
        },
      },
    ])
  })

  it('a compaction after a reopen checkpoints exactly when the whole log reaches segmentBytes', async function () {
    // One segment under segmentBytes: compacting it leaves it in place.
    const s = await createFileStorage({ dir, segmentBytes: 1024 })
    await s.write({ entries: entries(1, 60), sync: true })
    await s.close()
    const small = await createFileStorage({ dir, segmentBytes: 1024 })
    await small.compact({ meta: { index: 5, term: 1 }, data: new Uint8Array(1) })
    await small.close()
    expect(await segmentFiles(dir)).to.deep.equal([join(dir, segmentName(1))])
    // Several sealed segments: reopened with segmentBytes equal to the whole log, compacting
    // replaces them all with one checkpoint (every sealed segment counts, not only the first).
    const more = await createFileStorage({ dir, segmentBytes: 1024 })
    for (let i = 0; i < 30; i++)
      await more.write({ entries: entries(61 + i * 5, 65 + i * 5), sync: true })
    await more.close()
    const files = await segmentFiles(dir)
    expect(files.length).to.be.greaterThan(2)
    let total = 0
    for (const f of files) total += scanRecords(await readFile(f)).validEnd
    const big = await createFileStorage({ dir, segmentBytes: total })
    await big.compact({ meta: { index: 120, term: 1 }, data: new Uint8Array(1) })
    await big.close()
    const after = await segmentFiles(dir)
    expect(after).to.have.length(1)
    expect(files).to.not.include(after[0])
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

  it("checks every segment's records, newest first, before it decodes any op: the first damage checked is reported", async function () {
    const s = await createFileStorage({ dir, segmentBytes: 1024 })
    for (let i = 0; i < 30; i++)
      await s.write({ entries: entries(i * 5 + 1, i * 5 + 5), sync: true })
    await s.close()
    const files = await segmentFiles(dir)
    expect(files.length).to.be.greaterThan(2)
    const [oldest, second] = files as [string, string]
    // An op record of the wrong shape, well framed, after the oldest segment's last record.
    const old = await readFile(oldest)
    const shapeAt = scanRecords(old).validEnd
    const bad = frameRecord(packValue({ t: 'op', e: [[shapeAt, 1, 7, new Uint8Array(1)]] }))
    await writeFile(oldest, Buffer.concat([old.subarray(0, shapeAt), bad]))
    const alone = await corruption(dir, oldest)
    expect([alone.file, alone.offset]).to.deep.equal([oldest, shapeAt])
    expect(alone.message).to.contain('bad entry')
    // A flipped payload byte in the second segment's last record: found by its checksum first.
    const mid = await readFile(second)
    const crcAt = scanRecords(mid).records.at(-1)!.offset
    const damaged = Buffer.from(mid)
    damaged[crcAt + 13] = damaged[crcAt + 13]! ^ 0x10
    await writeFile(second, damaged)
    const both = await corruption(dir, second)
    expect([both.file, both.offset]).to.deep.equal([second, crcAt])
    expect(both.message).to.contain('record payload checksum mismatch')
  })
})
