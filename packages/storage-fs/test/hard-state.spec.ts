import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { StorageError } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'
import { scanRecords } from '../src/record.js'
import { entries, rejection, removeDir, segmentFiles, tempDir } from './helpers.js'

describe('atomic replacement of hard state and snapshots', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('a batch that is cut anywhere leaves the previous hard state and log, never half of each', async function () {
    this.timeout(30_000)
    const s = await createFileStorage({ dir })
    await s.write({
      entries: entries(1, 2),
      hardState: { term: 1, votedFor: 'a', commit: 1 },
      sync: true,
    })
    await s.write({
      entries: entries(2, 4, 2),
      hardState: { term: 2, votedFor: 'b', commit: 2 },
      sync: true,
    })
    await s.close()
    const [path] = await segmentFiles(dir)
    // The log's bytes, without the zeros preallocated after them.
    const written = await readFile(path!)
    const bytes = written.subarray(0, scanRecords(written).validEnd)
    const last = scanRecords(bytes).records.at(-1)!.offset
    for (let cut = last; cut <= bytes.length; cut++) {
      await writeFile(path!, bytes.subarray(0, cut))
      const r = await createFileStorage({ dir })
      const state = await r.load()
      await r.close()
      const whole = cut === bytes.length
      expect(state.hardState, `cut ${cut}`).to.deep.equal(
        whole ? { term: 2, votedFor: 'b', commit: 2 } : { term: 1, votedFor: 'a', commit: 1 },
      )
      expect(state.entries.map((e) => `${e.index}@${e.term}`)).to.deep.equal(
        whole ? ['1@1', '2@2', '3@2', '4@2'] : ['1@1', '2@1'],
      )
    }
  })

  it('ignores and removes a leftover temp file and an unreferenced snapshot file', async function () {
    const s = await createFileStorage({ dir })
    await s.write({ entries: entries(1, 5), sync: true })
    await s.compact({ meta: { index: 2, term: 1 }, data: new Uint8Array([2]) })
    await s.close()
    // A crash while writing a newer snapshot: its temp file, or the renamed file whose log record never landed.
    await writeFile(join(dir, 'snap-00000000000000000004-00000000000000000001.snap.tmp'), 'half')
    await writeFile(
      join(dir, 'snap-00000000000000000005-00000000000000000001.snap'),
      'not referenced',
    )
    const r = await createFileStorage({ dir })
    const state = await r.load()
    expect(state.snapshot?.meta).to.deep.equal({ index: 2, term: 1 })
    expect(state.entries.map((e) => e.index)).to.deep.equal([3, 4, 5])
    await r.close()
    const names = await readdir(dir)
    expect(names.filter((n) => n.endsWith('.tmp'))).to.deep.equal([])
    expect(names.filter((n) => n.endsWith('.snap'))).to.deep.equal([
      'snap-00000000000000000002-00000000000000000001.snap',
    ])
  })

  it('rejects a malformed hard state with a StorageError and writes nothing', async function () {
    const s = await createFileStorage({ dir })
    await s.write({ hardState: { term: 1, votedFor: 'a', commit: 0 }, sync: true })
    const bad = { term: -1, votedFor: 'a', commit: 0 }
    expect(
      await rejection(s.write({ entries: entries(1, 1), hardState: bad, sync: true })),
    ).to.be.instanceOf(StorageError)
    const badEntry = { index: 1, term: 1, kind: 'other', data: new Uint8Array() } as never
    expect(await rejection(s.write({ entries: [badEntry], sync: true }))).to.be.instanceOf(
      StorageError,
    )
    expect(s.stats().writes).to.equal(1)
    await s.close()
    const r = await createFileStorage({ dir })
    const state = await r.load()
    expect(state.hardState).to.deep.equal({ term: 1, votedFor: 'a', commit: 0 })
    expect(state.entries).to.deep.equal([])
    await r.close()
  })
})
