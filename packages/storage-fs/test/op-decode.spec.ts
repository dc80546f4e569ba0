/**
 * decodeOpAt (op-decode.ts), recovery's direct decoding of op records, against decodeOp
 * (msgpackr): on every payload it takes it must give exactly decodeOp's op (entries that
 * validateEntries accepts), on every payload decodeOp refuses it must give `undefined` (so
 * decodeOp reports the damage), and it must take the writers' own records.
 */
import { expect } from 'chai'
import { createRng, packValue } from '@raftkit/raft-core'
import type { Entry, EntryKind, HardState, Rng } from '@raftkit/raft-core'
import type { LogOp } from '../src/log-state.js'
import { decodeOpAt } from '../src/op-decode.js'
import { opRecord } from '../src/op-record.js'
import { HEADER_BYTES } from '../src/record.js'
import { validateEntries } from '../src/validate.js'
import { decodeOp, encodeOp } from '../src/wal-codec.js'

const INTS = [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 40]
const SIZES = [0, 1, 255, 256, 65_535, 65_536]
const COUNTS = [0, 1, 15, 16, 17]
const VOTES = [null, '', 'n1', 'x'.repeat(31), 'x'.repeat(32), 'é', 'n\u0000', '\u007f']
const KINDS: EntryKind[] = ['command', 'noop', 'config']

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)] as T
const int = (rng: Rng): number => (rng.int(3) === 0 ? pick(rng, INTS) : rng.int(100_000))

function randomOp(rng: Rng, bigOdds = 10): LogOp {
  const n = pick(rng, COUNTS)
  const first = rng.int(4) === 0 ? pick(rng, INTS) : 1 + rng.int(1000)
  const term = int(rng)
  const entries: Entry[] = []
  for (let i = 0; i < n; i++) {
    const size = rng.int(bigOdds) === 0 ? pick(rng, SIZES) : rng.int(100)
    const data = new Uint8Array(size)
    for (let j = 0; j < Math.min(size, 32); j++) data[j] = rng.int(256)
    entries.push({ index: first + i, term, kind: pick(rng, KINDS), data })
  }
  const hardState: HardState = { term: int(rng), votedFor: pick(rng, VOTES), commit: int(rng) }
  return {
    ...(rng.int(4) === 0 ? { snapshot: { index: int(rng), term: int(rng) } } : {}),
    ...(rng.int(5) > 0 ? { entries } : {}),
    ...(rng.int(3) > 0 ? { hardState } : {}),
  }
}

/** What recovery's general path makes of `payload`: the op, or the error it throws. */
function slow(payload: Buffer): LogOp | Error {
  try {
    const op = decodeOp(payload)
    if (op.entries) validateEntries(op.entries)
    return op
  } catch (e) {
    return e as Error
  }
}

/** decodeOpAt on `payload` placed between random bytes (it must read nothing outside it). */
function fast(rng: Rng, payload: Buffer): LogOp | undefined {
  const before = rng.int(20)
  const after = rng.int(20)
  const noise = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => rng.int(256)))
  const buf = Buffer.concat([noise(before), payload, noise(after)])
  return decodeOpAt(buf, before, before + payload.length)
}

/** `op` with each entry's data as its type and hex (deep-equal on 64 KiB arrays is slow). */
function comparable(op: LogOp): unknown {
  const entries = op.entries?.map((e) => ({
    ...e,
    data: [e.data.constructor.name, Buffer.from(e.data).toString('hex')],
  }))
  return { ...op, ...(entries ? { entries } : {}) }
}

/** decodeOpAt takes `payload` only as decodeOp does; true if it took it. */
function agrees(rng: Rng, payload: Buffer, what: string): boolean {
  const f = fast(rng, payload)
  const s = slow(payload)
  if (f === undefined) return false
  expect(s, `${what}: decodeOp refuses what decodeOpAt took`).not.to.be.instanceOf(Error)
  expect(comparable(f), what).to.deep.equal(comparable(s as LogOp))
  return true
}

/** The fast form: what decodeOpAt must take (see op-decode.ts). */
function inFastForm(op: LogOp): boolean {
  const u32 = (n: number): boolean => n <= 0xffffffff
  const es = op.entries
  if (es && (es.length === 0 || es.some((e) => e.index < 1 || !u32(e.index) || !u32(e.term))))
    return false
  if (op.snapshot && !(u32(op.snapshot.index) && u32(op.snapshot.term))) return false
  const h = op.hardState
  if (!h) return true
  const v = h.votedFor
  return u32(h.term) && u32(h.commit) && (v === null || (v.length < 32 && /^[\0-\x7f]*$/.test(v)))
}

describe('decodeOpAt: op records decoded straight from the segment bytes', function () {
  it("gives decodeOp's op for 3 000 random ops, and takes every one in the writers' form", function () {
    const rng = createRng(41)
    let taken = 0
    for (let i = 0; i < 3000; i++) {
      const op = randomOp(rng)
      const payload = opRecord(op).subarray(HEADER_BYTES)
      const took = agrees(rng, payload, `op ${i}`)
      if (!took && inFastForm(op)) expect.fail(`op ${i} is in the writers' form but was not taken`)
      // msgpackr's own encoding of the op (encodeOp): the same bytes, the same answer.
      expect(agrees(rng, Buffer.from(encodeOp(op)), `encodeOp ${i}`)).to.equal(took)
      if (took) taken++
    }
    expect(taken).to.be.greaterThan(1000)
  })

  it('takes a damaged payload only as decodeOp does: 5 000 flipped, cut and lengthened payloads', function () {
    this.timeout(20_000)
    const rng = createRng(42)
    let taken = 0
    let refused = 0
    for (let i = 0; i < 5000; i++) {
      const good = opRecord(randomOp(rng, 200)).subarray(HEADER_BYTES)
      let bad: Buffer
      const how = rng.int(3)
      if (how === 0 && good.length > 0) {
        bad = Buffer.from(good)
        for (let k = 1 + rng.int(3); k > 0; k--) bad[rng.int(bad.length)] = rng.int(256)
      } else if (how === 1) bad = good.subarray(0, rng.int(good.length + 1))
      else bad = Buffer.concat([good, Buffer.from([rng.int(256)])])
      if (agrees(rng, bad, `payload ${i} (${how})`)) taken++
      if (slow(bad) instanceof Error) refused++
    }
    // Both kinds occur: damage that still decodes (e.g. a changed data byte) and damage that not.
    expect(taken).to.be.greaterThan(500)
    expect(refused).to.be.greaterThan(500)
  })

  it('leaves other encodings decodeOp accepts to decodeOp: keys reordered or repeated, extra keys, other types', function () {
    const rng = createRng(43)
    const e = [[1, 1, 0, new Uint8Array([1, 2])]]
    const h = [1, 'n1', 0]
    const others: unknown[] = [
      { t: 'op', h, e },
      { e, t: 'op' },
      { t: 'op', e, x: 1 },
      { t: 'op', e: [] },
      { t: 'op', s: [3, 1], h: [1, null, 2 ** 33] },
      { t: 'op', e: [[1, 1, 0, 'not bytes']] },
      { t: 'op', e: [[0, 1, 0, new Uint8Array(1)]] },
      { t: 'op', e: [[1, 1, 3, new Uint8Array(1)]] },
      { t: 'op', e: [...e, [3, 1, 0, new Uint8Array(1)]] },
      { t: 'op', h: [1, 'ü', 0] },
      { t: 'seg', seq: 1 },
      [1, 2],
    ]
    for (const value of others) {
      const payload = Buffer.from(packValue(value))
      expect(fast(rng, payload), JSON.stringify(value)).to.equal(undefined)
    }
    // A fixmap header instead of map16 (msgpack allows both): the same op.
    const op: LogOp = { entries: [{ index: 1, term: 1, kind: 'noop', data: Buffer.from([7]) }] }
    const map16 = opRecord(op).subarray(HEADER_BYTES)
    const fixmap = Buffer.concat([Buffer.from([0x82]), map16.subarray(3)])
    expect(agrees(rng, fixmap, 'fixmap')).to.equal(true)
  })
})
