/**
 * A fast path for decoding the write commands this service proposes (issue 15: every replica
 * decodes every write it applies). It accepts only the exact bytes encodeCommand gives a put or
 * append whose strings are all ASCII: a msgpack map (map16, as msgpackr writes it, or fixmap) with the keys op, key, value, clientId,
 * seq (and max), in that order, strings as fixstr/str8/str16/str32, integers as positive
 * fixint/uint8/uint16/uint32. Anything else returns undefined and the caller takes
 * decodeCommand (msgpackr and validateCommand), which accepts every valid encoding; for the
 * bytes this accepts, both give the same command (test/command-fast.spec.ts). Its strings are
 * flat copies of the bytes (ASCII is Latin-1), so the state machine may store them as they are.
 */
import type { WriteCommand } from './ops.js'

/** The msgpack fixstr encodings of the keys, in encodeCommand's order. */
const K_OP = [0xa2, 0x6f, 0x70]
const K_KEY = [0xa3, 0x6b, 0x65, 0x79]
const K_VALUE = [0xa5, 0x76, 0x61, 0x6c, 0x75, 0x65]
const K_CLIENT = [0xa8, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x49, 0x64]
const K_SEQ = [0xa3, 0x73, 0x65, 0x71]
const K_MAX = [0xa3, 0x6d, 0x61, 0x78]
/** The values of op the fast path takes, as fixstr. */
const V_PUT = [0xa3, 0x70, 0x75, 0x74]
const V_APPEND = [0xa6, 0x61, 0x70, 0x70, 0x65, 0x6e, 0x64]

/** Buffer's own Latin-1 slice (what toString('latin1', start, end) calls, without its checks). */
interface Latin1Slice {
  latin1Slice(start: number, end: number): string
}

/**
 * Where parsing stands: the next byte to read. Module state, not a cursor object per decode
 * (every replica decodes every write); decodeWriteFast sets it first and calls nothing else.
 */
let pos = 0

function literal(b: Uint8Array, bytes: readonly number[]): boolean {
  const at = pos
  if (at + bytes.length > b.length) return false
  for (let i = 0; i < bytes.length; i++) if (b[at + i] !== bytes[i]) return false
  pos = at + bytes.length
  return true
}

/** The op (0x03 "put", 0x06 "append", as fixstr) as a constant string, or undefined. */
function op(b: Uint8Array): 'put' | 'append' | undefined {
  if (literal(b, V_PUT)) return 'put'
  if (literal(b, V_APPEND)) return 'append'
  return undefined
}

/** A msgpack string of ASCII bytes (undefined: another type, or a byte of 0x80 or more). */
function ascii(b: Buffer): string | undefined {
  let at = pos
  const h = b[at++]
  let len: number
  if (h === undefined) return undefined
  if (h >= 0xa0 && h <= 0xbf) len = h & 0x1f
  else if (h === 0xd9 && at + 1 <= b.length) len = b[at++] as number
  else if (h === 0xda && at + 2 <= b.length) {
    len = b.readUInt16BE(at)
    at += 2
  } else if (h === 0xdb && at + 4 <= b.length) {
    len = b.readUInt32BE(at)
    at += 4
  } else return undefined
  const end = at + len
  if (end > b.length) return undefined
  for (let i = at; i < end; i++) if ((b[i] as number) >= 0x80) return undefined
  pos = end
  return (b as unknown as Latin1Slice).latin1Slice(at, end)
}

/** A msgpack non-negative integer below 2^32 (undefined: another type). */
function uint(b: Buffer): number | undefined {
  const at = pos
  const h = b[at]
  if (h === undefined) return undefined
  if (h <= 0x7f) {
    pos = at + 1
    return h
  }
  if (h === 0xcc && at + 2 <= b.length) {
    pos = at + 2
    return b[at + 1]
  }
  if (h === 0xcd && at + 3 <= b.length) {
    pos = at + 3
    return b.readUInt16BE(at + 1)
  }
  if (h === 0xce && at + 5 <= b.length) {
    pos = at + 5
    return b.readUInt32BE(at + 1)
  }
  return undefined
}

/**
 * The put or append `bytes` encode, when they have exactly encodeCommand's layout and ASCII
 * strings; undefined otherwise (decode with decodeCommand then).
 */
export function decodeWriteFast(bytes: Uint8Array): WriteCommand | undefined {
  // msgpackr writes every map with a map16 header; a fixmap is accepted too.
  let fields: number | undefined
  let at = 1
  if (bytes[0] === 0xde && bytes[1] === 0) {
    fields = bytes[2]
    at = 3
  } else if (bytes[0] !== undefined && (bytes[0] & 0xf0) === 0x80) fields = bytes[0] & 0x0f
  if (fields !== 5 && fields !== 6) return undefined
  // The entry's own Buffer when it is one (a follower's entries are views of the frame).
  const b: Buffer =
    bytes instanceof Buffer
      ? (bytes as Buffer)
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  pos = at
  if (!literal(b, K_OP)) return undefined
  const o = op(b)
  if (o === undefined || !literal(b, K_KEY)) return undefined
  const key = ascii(b)
  if (key === undefined || !literal(b, K_VALUE)) return undefined
  const value = ascii(b)
  if (value === undefined || !literal(b, K_CLIENT)) return undefined
  const clientId = ascii(b)
  if (clientId === undefined || clientId.length === 0 || !literal(b, K_SEQ)) return undefined
  const seq = uint(b)
  if (seq === undefined || seq < 1) return undefined
  if (fields === 5) return pos === b.length ? { op: o, key, value, clientId, seq } : undefined
  if (!literal(b, K_MAX)) return undefined
  const max = uint(b)
  if (max === undefined || max < 1 || pos !== b.length) return undefined
  return { op: o, key, value, clientId, seq, maxValueBytes: max }
}
