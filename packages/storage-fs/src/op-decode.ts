/**
 * Decoding of an op record's payload straight from the segment's bytes, the mirror of
 * op-record.ts: recovery replays hundreds of thousands of op records, and msgpackr's generic
 * walk (plus the payload view it needs) was most of a replay's CPU. Only the exact form the
 * writers produce is taken — a map `{ t: 'op', s?, e?, h? }` with its keys in that order,
 * integers below 2^32, at least one entry, consecutive entry indexes from 1 up, a vote that is
 * null or an ASCII fixstr — and it gives the same LogOp as decodeOp. Anything else gives
 * `undefined`, and the caller decodes the payload with decodeOp (wal-codec.ts), which reports
 * what is wrong with it. test/op-decode.spec.ts compares both on random and damaged payloads.
 */
import type { Entry, HardState, SnapshotMeta } from '@raftkit/raft-core'
import type { LogOp } from './log-state.js'

/** The read position; every reader below advances it, or returns -1 when the bytes do not fit. */
let pos = 0
/** The end of the payload being decoded. */
let end = 0

/** A msgpack unsigned integer below 2^32 (positive fixint, uint8/16/32), or -1. */
function readUint(b: Uint8Array): number {
  if (pos >= end) return -1
  const t = b[pos] as number
  if (t < 0x80) {
    pos += 1
    return t
  }
  if (t === 0xcc && pos + 2 <= end) {
    pos += 2
    return b[pos - 1] as number
  }
  if (t === 0xcd && pos + 3 <= end) {
    pos += 3
    return ((b[pos - 2] as number) << 8) | (b[pos - 1] as number)
  }
  if (t === 0xce && pos + 5 <= end) {
    pos += 5
    return (
      (b[pos - 4] as number) * 0x1000000 +
      (((b[pos - 3] as number) << 16) | ((b[pos - 2] as number) << 8) | (b[pos - 1] as number))
    )
  }
  return -1
}

/** A length after a one-byte tag: 1, 2 or 4 bytes big-endian, or -1. */
function readLength(b: Uint8Array, bytes: 1 | 2 | 4): number {
  if (pos + 1 + bytes > end) return -1
  const at = pos + 1
  pos += 1 + bytes
  if (bytes === 1) return b[at] as number
  if (bytes === 2) return ((b[at] as number) << 8) | (b[at + 1] as number)
  return (
    (b[at] as number) * 0x1000000 +
    (((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number))
  )
}

/** A fixmap or map16 header, or -1. */
function readMapHead(b: Uint8Array): number {
  const t = b[pos] as number
  if ((t & 0xf0) === 0x80) {
    pos += 1
    return t & 0x0f
  }
  return t === 0xde ? readLength(b, 2) : -1
}

/** A fixarray, array16 or array32 header, or -1. */
function readArrayHead(b: Uint8Array): number {
  if (pos >= end) return -1
  const t = b[pos] as number
  if ((t & 0xf0) === 0x90) {
    pos += 1
    return t & 0x0f
  }
  return t === 0xdc ? readLength(b, 2) : t === 0xdd ? readLength(b, 4) : -1
}

/** A bin8/16/32 header, or -1. */
function readBinHead(b: Uint8Array): number {
  if (pos >= end) return -1
  const t = b[pos] as number
  return t === 0xc4
    ? readLength(b, 1)
    : t === 0xc5
      ? readLength(b, 2)
      : t === 0xc6
        ? readLength(b, 4)
        : -1
}

/** A one-character fixstr key (`"s"`, `"e"`, `"h"`...) as its character code, or -1. */
function readKey(b: Uint8Array): number {
  if (pos + 2 > end || b[pos] !== 0xa1) return -1
  pos += 2
  return b[pos - 1] as number
}

function readMeta(b: Uint8Array): SnapshotMeta | undefined {
  if (pos >= end || b[pos] !== 0x92) return undefined
  pos += 1
  const index = readUint(b)
  const term = readUint(b)
  return index < 0 || term < 0 ? undefined : { index, term }
}

const KINDS = ['command', 'noop', 'config'] as const

function readEntries(b: Buffer): Entry[] | undefined {
  const n = readArrayHead(b)
  if (n < 1) return undefined
  const entries: Entry[] = []
  let prev = 0
  for (let i = 0; i < n; i++) {
    if (pos >= end || b[pos] !== 0x94) return undefined
    pos += 1
    const index = readUint(b)
    const term = readUint(b)
    if (index < 1 || term < 0 || (i > 0 && index !== prev + 1) || pos >= end) return undefined
    const kind = KINDS[b[pos] as number]
    if (kind === undefined) return undefined
    pos += 1
    const len = readBinHead(b)
    if (len < 0 || pos + len > end) return undefined
    // A view, as msgpackr gives: recovery copies the entries it keeps (ownEntryData).
    entries.push({ index, term, kind, data: b.subarray(pos, pos + len) })
    pos += len
    prev = index
  }
  return entries
}

function readHardState(b: Uint8Array): HardState | undefined {
  if (pos >= end || b[pos] !== 0x93) return undefined
  pos += 1
  const term = readUint(b)
  if (term < 0 || pos >= end) return undefined
  const v = b[pos] as number
  let votedFor: string | null = null
  if (v !== 0xc0) {
    const len = v - 0xa0
    if (len < 0 || len >= 32 || pos + 1 + len > end) return undefined
    votedFor = ''
    for (let i = pos + 1; i <= pos + len; i++) {
      const c = b[i] as number
      if (c >= 0x80) return undefined
      votedFor += String.fromCharCode(c)
    }
    pos += len
  }
  pos += 1
  const commit = readUint(b)
  return commit < 0 ? undefined : { term, votedFor, commit }
}

const KEY_S = 0x73
const KEY_E = 0x65
const KEY_H = 0x68

/**
 * The op in `b[start, stop)`, if it is in the form the writers produce (see the file comment);
 * `undefined` otherwise (then decodeOp decides).
 */
export function decodeOpAt(b: Buffer, start: number, stop: number): LogOp | undefined {
  pos = start
  end = stop
  if (pos >= end) return undefined
  let n = readMapHead(b)
  // "t": "op"
  if (n < 1 || pos + 5 > end) return undefined
  if (b[pos] !== 0xa1 || b[pos + 1] !== 0x74 || b[pos + 2] !== 0xa2) return undefined
  if (b[pos + 3] !== 0x6f || b[pos + 4] !== 0x70) return undefined
  pos += 5
  let snapshot: SnapshotMeta | undefined
  let entries: Entry[] | undefined
  let hardState: HardState | undefined
  /** Keys must come in the writers' order, each once. */
  let stage = 0
  for (n--; n > 0; n--) {
    const key = readKey(b)
    if (key === KEY_S && stage < 1) {
      snapshot = readMeta(b)
      if (!snapshot) return undefined
      stage = 1
    } else if (key === KEY_E && stage < 2) {
      entries = readEntries(b)
      if (!entries) return undefined
      stage = 2
    } else if (key === KEY_H && stage < 3) {
      hardState = readHardState(b)
      if (!hardState) return undefined
      stage = 3
    } else return undefined
  }
  if (pos !== end) return undefined
  return {
    ...(snapshot ? { snapshot } : {}),
    ...(entries ? { entries } : {}),
    ...(hardState ? { hardState } : {}),
  }
}
