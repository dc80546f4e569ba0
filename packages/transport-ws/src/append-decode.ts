/**
 * A fast path for decoding the one message a follower receives per batch of entries, the
 * AppendEntries (issue 15: a follower decodes every entry it replicates), and the one a leader
 * receives back, the AppendEntriesReply (decodeAppendEntriesReply, same rules). It reads the msgpack
 * that raft-core's encodeMessage (msgpackr) writes — maps of string keys in any order, ASCII
 * node ids, integers below 2^32, entries as maps of index, term, kind and data — and builds
 * the same object msgpackr would, with the message type and entry kinds as constant strings,
 * node ids reused from the previous message, and each entry's data a view of `bytes` (as
 * msgpackr's `subarray`). Anything else (another message type, another encoding of a value, a
 * repeated or unknown key, bytes left over) returns undefined and the caller takes
 * decodeMessage; the result is validated by the caller either way. test/append-decode.spec.ts
 * checks that both give the same message on random messages and on damaged encodings.
 */

/** Where parsing stands: the next byte to read. */
let pos = 0

const KEYS = [
  'type',
  'from',
  'to',
  'term',
  'prevLogIndex',
  'prevLogTerm',
  'entries',
  'leaderCommit',
  'readContext',
] as const
const ENTRY_KEYS = ['index', 'term', 'kind', 'data'] as const
const KINDS = ['command', 'noop', 'config'] as const
const TYPE = 'AppendEntries'

/** The ASCII bytes of each string, to compare in place. */
const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))
const KEY_BYTES = KEYS.map(bytesOf)
const ENTRY_KEY_BYTES = ENTRY_KEYS.map(bytesOf)
const KIND_BYTES = KINDS.map(bytesOf)
const TYPE_TABLE = [bytesOf(TYPE)]

const REPLY_KEYS = [
  'type',
  'from',
  'to',
  'term',
  'success',
  'matchIndex',
  'conflictIndex',
  'conflictTerm',
  'readContext',
] as const
const REPLY_KEY_BYTES = REPLY_KEYS.map(bytesOf)
const REPLY_TYPE = 'AppendEntriesReply'
const REPLY_TYPE_TABLE = [bytesOf(REPLY_TYPE)]

/** Length of the msgpack string at pos (fixstr, str8), moving pos to its bytes; -1 otherwise. */
function strHead(b: Uint8Array): number {
  const h = b[pos]
  if (h === undefined) return -1
  if (h >= 0xa0 && h <= 0xbf) {
    pos++
    return h & 0x1f
  }
  if (h === 0xd9 && pos + 1 < b.length) {
    pos += 2
    return b[pos - 1] as number
  }
  return -1
}

/** Position in `table` of the string at pos (moving past it), or -1. */
function oneOf(b: Uint8Array, table: readonly Uint8Array[]): number {
  const start = pos
  const len = strHead(b)
  if (len < 0 || pos + len > b.length) return -1
  for (let t = 0; t < table.length; t++) {
    const want = table[t] as Uint8Array
    if (want.length !== len) continue
    let i = 0
    while (i < len && b[pos + i] === want[i]) i++
    if (i === len) {
      pos += len
      return t
    }
  }
  pos = start
  return -1
}

/** A msgpack non-negative integer below 2^32 (fixint, uint8/16/32), or -1. */
function uint(b: Uint8Array): number {
  const h = b[pos]
  if (h === undefined) return -1
  if (h <= 0x7f) {
    pos++
    return h
  }
  if (h === 0xcc && pos + 2 <= b.length) {
    pos += 2
    return b[pos - 1] as number
  }
  if (h === 0xcd && pos + 3 <= b.length) {
    pos += 3
    return ((b[pos - 2] as number) << 8) | (b[pos - 1] as number)
  }
  if (h === 0xce && pos + 5 <= b.length) {
    pos += 5
    return (
      (b[pos - 4] as number) * 0x1000000 +
      (((b[pos - 3] as number) << 16) | ((b[pos - 2] as number) << 8) | (b[pos - 1] as number))
    )
  }
  return -1
}

/** A map (fixmap, map16) or array (fixarray, array16) header's count, or -1. */
function head(b: Uint8Array, fix: number, m16: number): number {
  const h = b[pos]
  if (h === undefined) return -1
  if ((h & 0xf0) === fix) {
    pos++
    return h & 0x0f
  }
  if (h === m16 && pos + 3 <= b.length) {
    pos += 3
    return ((b[pos - 2] as number) << 8) | (b[pos - 1] as number)
  }
  return -1
}

/** Node ids seen last, by their bytes: a cluster has few, so they are made once. */
let idCache: { bytes: Uint8Array; id: string }[] = []

/** An ASCII node id (fixstr, str8), or undefined. */
function nodeId(b: Uint8Array): string | undefined {
  const len = strHead(b)
  if (len < 0 || pos + len > b.length) return undefined
  const start = pos
  for (const c of idCache) {
    const cb = c.bytes
    if (cb.length !== len) continue
    let i = 0
    while (i < len && b[start + i] === cb[i]) i++
    if (i === len) {
      pos += len
      return c.id
    }
  }
  let id = ''
  for (let i = start; i < start + len; i++) {
    const c = b[i] as number
    if (c >= 0x80) return undefined
    id += String.fromCharCode(c)
  }
  pos += len
  if (idCache.length >= 16) idCache = []
  idCache.push({ bytes: b.slice(start, start + len), id })
  return id
}

interface FastEntry {
  index: number
  term: number
  kind: (typeof KINDS)[number]
  data: Uint8Array
}

/** One entry map, or undefined. */
function entry(b: Uint8Array): FastEntry | undefined {
  const n = head(b, 0x80, 0xde)
  if (n !== 4) return undefined
  let index = -1
  let term = -1
  let kind = -1
  let data: Uint8Array | undefined
  for (let k = 0; k < 4; k++) {
    // Each key once; a value in another form ends the fast path.
    switch (oneOf(b, ENTRY_KEY_BYTES)) {
      case 0:
        if (index >= 0 || (index = uint(b)) < 0) return undefined
        break
      case 1:
        if (term >= 0 || (term = uint(b)) < 0) return undefined
        break
      case 2:
        if (kind >= 0 || (kind = oneOf(b, KIND_BYTES)) < 0) return undefined
        break
      case 3:
        if (data !== undefined || (data = bin(b)) === undefined) return undefined
        break
      default:
        return undefined
    }
  }
  return { index, term, kind: KINDS[kind] as FastEntry['kind'], data: data as Uint8Array }
}

/** A msgpack bin (bin8/16/32) as a view of `b`, or undefined. */
function bin(b: Uint8Array): Uint8Array | undefined {
  const h = b[pos]
  let len: number
  let at: number
  if (h === 0xc4 && pos + 2 <= b.length) {
    len = b[pos + 1] as number
    at = pos + 2
  } else if (h === 0xc5 && pos + 3 <= b.length) {
    len = ((b[pos + 1] as number) << 8) | (b[pos + 2] as number)
    at = pos + 3
  } else if (h === 0xc6 && pos + 5 <= b.length) {
    len =
      (b[pos + 1] as number) * 0x1000000 +
      (((b[pos + 2] as number) << 16) | ((b[pos + 3] as number) << 8) | (b[pos + 4] as number))
    at = pos + 5
  } else return undefined
  if (at + len > b.length) return undefined
  pos = at + len
  return b.subarray(at, at + len)
}

function entries(b: Uint8Array): FastEntry[] | undefined {
  const n = head(b, 0x90, 0xdc)
  if (n < 0) return undefined
  const out = new Array<FastEntry>(n)
  for (let i = 0; i < n; i++) {
    const e = entry(b)
    if (e === undefined) return undefined
    out[i] = e
  }
  return out
}

/**
 * The AppendEntries `bytes` encode, as decodeMessage's msgpackr would give it (not yet
 * validated), or undefined when it is another message or another encoding (see above).
 */
export function decodeAppendEntries(bytes: Uint8Array): object | undefined {
  pos = 0
  const n = head(bytes, 0x80, 0xde)
  if (n !== 8 && n !== 9) return undefined
  let seen = 0
  let from: string | undefined
  let to: string | undefined
  let term = -1
  let prevLogIndex = -1
  let prevLogTerm = -1
  let list: FastEntry[] | undefined
  let leaderCommit = -1
  let readContext = -1
  for (let k = 0; k < n; k++) {
    const key = oneOf(bytes, KEY_BYTES)
    if (key < 0 || (seen & (1 << key)) !== 0) return undefined
    seen |= 1 << key
    let ok: boolean
    switch (key) {
      case 0:
        ok = oneOf(bytes, TYPE_TABLE) === 0
        break
      case 1:
        from = nodeId(bytes)
        ok = from !== undefined
        break
      case 2:
        to = nodeId(bytes)
        ok = to !== undefined
        break
      case 3:
        term = uint(bytes)
        ok = term >= 0
        break
      case 4:
        prevLogIndex = uint(bytes)
        ok = prevLogIndex >= 0
        break
      case 5:
        prevLogTerm = uint(bytes)
        ok = prevLogTerm >= 0
        break
      case 6:
        list = entries(bytes)
        ok = list !== undefined
        break
      case 7:
        leaderCommit = uint(bytes)
        ok = leaderCommit >= 0
        break
      default:
        readContext = uint(bytes)
        ok = readContext >= 0
    }
    if (!ok) return undefined
  }
  // Every field but readContext, and nothing after the map.
  if ((seen & 0xff) !== 0xff || pos !== bytes.length) return undefined
  if (n === 8)
    return { type: TYPE, from, to, term, prevLogIndex, prevLogTerm, entries: list, leaderCommit }
  return {
    type: TYPE,
    from,
    to,
    term,
    prevLogIndex,
    prevLogTerm,
    entries: list,
    leaderCommit,
    readContext,
  }
}

/**
 * The AppendEntriesReply `bytes` encode, as decodeMessage's msgpackr would give it (not yet
 * validated; fields in the encoded order), or undefined when it is another message or another
 * encoding (see above).
 */
export function decodeAppendEntriesReply(bytes: Uint8Array): object | undefined {
  pos = 0
  const n = head(bytes, 0x80, 0xde)
  if (n < 6 || n > 9) return undefined
  let seen = 0
  const out: Record<string, unknown> = {}
  for (let k = 0; k < n; k++) {
    const key = oneOf(bytes, REPLY_KEY_BYTES)
    if (key < 0 || (seen & (1 << key)) !== 0) return undefined
    seen |= 1 << key
    let value: unknown
    switch (key) {
      case 0:
        value = oneOf(bytes, REPLY_TYPE_TABLE) === 0 ? REPLY_TYPE : undefined
        break
      case 1:
      case 2:
        value = nodeId(bytes)
        break
      case 4: {
        const h = bytes[pos]
        if (h === 0xc2 || h === 0xc3) {
          pos++
          value = h === 0xc3
        }
        break
      }
      default: {
        const v = uint(bytes)
        if (v >= 0) value = v
      }
    }
    if (value === undefined) return undefined
    out[REPLY_KEYS[key] as string] = value
  }
  // type, from, to, term, success and matchIndex, and nothing after the map.
  if ((seen & 0x3f) !== 0x3f || pos !== bytes.length) return undefined
  return out
}
