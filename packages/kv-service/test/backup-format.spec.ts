/**
 * The backup file format (backup-format.ts): what is encoded decodes to the same backup, and
 * every kind of damage — a cut file, a flipped byte anywhere, bytes appended, another kind of
 * file, an unknown version, metadata or a snapshot that does not decode under a valid
 * checksum — throws BackupFormatError naming the problem, never a (partial) result.
 */
import { createHash } from 'node:crypto'
import { expect } from 'chai'
import fc from 'fast-check'
import {
  BACKUP_CHECKSUM_BYTES,
  BACKUP_HEADER_BYTES,
  decodeBackup,
  encodeBackup,
} from '../src/backup-format.js'
import { BackupFormatError } from '../src/errors.js'
import type { Session } from '../src/session-entry.js'
import { encodeSnapshot } from '../src/snapshot-format.js'

const text = fc.string({ maxLength: 12 })
const id = fc.string({ minLength: 1, maxLength: 8 })

/** A state snapshot as the state machine writes it: data, sessions in lastIndex order. */
const snapshotArb = fc
  .record({
    data: fc.array(fc.tuple(text, text), { maxLength: 8 }),
    sessions: fc.array(fc.tuple(id, fc.nat(1000), text, fc.nat(1000), text, fc.nat(5000)), {
      maxLength: 5,
    }),
  })
  .map(({ data, sessions }) => {
    const table = new Map<string, Session>()
    const sorted = [...sessions].sort((a, b) => a[3] - b[3])
    for (const [cid, seq, result, lastIndex, digest, refusedLimit] of sorted) {
      table.delete(cid)
      table.set(cid, { seq, result, lastIndex, digest, refusedLimit })
    }
    const ordered = new Map([...table].sort((a, b) => a[1].lastIndex - b[1].lastIndex))
    return { data: new Map(data), sessions: ordered }
  })

const backupArb = fc
  .record({
    index: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    term: fc.integer({ min: 1, max: 1_000_000 }),
    members: fc.array(id, { maxLength: 5 }),
    createdAt: text,
    state: snapshotArb,
  })
  .map(({ state, ...meta }) => ({
    backup: { ...meta, snapshot: encodeSnapshot(state.data, state.sessions) },
    state,
  }))

/** The message of the BackupFormatError decoding throws. */
function errorOf(bytes: Uint8Array): string {
  try {
    decodeBackup(bytes)
  } catch (e) {
    if (e instanceof BackupFormatError) return e.message
    throw e
  }
  return 'decoded'
}

function problemOf(bytes: Uint8Array): string {
  try {
    decodeBackup(bytes)
  } catch (e) {
    if (e instanceof BackupFormatError) {
      expect(e.code).to.equal('KV_BACKUP_FORMAT')
      expect(e.message).to.include(e.problem)
      return e.problem
    }
    throw e
  }
  return 'decoded'
}

/** A file with a valid checksum over the given parts (for damage the checksum cannot catch). */
function framed(meta: string, snapshot: Uint8Array, version = 1, reserved = 0): Buffer {
  const m = Buffer.from(meta, 'utf8')
  const head = Buffer.alloc(BACKUP_HEADER_BYTES)
  head.write('RKBACKUP', 0, 'latin1')
  head.writeUInt16BE(version, 8)
  head.writeUInt16BE(reserved, 10)
  head.writeUInt32BE(m.length, 12)
  head.writeBigUInt64BE(BigInt(snapshot.length), 16)
  const body = Buffer.concat([head, m, snapshot])
  return Buffer.concat([body, createHash('sha256').update(body).digest()])
}

const goodMeta = JSON.stringify({ index: 7, term: 2, members: ['n1'], createdAt: 'now' })
const emptyState = encodeSnapshot(new Map(), new Map())

describe('backup format', () => {
  it('round trip: what is encoded decodes to the same metadata, snapshot bytes and state', () => {
    fc.assert(
      fc.property(backupArb, ({ backup, state }) => {
        const bytes = encodeBackup(backup)
        const d = decodeBackup(bytes)
        expect({ ...d, state: undefined, snapshot: undefined }).to.deep.equal({
          index: backup.index,
          term: backup.term,
          members: backup.members,
          createdAt: backup.createdAt,
          state: undefined,
          snapshot: undefined,
        })
        expect(Buffer.from(d.snapshot).equals(Buffer.from(backup.snapshot))).to.equal(true)
        expect(d.state.data).to.deep.equal(state.data)
        expect([...d.state.sessions]).to.deep.equal([...state.sessions])
        // The result does not share memory with the input.
        bytes.fill(0)
        expect(decodeBackup(encodeBackup(d)).index).to.equal(backup.index)
      }),
      { seed: 20261206, numRuns: 200 },
    )
  })

  it('a cut file (every proper prefix, the empty file too) is "truncated"', () => {
    fc.assert(
      fc.property(backupArb, fc.nat(), ({ backup }, n) => {
        const bytes = encodeBackup(backup)
        expect(problemOf(bytes.subarray(0, n % bytes.length))).to.equal('truncated')
      }),
      { seed: 7, numRuns: 300 },
    )
    const bytes = encodeBackup({
      index: 1,
      term: 1,
      members: [],
      createdAt: '',
      snapshot: emptyState,
    })
    for (let n = 0; n < bytes.length; n++)
      expect(problemOf(bytes.subarray(0, n)), `prefix of ${n} bytes`).to.equal('truncated')
  })

  it('a flipped byte anywhere is refused, with the problem its place implies', () => {
    fc.assert(
      fc.property(backupArb, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ backup }, at, xor) => {
        const bytes = encodeBackup(backup)
        const i = at % bytes.length
        bytes[i] = (bytes[i] as number) ^ xor
        const problem = problemOf(bytes)
        if (i < 8) expect(problem).to.equal('foreign')
        else if (i < 10) expect(problem).to.equal('version')
        else if (i < 12 || i >= BACKUP_HEADER_BYTES) expect(problem).to.equal('corrupt')
        else expect(problem).to.be.oneOf(['truncated', 'trailing', 'corrupt'])
      }),
      { seed: 11, numRuns: 1000 },
    )
  })

  it('bytes appended after the checksum are "trailing"', () => {
    fc.assert(
      fc.property(
        backupArb,
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        ({ backup }, extra) => {
          expect(problemOf(Buffer.concat([encodeBackup(backup), extra]))).to.equal('trailing')
        },
      ),
      { seed: 3, numRuns: 200 },
    )
  })

  it('another kind of file is "foreign"', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (bytes) => {
        fc.pre(!Buffer.from('RKBACKUP').subarray(0, bytes.length).equals(bytes.subarray(0, 8)))
        expect(problemOf(bytes)).to.equal('foreign')
      }),
      { seed: 5, numRuns: 300 },
    )
    expect(problemOf(Buffer.from('{"nodes": []}\n'))).to.equal('foreign')
    expect(problemOf(emptyState)).to.equal('foreign') // a bare state snapshot
  })

  it('a version this build does not know is "version", even with a valid checksum', () => {
    expect(problemOf(framed(goodMeta, emptyState, 2))).to.equal('version')
    expect(problemOf(framed(goodMeta, emptyState, 1))).to.equal('decoded')
  })

  it('under a valid checksum, metadata or a snapshot that does not decode is "malformed"', () => {
    for (const meta of [
      'not json',
      '[1]',
      JSON.stringify({ index: 0, term: 1, members: [], createdAt: '' }),
      JSON.stringify({ index: 1, term: 1.5, members: [], createdAt: '' }),
      JSON.stringify({ index: 1, term: 1, members: [''], createdAt: '' }),
      JSON.stringify({ index: 1, term: 1, members: 'n1', createdAt: '' }),
      JSON.stringify({ index: 1, term: 1, members: [] }),
    ])
      expect(problemOf(framed(meta, emptyState)), meta).to.equal('malformed')
    expect(problemOf(framed(goodMeta, Buffer.from('no snapshot')))).to.equal('malformed')
  })

  it('the checksum covers the header: a consistent but changed length is refused', () => {
    const bytes = encodeBackup({
      index: 3,
      term: 1,
      members: ['a'],
      createdAt: 'x',
      snapshot: emptyState,
    })
    const cut = Buffer.concat([
      bytes.subarray(0, bytes.length - BACKUP_CHECKSUM_BYTES - 1),
      bytes.subarray(-BACKUP_CHECKSUM_BYTES),
    ])
    cut.writeBigUInt64BE(BigInt(emptyState.length - 1), 16)
    expect(problemOf(cut)).to.equal('corrupt')
  })

  it('encodeBackup refuses metadata that decoding would refuse', () => {
    for (const bad of [
      { index: 0, term: 1 },
      { index: 1, term: 0 },
      { index: 1.5, term: 1 },
    ])
      expect(() =>
        encodeBackup({ ...bad, members: [], createdAt: '', snapshot: emptyState }),
      ).to.throw(RangeError)
  })

  it('a file of exactly the smallest size (empty metadata and snapshot) gets past the size check', () => {
    const bytes = framed('', new Uint8Array(0))
    expect(bytes.length).to.equal(BACKUP_HEADER_BYTES + BACKUP_CHECKSUM_BYTES)
    expect(errorOf(bytes)).to.include('(malformed): the metadata is not JSON')
  })

  it('non-zero reserved header bytes are "corrupt", even with a valid checksum', () => {
    expect(errorOf(framed(goodMeta, emptyState, 1, 1))).to.include(
      '(corrupt): the reserved header bytes are not zero',
    )
  })

  it('metadata up to 1 MiB is read; a header announcing more is "corrupt", not "truncated"', () => {
    const mib = 1024 * 1024
    const padded = goodMeta.slice(0, -1) + ' '.repeat(mib - goodMeta.length) + '}'
    expect(Buffer.byteLength(padded)).to.equal(mib)
    expect(problemOf(framed(padded, emptyState))).to.equal('decoded')
    const head = framed(goodMeta, emptyState)
    head.writeUInt32BE(mib + 1, 12)
    expect(errorOf(head)).to.include(`(corrupt): the header gives ${mib + 1} bytes of metadata`)
  })

  it("each problem's message names what is wrong, with the numbers", () => {
    const good = framed(goodMeta, emptyState)
    const n = good.length
    expect(errorOf(Buffer.from('PK\x03\x04'))).to.include('does not start with "RKBACKUP"')
    expect(errorOf(good.subarray(0, 20))).to.include(
      '(truncated): 20 bytes, shorter than the smallest backup (56 bytes)',
    )
    expect(errorOf(good.subarray(0, n - 1))).to.include(
      `(truncated): ${n - 1} bytes where the header announces ${n}`,
    )
    expect(errorOf(Buffer.concat([good, Buffer.alloc(3)]))).to.include(
      `(trailing): ${n + 3} bytes where the header announces ${n}: 3 bytes after the checksum`,
    )
    expect(errorOf(framed(goodMeta, emptyState, 9))).to.include(
      '(version): format version 9; this build reads version 1',
    )
    const flipped = Buffer.from(good)
    flipped[BACKUP_HEADER_BYTES] = (flipped[BACKUP_HEADER_BYTES] as number) ^ 1
    expect(errorOf(flipped)).to.include('(corrupt): the SHA-256 checksum does not match')
    const meta = (m: object | string): string =>
      errorOf(framed(typeof m === 'string' ? m : JSON.stringify(m), emptyState))
    expect(meta('{')).to.include('(malformed): the metadata is not JSON')
    for (const notObject of ['[1]', 'null', '5', '"text"'])
      expect(meta(notObject), notObject).to.include('the metadata is not a JSON object')
    const base = { index: 1, term: 1, members: ['n1'], createdAt: '' }
    expect(meta({ ...base, index: 0 })).to.include(
      "the metadata's index must be a positive integer, got 0",
    )
    expect(meta({ ...base, term: '2' })).to.include(
      "the metadata's term must be a positive integer, got 2",
    )
    expect(meta({ ...base, members: [''] })).to.include(
      "the metadata's members must be an array of node ids",
    )
    expect(meta({ ...base, createdAt: 1 })).to.include("the metadata's createdAt must be a string")
    expect(() =>
      encodeBackup({ index: 1, term: -1, members: [], createdAt: '', snapshot: emptyState }),
    ).to.throw(RangeError, 'encodeBackup: term must be a positive integer, got -1')
  })

  it('members must be strings: a nested array or a number is "malformed", and encode refuses it', () => {
    for (const members of [[['n1']], [1], ['n1', null]]) {
      const meta = JSON.stringify({ index: 1, term: 1, members, createdAt: '' })
      expect(problemOf(framed(meta, emptyState)), meta).to.equal('malformed')
      expect(() =>
        encodeBackup({
          index: 1,
          term: 1,
          members: members as unknown as string[],
          createdAt: '',
          snapshot: emptyState,
        }),
      ).to.throw(RangeError, 'members must be an array of node ids')
    }
  })
})
