import { expect } from 'chai'
import { createRng } from '@raftkit/raft-core'
import type { Entry, EntryKind, HardState, Rng } from '@raftkit/raft-core'
import type { LogOp } from '../src/log-state.js'
import { opRecord } from '../src/op-record.js'
import { frameRecord, scanRecords } from '../src/record.js'
import { decodeOp, encodeOp } from '../src/wal-codec.js'

/** Integers on both sides of every msgpack size class, and beyond 32 bits (msgpackr's float64). */
const INTS = [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 40, 2 ** 53 - 1]
/** Payload sizes on both sides of bin8/bin16/bin32. */
const SIZES = [0, 1, 200, 255, 256, 65_535, 65_536]
/** Entry counts on both sides of fixarray/array16. */
const COUNTS = [0, 1, 15, 16, 17, 40]
const VOTES = [null, '', 'n1', 'x'.repeat(31), 'x'.repeat(32), 'é', 'n\u0000', 'x'.repeat(300)]
const KINDS: EntryKind[] = ['command', 'noop', 'config']

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)] as T
/** Mostly small values (the common case), sometimes a boundary. */
const int = (rng: Rng): number => (rng.int(3) === 0 ? pick(rng, INTS) : rng.int(100_000))

function randomEntries(rng: Rng): Entry[] {
  const n = pick(rng, COUNTS)
  // Indexes stay safe integers (what validateBatch lets through).
  const first = rng.int(4) === 0 ? Math.min(pick(rng, INTS), 2 ** 53 - 1 - n) : 1 + rng.int(1000)
  const term = int(rng)
  const out: Entry[] = []
  for (let i = 0; i < n; i++) {
    const size = rng.int(8) === 0 ? pick(rng, SIZES) : rng.int(300)
    const data = new Uint8Array(size)
    for (let j = 0; j < Math.min(size, 64); j++) data[j] = rng.int(256)
    // Buffers and plain Uint8Arrays, as callers hand them in.
    const bytes = rng.int(2) === 0 ? data : Buffer.from(data.buffer, 0, size)
    out.push({ index: first + i, term, kind: pick(rng, KINDS), data: bytes })
  }
  return out
}

function randomOp(rng: Rng): LogOp {
  const hardState: HardState = { term: int(rng), votedFor: pick(rng, VOTES), commit: int(rng) }
  return {
    ...(rng.int(4) === 0 ? { snapshot: { index: int(rng), term: int(rng) } } : {}),
    ...(rng.int(5) > 0 ? { entries: randomEntries(rng) } : {}),
    ...(rng.int(3) > 0 ? { hardState } : {}),
  }
}

describe('opRecord: the WAL record of an op, written directly', function () {
  it('gives exactly the bytes of frameRecord(encodeOp(op)) on 3 000 random ops at every size boundary', function () {
    const rng = createRng(15)
    for (let i = 0; i < 3000; i++) {
      const op = randomOp(rng)
      const fast = opRecord(op)
      const slow = frameRecord(encodeOp(op))
      if (!fast.equals(slow))
        expect.fail(
          `op ${i} (${JSON.stringify(op, (_, v: unknown) => (v instanceof Uint8Array ? v.length : v))}) encodes differently`,
        )
    }
  })

  it('covers every integer, size, count and vote of the boundary lists', function () {
    for (const n of INTS)
      for (const votedFor of VOTES) {
        const op: LogOp = {
          snapshot: { index: n, term: n },
          entries: [{ index: n, term: n, kind: 'command', data: new Uint8Array(3) }],
          hardState: { term: n, votedFor, commit: n },
        }
        expect(opRecord(op).equals(frameRecord(encodeOp(op))), `${n} ${votedFor}`).to.equal(true)
      }
    for (const size of SIZES)
      for (const count of COUNTS) {
        const entries = Array.from({ length: count }, (_, i) => ({
          index: 1 + i,
          term: 1,
          kind: 'command' as const,
          data: new Uint8Array(size).fill(i),
        }))
        const op: LogOp = { entries }
        expect(opRecord(op).equals(frameRecord(encodeOp(op))), `${size} × ${count}`).to.equal(true)
      }
  })

  it('gives the same bytes for values outside the fast path: negative, fractional, unsafe, non-ASCII', function () {
    const odd = [-1, -128, -129, -70_000, 0.5, 127.5, 2 ** 32 + 0.5, -(2 ** 40), 2 ** 53, NaN]
    for (const n of odd) {
      const ops: LogOp[] = [
        { snapshot: { index: n, term: 1 } },
        { snapshot: { index: 1, term: n } },
        { entries: [{ index: n, term: 1, kind: 'noop', data: new Uint8Array(1) }] },
        { entries: [{ index: 1, term: n, kind: 'config', data: new Uint8Array(1) }] },
        { hardState: { term: n, votedFor: 'a', commit: 1 } },
        { hardState: { term: 1, votedFor: null, commit: n } },
      ]
      for (const op of ops)
        expect(
          opRecord(op).equals(frameRecord(encodeOp(op))),
          `${n}: ${Object.keys(op)[0]}`,
        ).to.equal(true)
    }
    for (const votedFor of ['\u007f', '\u0080', 'a\u00ff', 'ü'.repeat(20)]) {
      const op: LogOp = { hardState: { term: 1, votedFor, commit: 1 } }
      expect(opRecord(op).equals(frameRecord(encodeOp(op))), votedFor).to.equal(true)
    }
  })

  it('gives the same bytes for batches of 65 535 and 65 536 entries (array16 and array32 headers)', function () {
    for (const count of [65_535, 65_536]) {
      const data = new Uint8Array(0)
      const op: LogOp = {
        entries: Array.from({ length: count }, (_, i) => ({
          index: 1 + i,
          term: 1,
          kind: 'command' as const,
          data,
        })),
      }
      expect(opRecord(op).equals(frameRecord(encodeOp(op))), `${count} entries`).to.equal(true)
    }
  })

  it('decodes back to the op it was made from', function () {
    const rng = createRng(16)
    for (let i = 0; i < 200; i++) {
      const op = randomOp(rng)
      const { records, stop } = scanRecords(opRecord(op))
      expect(stop).to.equal(undefined)
      const back = decodeOp((records[0] as { payload: Buffer }).payload)
      const plain = (es: readonly Entry[] | undefined): unknown =>
        es && es.length > 0 ? es.map((e) => ({ ...e, data: [...e.data] })) : undefined
      expect(plain(back.entries)).to.deep.equal(plain(op.entries))
      expect(back.hardState).to.deep.equal(op.hardState)
      expect(back.snapshot).to.deep.equal(op.snapshot)
    }
  })
})
