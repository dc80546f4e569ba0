/**
 * The network's copy of a message: what the receiver gets instead of the sender's object, and
 * how many bytes it counts for.
 *
 * The byte count is the size of the message in the wire codec (msgpack, as `encodeMessage`
 * writes it), computed arithmetically instead of by encoding. The copy is structural: the
 * top-level fields are copied, an AppendEntries' entries are rebuilt by raft-core's
 * copyEntriesPacked (all payloads copied into one packed segment, which the receiver's log and
 * MemoryStorage then keep instead of copying each payload again), an InstallSnapshot chunk is
 * copied. Nothing of the copy shares memory with the sender's message. A message
 * with a field this fast path does not know (a nested object, a float, null, ...) goes through
 * the codec instead, exactly as before.
 */
import { copyEntriesPacked, decodeMessage, encodeMessage } from '@raftkit/raft-core'
import type { Entry, Message } from '@raftkit/raft-core'

export interface CopiedMessage {
  readonly message: Message
  /** Size of the message in the wire codec. */
  readonly size: number
}

// --- msgpack sizes (msgpackr with useRecords: false) --------------------------------------------

/** Encoded size of a non-negative integer, or -1 when it is not one (the codec decides). */
function uintSize(v: number): number {
  if (!Number.isInteger(v) || v < 0) return -1
  if (v < 0x80) return 1
  if (v < 0x100) return 2
  if (v < 0x10000) return 3
  if (v < 0x100000000) return 5
  return 9
}

const encoder = new TextEncoder()
const utf8Cache = new Map<string, number>()
const UTF8_CACHE_LIMIT = 4096

/** UTF-8 length of `s`; cached, since keys, node ids and message types repeat. */
function utf8Length(s: string): number {
  let n = utf8Cache.get(s)
  if (n === undefined) {
    n = encoder.encode(s).byteLength
    if (utf8Cache.size < UTF8_CACHE_LIMIT) utf8Cache.set(s, n)
  }
  return n
}

function strSize(s: string): number {
  const n = utf8Length(s)
  if (n < 0x20) return 1 + n
  if (n < 0x100) return 2 + n
  if (n < 0x10000) return 3 + n
  return 5 + n
}

function binSize(n: number): number {
  if (n < 0x100) return 2 + n
  if (n < 0x10000) return 3 + n
  return 5 + n
}

function arrayHeader(n: number): number {
  if (n < 0x10) return 1
  if (n < 0x10000) return 3
  return 5
}

/** The codec writes every object as a map16 (it fills in the key count afterwards). */
const MAP_HEADER = 3

/** Entries are `{ index, term, kind, data }`: their map header and key bytes, constant. */
const ENTRY_FIXED =
  MAP_HEADER + strSize('index') + strSize('term') + strSize('kind') + strSize('data')
const KIND_COMMAND_SIZE = strSize('command')
const KIND_NOOP_SIZE = strSize('noop')
const KIND_CONFIG_SIZE = strSize('config')

function entrySize(e: Entry): number {
  const i = uintSize(e.index)
  const t = uintSize(e.term)
  if (i < 0 || t < 0) return -1
  return (
    ENTRY_FIXED +
    i +
    t +
    (e.kind === 'noop'
      ? KIND_NOOP_SIZE
      : e.kind === 'config'
        ? KIND_CONFIG_SIZE
        : KIND_COMMAND_SIZE) +
    binSize(e.data.length)
  )
}

/** Size of a top-level field value, or -1 for a value the fast path does not handle. */
function valueSize(key: string, v: unknown): number {
  if (typeof v === 'string') return strSize(v)
  if (typeof v === 'number') return uintSize(v)
  if (typeof v === 'boolean') return 1
  if (v instanceof Uint8Array) return binSize(v.length)
  if (key === 'entries' && Array.isArray(v)) return entriesSize(v as Entry[])
  return -1
}

/** Encoded size of an entries array, or -1 for an entry the fast path does not handle. */
function entriesSize(entries: readonly Entry[]): number {
  let n = arrayHeader(entries.length)
  for (let i = 0; i < entries.length; i++) {
    const s = entrySize(entries[i] as Entry)
    if (s < 0) return -1
    n += s
  }
  return n
}

/**
 * Encoded size of a (validated) message, or -1 when it holds something other than strings,
 * booleans, non-negative integers, bytes and well-formed entries.
 */
export function messageSize(message: Message): number {
  let n = MAP_HEADER
  let keys = 0
  for (const key in message) {
    const s = valueSize(key, (message as unknown as Record<string, unknown>)[key])
    if (s < 0) return -1
    n += strSize(key) + s
    keys++
  }
  return keys > 0xffff ? -1 : n
}

// --- copies ---------------------------------------------------------------------------------------

/**
 * A copy of a validated `message` that shares no memory with it, and its size in the wire
 * codec. Throws MalformedMessageError (from the codec) for a message the codec rejects.
 */
export function copyMessage(message: Message): CopiedMessage {
  const size = messageSize(message)
  if (size < 0) {
    // Something unusual: let the codec copy (and size) it.
    const encoded = encodeMessage(message)
    return { message: decodeMessage(encoded), size: encoded.byteLength }
  }
  const copy = { ...message } as Record<string, unknown>
  if (message.type === 'AppendEntries') copy['entries'] = copyEntriesPacked(message.entries)
  else if (message.type === 'InstallSnapshot') copy['data'] = new Uint8Array(message.data)
  return { message: copy as unknown as Message, size }
}
