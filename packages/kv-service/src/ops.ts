/**
 * The commands that go through the Raft log, and their binary encoding (msgpack through
 * raft-core's codec). Reads never go through the log (they use ReadIndex), so there is no
 * `get` command. Every decoded value is validated: a malformed entry must never crash the
 * apply loop of any replica.
 */
import { hash } from 'node:crypto'
import { packValue, unpackValue } from '@raftkit/raft-core'
import { MalformedCommandError } from './errors.js'

/** A write from a client session: executed at most once per (clientId, seq). */
export interface WriteCommand {
  readonly op: 'put' | 'append'
  readonly key: string
  readonly value: string
  readonly clientId: string
  /** Position of the request in its session, from 1 up; retries reuse it. */
  readonly seq: number
  /**
   * The largest value (UTF-8 bytes) this write may leave under its key, stamped by the leader
   * that proposed it (the service's maxValueBytes): a put of a larger value, or an append whose
   * result would be larger, is refused by every replica alike. Absent: no limit.
   */
  readonly maxValueBytes?: number
}

/**
 * A compact digest of what a write asks for (op, key, value): 128 bits of SHA-256, base64url.
 * The session table keeps it for the last request of each session, so that a retry (same
 * digest) is told from a different request reusing the same (client id, seq).
 */
export function requestDigest(cmd: Pick<WriteCommand, 'op' | 'key' | 'value'>): string {
  // One-shot hash of the UTF-8 of op \0 key \0 value: the same bytes as hashing the three
  // strings in turn (a \0 separates them, so no surrogate pair is formed across a boundary),
  // at a fraction of the cost of a Hash object and its five native calls (every replica
  // computes this for every write it applies).
  return hash('sha256', `${cmd.op}\0${cmd.key}\0${cmd.value}`, 'buffer').toString(
    'base64url',
    0,
    16,
  )
}

/**
 * Opens a client session (thesis §6.3 "RegisterClient"). Idempotent: opening an existing
 * session changes nothing. Requests of a session that is not open are refused, which is what
 * makes session expiry safe (see state-machine.ts).
 */
export interface OpenCommand {
  readonly op: 'open'
  readonly clientId: string
}

/**
 * Sets (or, with empty `peer` and `http`, deletes) one entry of the replicated address book:
 * where node `id` listens for peers and for HTTP. Proposed by the admin endpoint that adds a
 * learner, before the configuration entry that adds it, so every node that learns the new
 * member from the log has already learnt its address (docs/architecture.md). Idempotent.
 */
/** Where a member listens: its peer (Raft) address and its HTTP address, "host:port". */
export interface MemberAddress {
  readonly peer: string
  readonly http: string
}

export interface AddressCommand {
  readonly op: 'addr'
  readonly id: string
  readonly peer: string
  readonly http: string
}

export type KvCommand = WriteCommand | OpenCommand | AddressCommand

/** Longest node id and address accepted in an address command (bytes of UTF-16 text). */
export const MAX_ADDRESS_FIELD = 256

export function encodeCommand(command: KvCommand): Uint8Array {
  // Field by field, so that extra properties of the caller's object never reach the log.
  if (command.op === 'open') return packValue({ op: 'open', clientId: command.clientId })
  if (command.op === 'addr')
    return packValue({ op: 'addr', id: command.id, peer: command.peer, http: command.http })
  const { op, key, value, clientId, seq, maxValueBytes } = command
  if (maxValueBytes === undefined) return packValue({ op, key, value, clientId, seq })
  return packValue({ op, key, value, clientId, seq, max: maxValueBytes })
}

/** Decodes and validates a log entry; throws MalformedCommandError for anything else. */
export function decodeCommand(bytes: Uint8Array): KvCommand {
  let raw: unknown
  try {
    raw = unpackValue(bytes)
  } catch (e) {
    throw new MalformedCommandError(`not valid msgpack (${(e as Error).message})`)
  }
  return validateCommand(raw)
}

export function validateCommand(raw: unknown): KvCommand {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new MalformedCommandError('not an object')
  const r = raw as Record<string, unknown>
  if (r.op === 'addr') return validateAddress(r)
  checkClientId(r.clientId)
  if (r.op === 'open') return { op: 'open', clientId: r.clientId }
  if (r.op !== 'put' && r.op !== 'append')
    throw new MalformedCommandError(`unknown op ${JSON.stringify(r.op) ?? String(r.op)}`)
  if (typeof r.key !== 'string') throw new MalformedCommandError('key must be a string')
  if (typeof r.value !== 'string') throw new MalformedCommandError('value must be a string')
  checkSeq(r.seq)
  const cmd: WriteCommand = {
    op: r.op,
    key: r.key,
    value: r.value,
    clientId: r.clientId,
    seq: r.seq,
  }
  if (r.max === undefined) return cmd
  if (typeof r.max !== 'number' || !Number.isSafeInteger(r.max) || r.max < 1)
    throw new MalformedCommandError(
      `max must be a positive integer, got ${JSON.stringify(r.max) ?? typeof r.max}`,
    )
  return { ...cmd, maxValueBytes: r.max }
}

function validateAddress(r: Record<string, unknown>): AddressCommand {
  const field = (name: string, v: unknown, empty: boolean): string => {
    if (typeof v !== 'string' || (!empty && v.length === 0) || v.length > MAX_ADDRESS_FIELD)
      throw new MalformedCommandError(
        `${name} must be a ${empty ? '' : 'non-empty '}string of at most ${MAX_ADDRESS_FIELD} characters`,
      )
    return v
  }
  const id = field('id', r.id, false)
  const peer = field('peer', r.peer, true)
  const http = field('http', r.http, true)
  if ((peer === '') !== (http === ''))
    throw new MalformedCommandError('peer and http must both be set, or both be empty')
  return { op: 'addr', id, peer, http }
}

function checkClientId(v: unknown): asserts v is string {
  if (typeof v !== 'string' || v.length === 0)
    throw new MalformedCommandError('clientId must be a non-empty string')
}

function checkSeq(v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw new MalformedCommandError(`seq must be a positive integer, got ${String(v)}`)
}
