/**
 * The files of a storage directory (segments.ts, atomic-file.ts): the names on disk, what an
 * open takes for a segment, a snapshot or a leftover temp file (and leaves alone otherwise),
 * and that a failed atomic write leaves neither a temp file nor a changed target.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { TMP_SUFFIX, writeFileAtomic } from '../src/atomic-file.js'
import { createFileStorage } from '../src/index.js'
import { listDir, removeFiles, segmentName, snapshotName } from '../src/segments.js'
import { entries, rejection, removeDir, tempDir } from './helpers.js'

describe('storage directory files', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('names segments and snapshots with 20-digit zero-padded numbers', function () {
    expect(segmentName(12)).to.equal('00000000000000000012.wal')
    expect(snapshotName(2 ** 53 - 1, 3)).to.equal(
      'snap-00009007199254740991-00000000000000000003.snap',
    )
  })

  it('lists segments in numeric order, snapshots and temp files; nothing else', async function () {
    const names = [
      segmentName(10),
      segmentName(9),
      segmentName(100),
      snapshotName(5, 1),
      `${snapshotName(6, 1)}${TMP_SUFFIX}`,
      'notes.txt',
      '12.wal',
      '000000000000000000012.wal',
      `x${segmentName(3)}`,
      `x${snapshotName(5, 1)}`,
      'snap-1-1.snap',
      `${snapshotName(7, 1)}.old`,
    ]
    for (const n of names) await writeFile(join(dir, n), '')
    const listing = await listDir(dir)
    expect(listing.segments).to.deep.equal([9, 10, 100])
    expect(listing.snapshots).to.deep.equal([snapshotName(5, 1)])
    expect(listing.temps).to.deep.equal([`${snapshotName(6, 1)}${TMP_SUFFIX}`])
  })

  it('an open removes leftover temp files and keeps files that are not its own', async function () {
    const s = await createFileStorage({ dir })
    await s.write({ entries: entries(1, 2), sync: true })
    await s.close()
    await writeFile(join(dir, `${segmentName(2)}${TMP_SUFFIX}`), 'half a segment')
    await writeFile(join(dir, 'README'), 'mine')
    const r = await createFileStorage({ dir })
    expect((await r.load()).entries.map((e) => e.index)).to.deep.equal([1, 2])
    await r.close()
    const left = (await readdir(dir)).filter((n) => !n.startsWith('LOCK'))
    expect(left.sort()).to.deep.equal([segmentName(1), 'README'])
  })

  it('removeFiles ignores files already gone and reports any other failure', async function () {
    await writeFile(join(dir, 'a'), '')
    await removeFiles(dir, ['gone', 'a'])
    expect(await readdir(dir)).to.deep.equal([])
    await mkdir(join(dir, 'sub'))
    expect(await rejection(removeFiles(dir, ['sub'])))
      .to.have.property('code')
      .that.is.a('string')
    expect(await readdir(dir)).to.deep.equal(['sub'])
  })

  it('writeFileAtomic replaces the target whole; a failed write leaves no temp file and the old target', async function () {
    const path = join(dir, 'target')
    await writeFileAtomic(path, Buffer.from('old'))
    await writeFileAtomic(path, Buffer.from('new!'))
    expect((await readFile(path)).toString()).to.equal('new!')
    const err = await rejection(writeFileAtomic(path, 42 as unknown as Uint8Array))
    expect(err).to.be.instanceOf(Error)
    expect(await readdir(dir)).to.deep.equal(['target'])
    expect((await readFile(path)).toString()).to.equal('new!')
  })
})
