/**
 * What FileStorage accepts from callers (validate.ts): a malformed batch is a StorageError
 * naming what is wrong, and is never written; every value at the edge of what is valid (term 0,
 * commit 0, index 1, no vote, every entry kind) is accepted.
 */
import { expect } from 'chai'
import type { StorageBatch } from '@raftkit/raft-core'
import { StorageError } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'
import { validateBatch } from '../src/validate.js'
import { rejection, removeDir, tempDir } from './helpers.js'

const data = new Uint8Array([1])
const ok = { index: 1, term: 0, kind: 'command', data }

/** Each malformed batch, and the exact message it is refused with. */
const REFUSED: [string, unknown, string][] = [
  ['no batch', null, 'batch must be an object'],
  ['a string batch', 'x', 'batch must be an object'],
  ['sync missing', {}, 'batch.sync must be a boolean'],
  ['hard state null', { sync: true, hardState: null }, 'hardState must be an object'],
  ['hard state a number', { sync: true, hardState: 3 }, 'hardState must be an object'],
  [
    'negative term',
    { sync: true, hardState: { term: -1, votedFor: null, commit: 0 } },
    'hardState.term must be a non-negative integer, got -1',
  ],
  [
    'fractional term',
    { sync: true, hardState: { term: 1.5, votedFor: null, commit: 0 } },
    'hardState.term must be a non-negative integer, got 1.5',
  ],
  [
    'string commit',
    { sync: true, hardState: { term: 1, votedFor: null, commit: '2' } },
    'hardState.commit must be a non-negative integer, got 2',
  ],
  [
    'unsafe commit',
    { sync: true, hardState: { term: 1, votedFor: null, commit: 2 ** 53 } },
    `hardState.commit must be a non-negative integer, got ${2 ** 53}`,
  ],
  [
    'numeric vote',
    { sync: true, hardState: { term: 1, votedFor: 7, commit: 0 } },
    'hardState.votedFor must be a string or null',
  ],
  [
    'undefined vote',
    { sync: true, hardState: { term: 1, commit: 0 } },
    'hardState.votedFor must be a string or null',
  ],
  ['snapshot null', { sync: true, snapshot: null }, 'snapshot must be an object'],
  ['snapshot a number', { sync: true, snapshot: 1 }, 'snapshot must be an object'],
  [
    'snapshot meta null',
    { sync: true, snapshot: { meta: null, data } },
    'snapshot.meta must be an object',
  ],
  [
    'snapshot meta a string',
    { sync: true, snapshot: { meta: 's', data } },
    'snapshot.meta must be an object',
  ],
  [
    'snapshot index negative',
    { sync: true, snapshot: { meta: { index: -1, term: 1 }, data } },
    'snapshot.meta.index must be a non-negative integer, got -1',
  ],
  [
    'snapshot term fractional',
    { sync: true, snapshot: { meta: { index: 1, term: 0.5 }, data } },
    'snapshot.meta.term must be a non-negative integer, got 0.5',
  ],
  [
    'snapshot data an array',
    { sync: true, snapshot: { meta: { index: 1, term: 1 }, data: [1] } },
    'snapshot.data must be a Uint8Array',
  ],
  ['entries an object', { sync: true, entries: { 0: ok } }, 'entries must be an array'],
  ['an entry null', { sync: true, entries: [null] }, 'every entry must be an object'],
  ['an entry a number', { sync: true, entries: [3] }, 'every entry must be an object'],
  [
    'index 0',
    { sync: true, entries: [{ ...ok, index: 0 }] },
    'entry index must be a positive integer, got 0',
  ],
  [
    'index a string',
    { sync: true, entries: [{ ...ok, index: '1' }] },
    'entry index must be a positive integer, got 1',
  ],
  [
    'negative term',
    { sync: true, entries: [{ ...ok, term: -1 }] },
    'entry 1: term must be a non-negative integer',
  ],
  [
    'unknown kind',
    { sync: true, entries: [{ ...ok, kind: 'other' }] },
    "entry 1: kind must be 'command', 'noop' or 'config'",
  ],
  [
    'data a string',
    { sync: true, entries: [{ ...ok, data: 'x' }] },
    'entry 1: data must be a Uint8Array',
  ],
  [
    'a gap',
    { sync: true, entries: [ok, { ...ok, index: 3 }] },
    'entries must be consecutive (1 then 3)',
  ],
  [
    'a repeat',
    { sync: true, entries: [ok, { ...ok, index: 2 }, { ...ok, index: 2 }] },
    'entries must be consecutive (2 then 2)',
  ],
]

describe('validation of writes', function () {
  for (const [what, batch, message] of REFUSED) {
    it(`refuses ${what}: "${message}"`, function () {
      let err: unknown
      try {
        validateBatch(batch as StorageBatch)
      } catch (e) {
        err = e
      }
      expect(err).to.be.instanceOf(StorageError)
      expect((err as Error).message).to.equal(`invalid storage write: ${message}`)
    })
  }

  it('accepts the edges of what is valid', function () {
    const batches: StorageBatch[] = [
      { sync: false },
      { sync: true, hardState: { term: 0, votedFor: null, commit: 0 } },
      { sync: true, hardState: { term: 2 ** 53 - 1, votedFor: '', commit: 2 ** 53 - 1 } },
      { sync: true, snapshot: { meta: { index: 0, term: 0 }, data: new Uint8Array(0) } },
      { sync: true, snapshot: { meta: { index: 5, term: 2 }, data: Buffer.from('s') } },
      { sync: true, entries: [] },
      {
        sync: true,
        entries: [
          { index: 1, term: 0, kind: 'command', data: new Uint8Array(0) },
          { index: 2, term: 0, kind: 'noop', data: Buffer.alloc(0) },
          { index: 3, term: 1, kind: 'config', data },
        ],
      },
    ]
    for (const b of batches) expect(() => validateBatch(b), JSON.stringify(b)).not.to.throw()
  })

  it('a refused batch is never written, and the storage goes on', async function () {
    const dir = await tempDir()
    try {
      const s = await createFileStorage({ dir })
      for (const [what, batch] of REFUSED) {
        const err = await rejection(s.write(batch as StorageBatch))
        expect(err, what).to.be.instanceOf(StorageError)
      }
      await s.write({ entries: [ok as never], sync: true })
      expect(s.stats().writes).to.equal(1)
      await s.close()
      const again = await createFileStorage({ dir })
      expect((await again.load()).entries.map((e) => e.index)).to.deep.equal([1])
      await again.close()
    } finally {
      await removeDir(dir)
    }
  })
})
