/**
 * When a snapshot checkpoints the log (`checkpointBytes`): once the segments hold that many
 * bytes, the next durable snapshot replaces them with one checkpoint segment, so a restart
 * replays about that much and not a whole 64 MiB segment. Below it, a snapshot leaves the
 * segments alone (a checkpoint per snapshot would rewrite the log's tail each time).
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import type { Entry } from '@raftkit/raft-core'
import { StorageError } from '@raftkit/raft-core'
import { DEFAULT_CHECKPOINT_BYTES, DEFAULT_SEGMENT_BYTES, createFileStorage } from '../src/index.js'
import { scanRecords } from '../src/record.js'
import { segmentName } from '../src/segments.js'
import { rejection, removeDir, segmentFiles, tempDir } from './helpers.js'

const MIB = 1024 * 1024

const sized = (index: number, bytes: number): Entry => ({
  index,
  term: 1,
  kind: 'command',
  data: new Uint8Array(bytes).fill(index % 251 || 1),
})

/** Bytes of records in the log's segments (preallocated zeros not counted). */
async function logBytes(dir: string): Promise<number> {
  let n = 0
  for (const f of await segmentFiles(dir)) n += scanRecords(await readFile(f)).validEnd
  return n
}

describe('checkpoints (checkpointBytes)', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('by default a snapshot checkpoints a log of 8 MiB, long before the 64 MiB segment is full', async function () {
    expect(DEFAULT_CHECKPOINT_BYTES).to.equal(8 * MIB)
    expect(DEFAULT_SEGMENT_BYTES).to.equal(64 * MIB)
    const s = await createFileStorage({ dir })
    for (let i = 1; i <= 7; i++) await s.write({ entries: [sized(i, MIB)], sync: true })
    // About 7 MiB: a snapshot keeps the segment.
    await s.compact({ meta: { index: 3, term: 1 }, data: new Uint8Array([3]) })
    expect(await segmentFiles(dir)).to.deep.equal([join(dir, segmentName(1))])
    for (let i = 8; i <= 9; i++) await s.write({ entries: [sized(i, MIB)], sync: true })
    // About 9 MiB: the next snapshot writes a checkpoint and deletes segment 1.
    await s.compact({ meta: { index: 8, term: 1 }, data: new Uint8Array([8]) })
    await s.write({
      entries: [sized(10, 100)],
      hardState: { term: 1, votedFor: 'n1', commit: 9 },
      sync: true,
    })
    await s.close()
    expect(await segmentFiles(dir)).to.deep.equal([join(dir, segmentName(2))])
    // What a restart reads: the entries after the snapshot, not the 9 MiB before it.
    expect(await logBytes(dir)).to.be.within(MIB, MIB + 4096)
    const again = await createFileStorage({ dir })
    const state = await again.load()
    await again.close()
    expect(state.snapshot?.meta).to.deep.equal({ index: 8, term: 1 })
    expect(Array.from(state.snapshot?.data ?? [])).to.deep.equal([8])
    expect(state.entries.map((e) => [e.index, e.data.length])).to.deep.equal([
      [9, MIB],
      [10, 100],
    ])
    expect(Buffer.from(state.entries[0]!.data).equals(Buffer.from(sized(9, MIB).data))).to.equal(
      true,
    )
    expect(state.hardState).to.deep.equal({ term: 1, votedFor: 'n1', commit: 9 })
  })

  it('a smaller checkpointBytes checkpoints sooner; a larger one keeps the segment', async function () {
    const write = async (checkpointBytes: number, at: number): Promise<string[]> => {
      const s = await createFileStorage({ dir, checkpointBytes })
      for (let i = at; i < at + 30; i++) await s.write({ entries: [sized(i, 200)], sync: true })
      await s.compact({ meta: { index: at + 20, term: 1 }, data: new Uint8Array(1) })
      await s.close()
      return (await segmentFiles(dir)).map((f) => f.slice(dir.length + 1))
    }
    // About 6.6 KiB of log: kept under a 1 MiB threshold, checkpointed under a 4 KiB one.
    expect(await write(MIB, 1)).to.deep.equal([segmentName(1)])
    expect(await write(4096, 31)).to.deep.equal([segmentName(2)])
    expect((await stat(join(dir, segmentName(2)))).size).to.be.greaterThan(0)
    const s = await createFileStorage({ dir })
    const state = await s.load()
    await s.close()
    expect(state.snapshot?.meta.index).to.equal(51)
    expect(state.entries.map((e) => e.index)).to.deep.equal([52, 53, 54, 55, 56, 57, 58, 59, 60])
  })

  it('a checkpointBytes below 1024 or not an integer is a StorageError naming it', async function () {
    for (const checkpointBytes of [0, 1023, 4096.5, Number.NaN]) {
      const err = await rejection(createFileStorage({ dir, checkpointBytes }))
      expect(err).to.be.instanceOf(StorageError)
      expect(err.message).to.equal(
        `checkpointBytes must be an integer >= 1024, got ${String(checkpointBytes)}`,
      )
    }
    // Nothing was created or locked: a valid open afterwards works.
    const s = await createFileStorage({ dir, checkpointBytes: 1024 })
    await s.close()
  })
})
