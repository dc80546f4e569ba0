/**
 * The byte format of a kv-service snapshot: the map and the session table, msgpack-encoded.
 * Sessions are stored in ascending `lastIndex` order, which the state machine relies on for
 * cheap expiry, so a restored replica expires exactly like one that replayed the log.
 *
 * Versions: `raftkit-kv/3` (written when the address book is not empty) is `raftkit-kv/2` plus
 * `addresses`, flat [id, peer, http, ...] (the members added at run time); a cluster whose
 * membership never changed keeps writing `raftkit-kv/2`, byte for byte as before, so older
 * nodes read its snapshots. `raftkit-kv/2` keeps per session [clientId, seq, result, lastIndex,
 * digest, refusedLimit]; `raftkit-kv/1` (still read) kept [clientId, seq, result, lastIndex]:
 * its sessions restore with an unknown digest (a same-seq request then counts as a retry, as
 * it did when that snapshot was taken) and refusedLimit 0.
 */
import { packValue, unpackValue } from '@raftkit/raft-core'
import { MalformedSnapshotError } from './errors.js'
import type { MemberAddress } from './ops.js'
import type { Session } from './session-entry.js'

const FORMAT_V3 = 'raftkit-kv/3'
const FORMAT = 'raftkit-kv/2'
const FORMAT_V1 = 'raftkit-kv/1'
const TUPLE = { [FORMAT_V3]: 6, [FORMAT]: 6, [FORMAT_V1]: 4 } as const

interface SnapshotBody {
  readonly format: typeof FORMAT | typeof FORMAT_V3
  /** Flat [key, value, key, value, ...]. */
  readonly data: string[]
  /** Flat [clientId, seq, result, lastIndex, digest, refusedLimit, ...]. */
  readonly sessions: Array<string | number>
  /** `raftkit-kv/3` only: flat [id, peer, http, ...]. */
  addresses?: string[]
}

export function encodeSnapshot(
  data: ReadonlyMap<string, string>,
  sessions: ReadonlyMap<string, Session>,
  addresses: ReadonlyMap<string, MemberAddress> = new Map(),
): Uint8Array {
  const body: SnapshotBody = {
    format: addresses.size > 0 ? FORMAT_V3 : FORMAT,
    data: [],
    sessions: [],
  }
  for (const [k, v] of data) body.data.push(k, v)
  for (const [id, s] of sessions)
    body.sessions.push(id, s.seq, s.result, s.lastIndex, s.digest, s.refusedLimit)
  if (addresses.size > 0) {
    const flat: string[] = []
    for (const [id, a] of addresses) flat.push(id, a.peer, a.http)
    body.addresses = flat
  }
  return packValue(body)
}

export interface DecodedSnapshot {
  readonly data: Map<string, string>
  readonly sessions: Map<string, Session>
  readonly addresses: Map<string, MemberAddress>
}

/** Throws MalformedSnapshotError for anything that is not a snapshot of a known version. */
export function decodeSnapshot(bytes: Uint8Array): DecodedSnapshot {
  let raw: unknown
  try {
    raw = unpackValue(bytes)
  } catch (e) {
    throw new MalformedSnapshotError(`not valid msgpack (${(e as Error).message})`)
  }
  if (typeof raw !== 'object' || raw === null) throw new MalformedSnapshotError('not an object')
  const r = raw as Record<string, unknown>
  if (r.format !== FORMAT && r.format !== FORMAT_V1 && r.format !== FORMAT_V3)
    throw new MalformedSnapshotError(`unknown format ${String(r.format)}`)
  return {
    data: decodeData(r.data),
    sessions: decodeSessions(r.sessions, TUPLE[r.format]),
    addresses:
      r.format === FORMAT_V3 ? decodeAddresses(r.addresses) : new Map<string, MemberAddress>(),
  }
}

function decodeAddresses(raw: unknown): Map<string, MemberAddress> {
  if (!Array.isArray(raw) || raw.length % 3 !== 0)
    throw new MalformedSnapshotError('addresses must be a flat array of [id, peer, http] triples')
  const book = new Map<string, MemberAddress>()
  for (let i = 0; i < raw.length; i += 3) {
    const [id, peer, http] = raw.slice(i, i + 3) as unknown[]
    if (typeof id !== 'string' || typeof peer !== 'string' || typeof http !== 'string' || !id)
      throw new MalformedSnapshotError(`address entry ${i / 3} is not three strings`)
    book.set(id, { peer, http })
  }
  return book
}

function decodeData(raw: unknown): Map<string, string> {
  if (!Array.isArray(raw) || raw.length % 2 !== 0)
    throw new MalformedSnapshotError('data must be a flat array of key/value pairs')
  const data = new Map<string, string>()
  for (let i = 0; i < raw.length; i += 2) {
    const k: unknown = raw[i]
    const v: unknown = raw[i + 1]
    if (typeof k !== 'string' || typeof v !== 'string')
      throw new MalformedSnapshotError(`data entry ${i / 2} is not a pair of strings`)
    data.set(k, v)
  }
  return data
}

function decodeSessions(raw: unknown, width: 4 | 6): Map<string, Session> {
  if (!Array.isArray(raw) || raw.length % width !== 0)
    throw new MalformedSnapshotError(`sessions must be a flat array of ${width}-tuples`)
  const sessions = new Map<string, Session>()
  let previous = 0
  for (let i = 0; i < raw.length; i += width) {
    const [id, seq, result, lastIndex, digest = '', refusedLimit = 0] = raw.slice(
      i,
      i + width,
    ) as unknown[]
    const ok =
      typeof id === 'string' &&
      id.length > 0 &&
      isCount(seq) &&
      typeof result === 'string' &&
      isCount(lastIndex) &&
      lastIndex >= previous &&
      typeof digest === 'string' &&
      isCount(refusedLimit)
    if (!ok)
      throw new MalformedSnapshotError(`session entry ${i / width} is invalid or out of order`)
    sessions.set(id, { seq, result, lastIndex, digest, refusedLimit })
    previous = lastIndex
  }
  return sessions
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}
