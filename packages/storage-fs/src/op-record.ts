/**
 * The framed WAL record of one op, written directly into its buffer (issue 15: every node
 * encodes every entry it writes). The bytes are exactly `frameRecord(encodeOp(op))` — the same
 * msgpack msgpackr writes for encodeOp's map `{ t, s?, e?, h? }` (a map16 header, fixstr keys,
 * arrays of `[index, term, kind, data]`) — without the per-entry arrays, msgpackr's walk over
 * them and the copy of the payload into the frame. Only values msgpackr writes in the forms
 * below are taken this way: integers below 2^32, a vote that is null or an ASCII string of
 * fewer than 32 characters; anything else goes through encodeOp. test/op-record.spec.ts
 * compares both on random ops at every size boundary.
 */
import type { Entry, HardState, SnapshotMeta } from '@raftkit/raft-core'
import type { LogOp } from './log-state.js'
import { HEADER_BYTES, crc32c, frameRecord } from './record.js'
import { encodeOp } from './wal-codec.js'

const UINT32_MAX = 0xffffffff

const isUint32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= UINT32_MAX

/** Bytes msgpackr writes for a non-negative integer below 2^32. */
function uintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5
}

function writeUint(out: Buffer, at: number, n: number): number {
  if (n < 0x80) {
    out[at] = n
    return at + 1
  }
  if (n < 0x100) {
    out[at] = 0xcc
    out[at + 1] = n
    return at + 2
  }
  if (n < 0x10000) {
    out[at] = 0xcd
    out.writeUInt16BE(n, at + 1)
    return at + 3
  }
  out[at] = 0xce
  out.writeUInt32BE(n, at + 1)
  return at + 5
}

function headSize(n: number, fix: number): number {
  return n < fix ? 1 : n < 0x10000 ? 3 : 5
}

/** An array header (fixarray, array16, array32). */
function writeArrayHead(out: Buffer, at: number, n: number): number {
  if (n < 16) {
    out[at] = 0x90 | n
    return at + 1
  }
  if (n < 0x10000) {
    out[at] = 0xdc
    out.writeUInt16BE(n, at + 1)
    return at + 3
  }
  out[at] = 0xdd
  out.writeUInt32BE(n, at + 1)
  return at + 5
}

function binHeadSize(n: number): number {
  return n < 0x100 ? 2 : n < 0x10000 ? 3 : 5
}

function writeBinHead(out: Buffer, at: number, n: number): number {
  if (n < 0x100) {
    out[at] = 0xc4
    out[at + 1] = n
    return at + 2
  }
  if (n < 0x10000) {
    out[at] = 0xc5
    out.writeUInt16BE(n, at + 1)
    return at + 3
  }
  out[at] = 0xc6
  out.writeUInt32BE(n, at + 1)
  return at + 5
}

/** A vote the fast path writes as a fixstr (or nil); other strings go through msgpackr. */
function simpleVote(v: string | null): boolean {
  if (v === null) return true
  if (v.length >= 32) return false
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) >= 0x80) return false
  return true
}

/**
 * Size of the entries' encoding (array header included), or -1 when an entry is outside the
 * fast path. (A loop of its own, like raft-core's packed-entries helpers.)
 */
function entriesSize(entries: readonly Entry[]): number {
  let size = headSize(entries.length, 16)
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as Entry
    if (!isUint32(e.index) || !isUint32(e.term)) return -1
    const n = e.data.length
    size += 1 + uintSize(e.index) + uintSize(e.term) + 1 + binHeadSize(n) + n
  }
  return size
}

function writeEntries(out: Buffer, at: number, entries: readonly Entry[]): number {
  at = writeArrayHead(out, at, entries.length)
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as Entry
    out[at++] = 0x94
    at = writeUint(out, at, e.index)
    at = writeUint(out, at, e.term)
    out[at++] = e.kind === 'noop' ? 1 : e.kind === 'config' ? 2 : 0
    const d = e.data
    at = writeBinHead(out, at, d.length)
    out.set(d, at)
    at += d.length
  }
  return at
}

function metaFits(m: SnapshotMeta | undefined): boolean {
  return m === undefined || (isUint32(m.index) && isUint32(m.term))
}

function hardStateFits(h: HardState | undefined): boolean {
  return h === undefined || (isUint32(h.term) && isUint32(h.commit) && simpleVote(h.votedFor))
}

/** `frameRecord(encodeOp(op))`, written in one pass where it can be (see the file comment). */
export function opRecord(op: LogOp): Buffer {
  const { snapshot, hardState } = op
  const entries = op.entries !== undefined && op.entries.length > 0 ? op.entries : undefined
  const eSize = entries === undefined ? 0 : entriesSize(entries)
  if (eSize < 0 || !metaFits(snapshot) || !hardStateFits(hardState))
    return frameRecord(encodeOp(op))
  // map16 header (3) + "t" (2) + "op" (3)
  let size = 8
  if (snapshot) size += 2 + 1 + uintSize(snapshot.index) + uintSize(snapshot.term)
  if (entries) size += 2 + eSize
  if (hardState)
    size +=
      2 +
      1 +
      uintSize(hardState.term) +
      1 +
      (hardState.votedFor?.length ?? 0) +
      uintSize(hardState.commit)
  const out = Buffer.allocUnsafe(HEADER_BYTES + size)
  let at = HEADER_BYTES
  out[at] = 0xde
  out[at + 1] = 0
  out[at + 2] = 1 + (snapshot ? 1 : 0) + (entries ? 1 : 0) + (hardState ? 1 : 0)
  // "t": "op"
  out[at + 3] = 0xa1
  out[at + 4] = 0x74
  out[at + 5] = 0xa2
  out[at + 6] = 0x6f
  out[at + 7] = 0x70
  at += 8
  if (snapshot) {
    out[at] = 0xa1
    out[at + 1] = 0x73 // "s"
    out[at + 2] = 0x92
    at = writeUint(out, at + 3, snapshot.index)
    at = writeUint(out, at, snapshot.term)
  }
  if (entries) {
    out[at] = 0xa1
    out[at + 1] = 0x65 // "e"
    at = writeEntries(out, at + 2, entries)
  }
  if (hardState) {
    out[at] = 0xa1
    out[at + 1] = 0x68 // "h"
    out[at + 2] = 0x93
    at = writeUint(out, at + 3, hardState.term)
    const vote = hardState.votedFor
    if (vote === null) out[at++] = 0xc0
    else {
      out[at++] = 0xa0 | vote.length
      at += out.write(vote, at, 'latin1')
    }
    at = writeUint(out, at, hardState.commit)
  }
  if (at !== out.length) throw new Error(`invariant: op record of ${at} bytes, sized ${out.length}`)
  const payload = out.subarray(HEADER_BYTES)
  out.writeUInt32LE(size, 0)
  out.writeUInt32LE(crc32c(payload), 4)
  out.writeUInt32LE(crc32c(out.subarray(0, 8)), 8)
  return out
}
