/**
 * Snapshot files (snapshot-file.ts): exactly one framed record whose index and term match the
 * file's name, with the data and, when there is one, the configuration at the snapshot index.
 * Anything else is a StorageCorruptionError naming the file, the offset and what is wrong; a
 * file that cannot be read for another reason than being missing keeps its own error.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import type { Membership, SnapshotMeta } from '@raftkit/raft-core'
import { StorageCorruptionError, packValue } from '@raftkit/raft-core'
import { HEADER_BYTES, frameRecord } from '../src/record.js'
import { snapshotName } from '../src/segments.js'
import { readSnapshotFile, writeSnapshotFile } from '../src/snapshot-file.js'
import { rejection, removeDir, tempDir } from './helpers.js'

const META: SnapshotMeta = { index: 7, term: 3 }
const membership: Membership = { voters: ['a', 'b'], learners: ['c'], outgoing: [] }

describe('snapshot file rules', function () {
  let dir: string
  let path: string
  beforeEach(async () => {
    dir = await tempDir()
    path = join(dir, snapshotName(META.index, META.term))
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  async function refused(meta: SnapshotMeta = META): Promise<StorageCorruptionError> {
    const err = await rejection(readSnapshotFile(dir, meta))
    expect(err).to.be.instanceOf(StorageCorruptionError)
    expect((err as StorageCorruptionError).file).to.equal(path)
    return err as StorageCorruptionError
  }

  it('writes one record of index, term and data, plus the configuration when there is one', async function () {
    await writeSnapshotFile(dir, { meta: META, data: new Uint8Array([1, 2]) })
    const plain = await readFile(path)
    expect(
      plain.equals(frameRecord(packValue({ i: 7, t: 3, d: new Uint8Array([1, 2]) }))),
    ).to.equal(true)
    expect(await readSnapshotFile(dir, META)).to.deep.equal({
      meta: { index: 7, term: 3 },
      data: new Uint8Array([1, 2]),
    })
    await writeSnapshotFile(dir, { meta: { ...META, membership }, data: new Uint8Array([4]) })
    const back = await readSnapshotFile(dir, META)
    expect(back.meta).to.deep.equal({ index: 7, term: 3, membership })
    expect([...back.data]).to.deep.equal([4])
    expect(Object.getPrototypeOf(back.data)).to.equal(Uint8Array.prototype)
  })

  it('refuses an empty file and a file of two records: exactly one record', async function () {
    const one = frameRecord(packValue({ i: 7, t: 3, d: new Uint8Array(1) }))
    for (const content of [Buffer.alloc(0), Buffer.concat([one, one])]) {
      await writeFile(path, content)
      const err = await refused()
      expect(err.offset).to.equal(0)
      expect(err.message).to.contain('expected exactly one record')
    }
  })

  it('refuses a damaged record at its offset, with the scan reason', async function () {
    const bytes = frameRecord(packValue({ i: 7, t: 3, d: new Uint8Array(40) }))
    bytes[HEADER_BYTES + 5] = bytes[HEADER_BYTES + 5]! ^ 0xff
    await writeFile(path, bytes)
    const err = await refused()
    expect(err.offset).to.equal(0)
    expect(err.message).to.contain('record payload checksum mismatch')
    // Cut short: torn, which for a snapshot file is corruption too.
    await writeFile(path, bytes.subarray(0, 30))
    expect((await refused()).message).to.contain('cut by the end of the file')
    // A valid record with bytes after it: refused where they start.
    const good = frameRecord(packValue({ i: 7, t: 3, d: new Uint8Array(1) }))
    await writeFile(path, Buffer.concat([good, Buffer.from([1, 2, 3])]))
    const after = await refused()
    expect(after.offset).to.equal(good.length)
    expect(after.message).to.contain('incomplete record header')
  })

  it('refuses a record that does not match the name, or is not a snapshot', async function () {
    for (const value of [
      { i: 8, t: 3, d: new Uint8Array(1) },
      { i: 7, t: 4, d: new Uint8Array(1) },
      { i: 7, t: 3, d: 'data' },
      { i: 7, t: 3 },
      null,
      [7, 3],
    ]) {
      await writeFile(path, frameRecord(packValue(value)))
      const err = await refused()
      expect(err.offset, JSON.stringify(value)).to.equal(0)
      expect(err.message).to.contain('snapshot record does not match its name')
    }
    await writeFile(path, frameRecord(new Uint8Array([0x92, 0x01])))
    expect((await refused()).message).to.contain('snapshot record does not match its name')
  })

  it('refuses a malformed configuration, saying why', async function () {
    await writeFile(
      path,
      frameRecord(packValue({ i: 7, t: 3, d: new Uint8Array(1), m: { voters: [] } })),
    )
    const err = await refused()
    expect(err.offset).to.equal(0)
    expect(err.message).to.match(/snapshot configuration is malformed: .*learners must be an array/)
  })

  it('a missing file is corruption; one that cannot be read otherwise keeps its own error', async function () {
    const missing = await refused()
    expect([missing.offset, missing.message]).to.deep.equal([
      0,
      `storage is corrupt in ${path} at byte 0: the snapshot file the log refers to is missing. Refusing to start: restore this node's data directory from a backup or wipe it and let the node catch up from the leader`,
    ])
    await mkdir(path)
    const err = await rejection(readSnapshotFile(dir, META))
    expect(err).not.to.be.instanceOf(StorageCorruptionError)
    expect((err as NodeJS.ErrnoException).code).to.equal('EISDIR')
  })
})
