/**
 * Payloads of WAL records (msgpack). Two kinds:
 * - a segment header, the first record of every segment: its sequence number, and for a
 *   checkpoint segment (`reset`) the whole logical state, so older segments can be deleted;
 * - an op record: one StorageBatch (snapshot meta, entries, hard state). One batch is one record,
 *   so a batch is all-or-nothing: a torn record is dropped whole.
 * Decoding checks the shape and throws WalShapeError; recovery reports it as corruption.
 */
import type { Entry, HardState, SnapshotMeta } from '@raftkit/raft-core'
import { packValue, unpackValue } from '@raftkit/raft-core'
import type { LogOp } from './log-state.js'

export class WalShapeError extends Error {}

export interface SegmentHeader {
  readonly seq: number
  /** Present on checkpoint segments: replay starts from this state. */
  readonly reset?: {
    readonly snapshot: SnapshotMeta | null
    readonly entries: Entry[]
    readonly hardState: HardState
  }
}

/** Kind: 0 command, 1 noop, 2 configuration. */
type WireEntry = [number, number, 0 | 1 | 2, Uint8Array]
type WireHardState = [number, string | null, number]
type WireMeta = [number, number]

const KIND_CODE = { command: 0, noop: 1, config: 2 } as const
const encodeEntry = (e: Entry): WireEntry => [e.index, e.term, KIND_CODE[e.kind], e.data]
const encodeHardState = (h: HardState): WireHardState => [h.term, h.votedFor, h.commit]
const encodeMeta = (m: SnapshotMeta): WireMeta => [m.index, m.term]

export function encodeHeader(h: SegmentHeader): Uint8Array {
  const reset = h.reset
  if (!reset) return packValue({ t: 'seg', seq: h.seq })
  return packValue({
    t: 'seg',
    seq: h.seq,
    s: reset.snapshot ? encodeMeta(reset.snapshot) : null,
    e: reset.entries.map(encodeEntry),
    h: encodeHardState(reset.hardState),
  })
}

export function encodeOp(op: LogOp): Uint8Array {
  const out: Record<string, unknown> = { t: 'op' }
  if (op.snapshot) out.s = encodeMeta(op.snapshot)
  if (op.entries && op.entries.length > 0) out.e = op.entries.map(encodeEntry)
  if (op.hardState) out.h = encodeHardState(op.hardState)
  return packValue(out)
}

function isInt(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0
}

function need(cond: boolean, what: string): asserts cond {
  if (!cond) throw new WalShapeError(what)
}

function decodeMeta(v: unknown): SnapshotMeta {
  need(Array.isArray(v) && v.length === 2 && isInt(v[0]) && isInt(v[1]), 'bad snapshot meta')
  return { index: v[0], term: v[1] }
}

function decodeHardState(v: unknown): HardState {
  need(Array.isArray(v) && v.length === 3 && isInt(v[0]) && isInt(v[2]), 'bad hard state')
  const vote: unknown = v[1]
  need(vote === null || typeof vote === 'string', 'bad votedFor')
  return { term: v[0], votedFor: vote, commit: v[2] }
}

function decodeEntries(v: unknown): Entry[] {
  need(Array.isArray(v), 'entries are not an array')
  return v.map((w: unknown): Entry => {
    need(Array.isArray(w) && w.length === 4 && isInt(w[0]) && isInt(w[1]), 'bad entry')
    need((w[2] === 0 || w[2] === 1 || w[2] === 2) && w[3] instanceof Uint8Array, 'bad entry')
    // A view into the payload, not a copy: recovery replays a whole segment, most of whose
    // entries a later snapshot drops, and copies only the entries it keeps (ownEntryData).
    return {
      index: w[0],
      term: w[1],
      kind: w[2] === 1 ? 'noop' : w[2] === 2 ? 'config' : 'command',
      data: w[3],
    }
  })
}

function decodeMap(payload: Uint8Array): Record<string, unknown> {
  let v: unknown
  try {
    v = unpackValue(payload)
  } catch (e) {
    throw new WalShapeError(`undecodable payload (${(e as Error).message})`)
  }
  need(typeof v === 'object' && v !== null && !Array.isArray(v), 'payload is not a map')
  return v as Record<string, unknown>
}

export function decodeHeader(payload: Uint8Array): SegmentHeader {
  const m = decodeMap(payload)
  need(m.t === 'seg' && isInt(m.seq), 'not a segment header')
  if (!('h' in m)) return { seq: m.seq }
  return {
    seq: m.seq,
    reset: {
      snapshot: m.s === null ? null : decodeMeta(m.s),
      entries: decodeEntries(m.e),
      hardState: decodeHardState(m.h),
    },
  }
}

export function decodeOp(payload: Uint8Array): LogOp {
  const m = decodeMap(payload)
  need(m.t === 'op', 'not an op record')
  return {
    ...(m.s !== undefined ? { snapshot: decodeMeta(m.s) } : {}),
    ...(m.e !== undefined ? { entries: decodeEntries(m.e) } : {}),
    ...(m.h !== undefined ? { hardState: decodeHardState(m.h) } : {}),
  }
}
