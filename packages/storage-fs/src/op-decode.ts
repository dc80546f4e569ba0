/**
 * Decoding of an op record's payload straight from the segment's bytes, the mirror of
 * op-record.ts: recovery replays hundreds of thousands of op records, and msgpackr's generic
 * walk (plus the payload view it needs) was most of a replay's CPU. Only the exact form the
 * writers produce is taken — a map `{ t: 'op', s?, e?, h? }` with its keys in that order,
 * integers below 2^32, at least one entry, consecutive entry indexes from 1 up, a vote that is
 * null or an ASCII fixstr — and it reads into `scanned` (numbers and positions, no object per
 * record or entry), from which recovery's ReplayLog (replay-log.ts) applies it; decodeOpAt makes
 * the LogOp of it, the same as decodeOp's. Anything else is refused, and the caller decodes the
 * payload with decodeOp (wal-codec.ts), which reports what is wrong with it.
 * test/op-decode.spec.ts compares both on random and damaged payloads.
 */
import type { Entry, EntryKind } from '@raftkit/raft-core'
import type { LogOp } from './log-state.js'

/** The op last read by readOpAt; positions are in the buffer it read. Reused for every record. */
export interface ScannedOp {
  hasSnapshot: boolean
  snapshotIndex: number
  snapshotTerm: number
  /** Entries firstIndex, firstIndex + 1, ...: their terms, kind codes and data positions. */
  entryCount: number
  firstIndex: number
  terms: Float64Array
  kinds: Uint8Array
  dataStarts: Float64Array
  dataLengths: Float64Array
  hasHardState: boolean
  hardTerm: number
  hardCommit: number
  /** The vote's ASCII bytes, or -1 for a null vote. */
  voteStart: number
  voteLength: number
}

export const scanned: ScannedOp = {
  hasSnapshot: false,
  snapshotIndex: 0,
  snapshotTerm: 0,
  entryCount: 0,
  firstIndex: 0,
  terms: new Float64Array(16),
  kinds: new Uint8Array(16),
  dataStarts: new Float64Array(16),
  dataLengths: new Float64Array(16),
  hasHardState: false,
  hardTerm: 0,
  hardCommit: 0,
  voteStart: -1,
  voteLength: 0,
}

/** Room in `scanned`'s columns for `n` entries. */
function reserve(n: number): void {
  if (n <= scanned.terms.length) return
  const grow = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
    const b = make(Math.max(n, a.length * 2))
    b.set(a)
    return b
  }
  scanned.terms = grow(scanned.terms, (k) => new Float64Array(k))
  scanned.kinds = grow(scanned.kinds, (k) => new Uint8Array(k))
  scanned.dataStarts = grow(scanned.dataStarts, (k) => new Float64Array(k))
  scanned.dataLengths = grow(scanned.dataLengths, (k) => new Float64Array(k))
}

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

function readMeta(b: Uint8Array): boolean {
  if (pos >= end || b[pos] !== 0x92) return false
  pos += 1
  scanned.snapshotIndex = readUint(b)
  scanned.snapshotTerm = readUint(b)
  return scanned.snapshotIndex >= 0 && scanned.snapshotTerm >= 0
}

function readEntries(b: Uint8Array): boolean {
  const n = readArrayHead(b)
  // Each entry takes at least 5 bytes: a count the payload cannot hold is refused unread.
  if (n < 1 || n > (end - pos) / 5) return false
  reserve(n)
  const { terms, kinds, dataStarts, dataLengths } = scanned
  let prev = 0
  for (let i = 0; i < n; i++) {
    if (pos >= end || b[pos] !== 0x94) return false
    pos += 1
    const index = readUint(b)
    const term = readUint(b)
    if (index < 1 || term < 0 || (i > 0 && index !== prev + 1) || pos >= end) return false
    const kind = b[pos] as number
    if (kind > 2) return false
    pos += 1
    const len = readBinHead(b)
    if (len < 0 || pos + len > end) return false
    if (i === 0) scanned.firstIndex = index
    terms[i] = term
    kinds[i] = kind
    dataStarts[i] = pos
    dataLengths[i] = len
    pos += len
    prev = index
  }
  scanned.entryCount = n
  return true
}

function readHardState(b: Uint8Array): boolean {
  if (pos >= end || b[pos] !== 0x93) return false
  pos += 1
  scanned.hardTerm = readUint(b)
  if (scanned.hardTerm < 0 || pos >= end) return false
  const v = b[pos] as number
  scanned.voteStart = -1
  scanned.voteLength = 0
  if (v !== 0xc0) {
    const len = v - 0xa0
    if (len < 0 || len >= 32 || pos + 1 + len > end) return false
    for (let i = pos + 1; i <= pos + len; i++) if ((b[i] as number) >= 0x80) return false
    scanned.voteStart = pos + 1
    scanned.voteLength = len
    pos += len
  }
  pos += 1
  scanned.hardCommit = readUint(b)
  return scanned.hardCommit >= 0
}

const KEY_S = 0x73
const KEY_E = 0x65
const KEY_H = 0x68

/**
 * Reads the op in `b[start, stop)` into `scanned` if it is in the form the writers produce (see
 * the file comment); false otherwise (then decodeOp decides).
 */
export function readOpAt(b: Uint8Array, start: number, stop: number): boolean {
  pos = start
  end = stop
  scanned.hasSnapshot = false
  scanned.entryCount = 0
  scanned.hasHardState = false
  if (pos >= end) return false
  let n = readMapHead(b)
  // "t": "op"
  if (n < 1 || pos + 5 > end) return false
  if (b[pos] !== 0xa1 || b[pos + 1] !== 0x74 || b[pos + 2] !== 0xa2) return false
  if (b[pos + 3] !== 0x6f || b[pos + 4] !== 0x70) return false
  pos += 5
  /** Keys must come in the writers' order, each once. */
  let stage = 0
  for (n--; n > 0; n--) {
    const key = readKey(b)
    if (key === KEY_S && stage < 1) {
      if (!readMeta(b)) return false
      scanned.hasSnapshot = true
      stage = 1
    } else if (key === KEY_E && stage < 2) {
      if (!readEntries(b)) return false
      stage = 2
    } else if (key === KEY_H && stage < 3) {
      if (!readHardState(b)) return false
      scanned.hasHardState = true
      stage = 3
    } else return false
  }
  return pos === end
}

export const KIND_NAMES: readonly EntryKind[] = ['command', 'noop', 'config']

/** The vote `scanned` holds, read from `b`. */
function scannedVote(b: Buffer): string | null {
  const at = scanned.voteStart
  return at < 0 ? null : b.toString('latin1', at, at + scanned.voteLength)
}

/** The LogOp in `b[start, stop)` (the same as decodeOp's), or undefined if readOpAt refuses it. */
export function decodeOpAt(b: Buffer, start: number, stop: number): LogOp | undefined {
  if (!readOpAt(b, start, stop)) return undefined
  const s = scanned
  const entries: Entry[] = []
  for (let i = 0; i < s.entryCount; i++) {
    const at = s.dataStarts[i] as number
    entries.push({
      index: s.firstIndex + i,
      term: s.terms[i] as number,
      kind: KIND_NAMES[s.kinds[i] as number] as EntryKind,
      // A view, as msgpackr gives.
      data: b.subarray(at, at + (s.dataLengths[i] as number)),
    })
  }
  return {
    ...(s.hasSnapshot ? { snapshot: { index: s.snapshotIndex, term: s.snapshotTerm } } : {}),
    ...(s.entryCount > 0 ? { entries } : {}),
    ...(s.hasHardState
      ? { hardState: { term: s.hardTerm, votedFor: scannedVote(b), commit: s.hardCommit } }
      : {}),
  }
}
