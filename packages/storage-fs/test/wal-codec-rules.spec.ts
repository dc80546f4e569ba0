/**
 * The WAL payloads (wal-codec.ts): what decoding accepts, and that anything else — a record
 * whose checksums are valid but whose msgpack is not a segment header or an op of the expected
 * shape — is a WalShapeError naming what is wrong, which recovery reports as a
 * StorageCorruptionError at the record's offset, changing nothing on disk.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { expect } from 'chai'
import type { Entry } from '@raftkit/raft-core'
import { StorageCorruptionError, packValue } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'
import { frameRecord, scanRecords } from '../src/record.js'
import { WalShapeError, decodeHeader, decodeOp, encodeHeader, encodeOp } from '../src/wal-codec.js'
import { rejection, removeDir, segmentFiles, tempDir } from './helpers.js'

const bin = (n: number): Uint8Array => new Uint8Array([n])
const entry = (index: number, term: number, kind: Entry['kind'] = 'command'): Entry => ({
  index,
  term,
  kind,
  data: bin(index),
})
const plain = (es: readonly Entry[] | undefined): unknown =>
  es?.map((e) => ({ ...e, data: [...e.data] }))

function shapeError(decode: (p: Uint8Array) => unknown, value: unknown): string {
  try {
    decode(packValue(value))
  } catch (e) {
    expect(e).to.be.instanceOf(WalShapeError)
    return (e as Error).message
  }
  return expect.fail(`decoded ${JSON.stringify(value)}`)
}

/** A wire entry `[index, term, kind, data]`, with some positions replaced. */
const wEntry = (over: Record<number, unknown> = {}): unknown[] =>
  Object.assign<unknown[], Record<number, unknown>>([1, 1, 0, bin(1)], over)

/** Op payloads of the wrong shape, and the message each is refused with. */
const BAD_OPS: [string, unknown, string][] = [
  ['an array', ['op'], 'payload is not a map'],
  ['nil', null, 'payload is not a map'],
  ['a number', 5, 'payload is not a map'],
  ['another type', { t: 'seg', seq: 1 }, 'not an op record'],
  ['no type', { e: [] }, 'not an op record'],
  ['meta not an array', { t: 'op', s: 3 }, 'bad snapshot meta'],
  ['meta of 3', { t: 'op', s: [1, 1, 1] }, 'bad snapshot meta'],
  ['meta index negative', { t: 'op', s: [-1, 1] }, 'bad snapshot meta'],
  ['meta term a string', { t: 'op', s: [1, '1'] }, 'bad snapshot meta'],
  ['meta index fractional', { t: 'op', s: [1.5, 1] }, 'bad snapshot meta'],
  ['hard state not an array', { t: 'op', h: { term: 1 } }, 'bad hard state'],
  ['hard state of 2', { t: 'op', h: [1, null] }, 'bad hard state'],
  ['hard state of 4', { t: 'op', h: [1, null, 0, 0] }, 'bad hard state'],
  ['hard state term negative', { t: 'op', h: [-1, null, 0] }, 'bad hard state'],
  ['hard state commit a string', { t: 'op', h: [1, null, '0'] }, 'bad hard state'],
  ['vote a number', { t: 'op', h: [1, 2, 0] }, 'bad votedFor'],
  ['entries not an array', { t: 'op', e: 1 }, 'entries are not an array'],
  ['entry not an array', { t: 'op', e: [7] }, 'bad entry'],
  ['entry of 3', { t: 'op', e: [[1, 1, 0]] }, 'bad entry'],
  ['entry of 5', { t: 'op', e: [[...wEntry(), 0]] }, 'bad entry'],
  ['entry index negative', { t: 'op', e: [wEntry({ 0: -1 })] }, 'bad entry'],
  ['entry term a string', { t: 'op', e: [wEntry({ 1: '1' })] }, 'bad entry'],
  ['entry kind 3', { t: 'op', e: [wEntry({ 2: 3 })] }, 'bad entry'],
  ['entry kind a string', { t: 'op', e: [wEntry({ 2: 'command' })] }, 'bad entry'],
  ['entry data a string', { t: 'op', e: [wEntry({ 3: 'x' })] }, 'bad entry'],
  ['a bad entry after a good one', { t: 'op', e: [wEntry(), wEntry({ 2: -1 })] }, 'bad entry'],
]

const BAD_HEADERS: [string, unknown, string][] = [
  ['an op', { t: 'op' }, 'not a segment header'],
  ['an op with a sequence', { t: 'op', seq: 1 }, 'not a segment header'],
  ['no sequence', { t: 'seg' }, 'not a segment header'],
  ['a negative sequence', { t: 'seg', seq: -1 }, 'not a segment header'],
  ['a string sequence', { t: 'seg', seq: '1' }, 'not a segment header'],
  [
    'a checkpoint with bad entries',
    { t: 'seg', seq: 1, s: null, e: 1, h: [0, null, 0] },
    'entries are not an array',
  ],
  [
    'a checkpoint with a bad meta',
    { t: 'seg', seq: 1, s: [1], e: [], h: [0, null, 0] },
    'bad snapshot meta',
  ],
  [
    'a checkpoint with a bad hard state',
    { t: 'seg', seq: 1, s: null, e: [], h: [0] },
    'bad hard state',
  ],
  [
    'a checkpoint without entries',
    { t: 'seg', seq: 1, s: null, h: [0, null, 0] },
    'entries are not an array',
  ],
]

describe('WAL payload rules', function () {
  for (const [what, value, message] of BAD_OPS)
    it(`refuses an op record that is ${what}: "${message}"`, function () {
      expect(shapeError(decodeOp, value)).to.equal(message)
    })

  for (const [what, value, message] of BAD_HEADERS)
    it(`refuses a segment header that is ${what}: "${message}"`, function () {
      expect(shapeError(decodeHeader, value)).to.equal(message)
    })

  it('refuses bytes that are not msgpack, saying so', function () {
    let err: unknown
    try {
      decodeOp(new Uint8Array([0x92, 0x01])) // an array of two holding one
    } catch (e) {
      err = e
    }
    expect(err).to.be.instanceOf(WalShapeError)
    expect((err as Error).message).to.match(/^undecodable payload \(.+\)$/)
  })

  it('decodes every entry kind, an empty op, a vote of null or a string, index 0 and term 0', function () {
    const op = {
      snapshot: { index: 0, term: 0 },
      entries: [entry(1, 0, 'command'), entry(2, 0, 'noop'), entry(3, 1, 'config')],
      hardState: { term: 0, votedFor: null, commit: 0 },
    }
    const back = decodeOp(encodeOp(op))
    expect(back.snapshot).to.deep.equal(op.snapshot)
    expect(plain(back.entries)).to.deep.equal(plain(op.entries))
    expect(back.hardState).to.deep.equal(op.hardState)
    expect(decodeOp(encodeOp({}))).to.deep.equal({})
    expect(decodeOp(encodeOp({ entries: [] }))).to.deep.equal({})
    expect(decodeOp(encodeOp({ hardState: { term: 2, votedFor: 'n2', commit: 1 } }))).to.deep.equal(
      { hardState: { term: 2, votedFor: 'n2', commit: 1 } },
    )
  })

  it('gives entry data as a view of the record, not a copy (recovery copies the entries it keeps)', function () {
    const payload = encodeOp({ entries: [entry(1, 1)] })
    const [e] = decodeOp(payload).entries!
    expect([...e!.data]).to.deep.equal([1])
    payload.fill(0)
    expect([...e!.data]).to.deep.equal([0])
  })

  it('round-trips a plain segment header and a checkpoint header', function () {
    expect(decodeHeader(encodeHeader({ seq: 7 }))).to.deep.equal({ seq: 7 })
    for (const snapshot of [null, { index: 4, term: 2 }]) {
      const reset = {
        snapshot,
        entries: [entry(5, 2, 'config')],
        hardState: { term: 2, votedFor: 'a', commit: 5 },
      }
      const back = decodeHeader(encodeHeader({ seq: 3, reset }))
      expect(back.seq).to.equal(3)
      expect(back.reset?.snapshot).to.deep.equal(snapshot)
      expect(plain(back.reset?.entries)).to.deep.equal(plain(reset.entries))
      expect(back.reset?.hardState).to.deep.equal(reset.hardState)
    }
  })

  it('a well-framed record of the wrong shape is corruption at its offset, and the open changes nothing', async function () {
    const dir = await tempDir()
    try {
      const s = await createFileStorage({ dir })
      await s.write({ entries: [entry(1, 1)], sync: true })
      await s.close()
      const [path] = await segmentFiles(dir)
      const bytes = await readFile(path!)
      const end = scanRecords(bytes).validEnd
      const bad = frameRecord(packValue({ t: 'op', e: [wEntry({ 2: 9 })] }))
      const damaged = Buffer.concat([bytes.subarray(0, end), bad, frameRecord(encodeOp({}))])
      await writeFile(path!, damaged)
      const err = await rejection(createFileStorage({ dir }))
      expect(err).to.be.instanceOf(StorageCorruptionError)
      expect((err as StorageCorruptionError).file).to.equal(path)
      expect((err as StorageCorruptionError).offset).to.equal(end)
      expect(err.message).to.contain('bad entry')
      expect((await readFile(path!)).equals(damaged)).to.equal(true)
    } finally {
      await removeDir(dir)
    }
  })
})
