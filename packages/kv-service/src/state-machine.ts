/**
 * The replicated key/value state machine: the map plus the client session table.
 *
 * At-most-once: each client session remembers the last sequence number it executed, that
 * request's result and a digest of the request (op, key, value; computed when first needed,
 * see session-entry.ts). A request with the last seq
 * and the same digest is a retry: it is answered from the table and never executed again. A
 * different request under a used seq (the last one with another digest, or an older one) is a
 * conflict: refused, not executed — a client that restarted its counter, or anyone writing
 * under another client's id, cannot turn later writes into silent no-ops. The table is part of the replicated state and of snapshots, so
 * this holds across leader changes and restarts.
 *
 * Session expiry, and why sessions must be opened. The table must stay bounded, so a session
 * that has not been used for more than `sessionExpiryEntries` log entries is dropped. The
 * clock for that is the log index of the command being applied, never a local clock, so every
 * replica drops the same sessions at the same point of the log. Once a session is dropped, the
 * state machine no longer knows which of its requests ran, so it must refuse them all: a
 * request from an unknown session is answered `session-expired` and not executed. That is
 * why a session is created by an explicit `open` command (thesis §6.3) rather than by a first
 * request with seq 1 — otherwise a retry of seq 1 arriving after expiry would run twice.
 * Consequence for clients: a client idle (or retrying one request) for longer than the window
 * must not expect an old request to be retried safely; it gets a session-expired answer, and
 * the clerk opens a new session (see client.ts). Opening is idempotent, and a stale `open`
 * can never land after requests of the same session (a Raft log orders it before them), so
 * re-opening never resets a live session.
 */
import type { Index, StateMachine } from '@raftkit/raft-core'
import { KvConfigError, MalformedCommandError } from './errors.js'
import type { AddressCommand, KvCommand, MemberAddress, WriteCommand } from './ops.js'
import { decodeWriteFast } from './command-fast.js'
import { decodeCommand, requestDigest } from './ops.js'
import type { Session } from './session-entry.js'
import { sessionAfterWrite, sessionAt } from './session-entry.js'

export type { Session } from './session-entry.js'
export type { MemberAddress } from './ops.js'
import { decodeSnapshot, encodeSnapshot } from './snapshot-format.js'

export type KvApplyResult =
  /** Executed now, or a retry answered from the session table (`duplicate: true`). */
  | { readonly status: 'ok'; readonly value: string; readonly duplicate: boolean }
  /** The session is unknown (never opened, or expired): nothing was executed. */
  | { readonly status: 'session-expired'; readonly clientId: string }
  /**
   * Not a retry, yet its seq is already used: a different request under the session's last
   * seq, or a seq below it. Nothing was executed and the session is unchanged.
   */
  | {
      readonly status: 'conflict'
      readonly clientId: string
      readonly seq: number
      readonly lastSeq: number
    }
  /**
   * Refused: the value it would leave under its key exceeds `limit` bytes (the command's
   * maxValueBytes). Nothing changed but the session, which remembers the refusal for retries.
   */
  | {
      readonly status: 'too-large'
      readonly key: string
      readonly limit: number
      /** The size the value would have had (undefined when answering a retry). */
      readonly bytes: number | undefined
    }
  /** The entry is not a kv command: skipped, nothing changed. */
  | { readonly status: 'malformed'; readonly error: MalformedCommandError }

export interface KvStateMachineOptions {
  /** Sessions unused for more than this many log entries are dropped. Default 100 000. */
  readonly sessionExpiryEntries?: number
}

export const DEFAULT_SESSION_EXPIRY_ENTRIES = 100_000

/** A write that ran and returned "" (every put and append): one object, not one per apply. */
const EXECUTED: KvApplyResult = Object.freeze({ status: 'ok', value: '', duplicate: false })

export class KvStateMachine implements StateMachine<KvApplyResult> {
  readonly sessionExpiryEntries: number
  private data = new Map<string, string>()
  /** Kept in ascending `lastIndex` order (touching a session moves it to the end). */
  private sessions = new Map<string, Session>()
  /**
   * No session can expire before this index: at most the oldest session's lastIndex + the
   * window + 1 (lastIndex only grows, and a new session is the newest), so most applies skip
   * the scan and its iterator (issue 15: every replica, every write).
   */
  private nextExpiry = 0
  /** The replicated address book (AddressCommand), by node id. */
  private addresses = new Map<string, MemberAddress>()
  private readonly addressListeners: Array<() => void> = []

  constructor(options: KvStateMachineOptions = {}) {
    const n = options.sessionExpiryEntries ?? DEFAULT_SESSION_EXPIRY_ENTRIES
    if (!Number.isSafeInteger(n) || n < 1)
      throw new KvConfigError(
        'sessionExpiryEntries',
        `must be a positive integer, got ${String(n)}`,
      )
    this.sessionExpiryEntries = n
  }

  /** A missing key reads as "". */
  get(key: string): string {
    return this.data.get(key) ?? ''
  }

  session(clientId: string): Session | undefined {
    return this.sessions.get(clientId)
  }

  /** The replicated address book: members added at run time (not those of the cluster file). */
  addressBook(): ReadonlyMap<string, MemberAddress> {
    return new Map(this.addresses)
  }

  /** Calls `listener` after an address command is applied or a snapshot restored. */
  onAddresses(listener: () => void): void {
    this.addressListeners.push(listener)
  }

  get keyCount(): number {
    return this.data.size
  }

  get sessionCount(): number {
    return this.sessions.size
  }

  /** Applies the log entry at `index`. Deterministic; never throws for bad input. */
  apply(command: Uint8Array, index: Index): KvApplyResult {
    // The common case, a put or append as encodeCommand wrote it with ASCII strings, without
    // msgpackr; its strings are flat copies already (see command-fast.ts).
    const fast = decodeWriteFast(command)
    if (fast) {
      this.expireSessions(index)
      return this.write(fast, index, true)
    }
    let cmd: KvCommand
    try {
      cmd = decodeCommand(command)
    } catch (e) {
      if (e instanceof MalformedCommandError) return { status: 'malformed', error: e }
      throw e
    }
    this.expireSessions(index)
    if (cmd.op === 'open') return this.open(cmd.clientId, index)
    if (cmd.op === 'addr') return this.setAddress(cmd)
    return this.write(cmd, index, false)
  }

  snapshot(): Uint8Array {
    return encodeSnapshot(this.data, this.sessions, this.addresses)
  }

  /** Replaces the whole state. Throws MalformedSnapshotError and keeps the old state on bad input. */
  restore(snapshot: Uint8Array): void {
    const decoded = decodeSnapshot(snapshot)
    this.data = decoded.data
    this.sessions = decoded.sessions
    this.nextExpiry = 0
    this.addresses = decoded.addresses
    this.tellAddresses()
  }

  private setAddress(cmd: AddressCommand): KvApplyResult {
    if (cmd.peer === '') this.addresses.delete(cmd.id)
    else this.addresses.set(cmd.id, { peer: cmd.peer, http: cmd.http })
    this.tellAddresses()
    return { status: 'ok', value: '', duplicate: false }
  }

  private tellAddresses(): void {
    for (const listener of this.addressListeners) listener()
  }

  private open(clientId: string, index: Index): KvApplyResult {
    const existing = this.sessions.get(clientId)
    this.touch(
      clientId,
      existing ?? { seq: 0, result: '', lastIndex: index, digest: '', refusedLimit: 0 },
      index,
    )
    return { status: 'ok', value: '', duplicate: existing !== undefined }
  }

  /** `owned`: cmd's key and value own their characters (see ownString). */
  private write(cmd: WriteCommand, index: Index, owned: boolean): KvApplyResult {
    const session = this.sessions.get(cmd.clientId)
    if (!session) return { status: 'session-expired', clientId: cmd.clientId }
    if (cmd.seq <= session.seq) {
      const answer = retryAnswer(session, cmd, requestDigest(cmd))
      if (answer.status !== 'conflict') this.touch(cmd.clientId, session, index)
      return answer
    }
    const limit = cmd.maxValueBytes
    const bytes = limit === undefined ? 0 : this.resultBytes(cmd)
    const refused = limit !== undefined && bytes > limit
    const result = refused ? '' : this.execute(cmd, owned)
    const refusedLimit = refused ? limit : 0
    // Its digest is computed when first needed (session-entry.ts).
    this.sessions.delete(cmd.clientId)
    this.sessions.set(cmd.clientId, sessionAfterWrite(cmd, result, index, refusedLimit, owned))
    if (refused) return { status: 'too-large', key: cmd.key, limit, bytes }
    return result === '' ? EXECUTED : { status: 'ok', value: result, duplicate: false }
  }

  /** UTF-8 bytes of the value `cmd` would leave under its key. */
  private resultBytes(cmd: WriteCommand): number {
    const added = Buffer.byteLength(cmd.value)
    return cmd.op === 'put' ? added : Buffer.byteLength(this.get(cmd.key)) + added
  }

  private execute(cmd: WriteCommand, owned: boolean): string {
    const key = owned || this.data.has(cmd.key) ? cmd.key : ownString(cmd.key)
    const value = owned ? cmd.value : ownString(cmd.value)
    if (cmd.op === 'put') this.data.set(key, value)
    else this.data.set(key, this.get(key) + value)
    return ''
  }

  private touch(clientId: string, session: Session, index: Index): void {
    this.sessions.delete(clientId)
    this.sessions.set(clientId, sessionAt(session, index))
  }

  /** Drops sessions idle for more than the window; oldest first, so this stops early. */
  private expireSessions(index: Index): void {
    if (index < this.nextExpiry) return
    for (const [clientId, session] of this.sessions) {
      if (index - session.lastIndex <= this.sessionExpiryEntries) {
        this.nextExpiry = session.lastIndex + this.sessionExpiryEntries + 1
        return
      }
      this.sessions.delete(clientId)
    }
    // None left: a session opened from now on is last used at `index` or later.
    this.nextExpiry = index + this.sessionExpiryEntries + 1
  }
}

/**
 * How a request with `seq` at or below the session's last is answered (by the state machine,
 * and by KvServer before proposing it): the same request as the last one is a retry, answered
 * with its result and never run again; anything else is a conflict. A seq below the last has
 * no waiting client when it is a genuine retry (a client issues its next request only after
 * the previous one was answered), so only a client that reused a seq can read that answer.
 */
export function retryAnswer(
  session: Session,
  request: { readonly clientId: string; readonly seq: number; readonly key: string },
  digest: string,
): KvApplyResult {
  const { clientId, seq, key } = request
  if (seq === session.seq && (session.digest === '' || session.digest === digest)) {
    if (session.refusedLimit > 0)
      return { status: 'too-large', key, limit: session.refusedLimit, bytes: undefined }
    return { status: 'ok', value: session.result, duplicate: true }
  }
  return { status: 'conflict', clientId, seq, lastSeq: session.seq }
}

const LATIN1 = /^[\u0000-\u00ff]*$/

/**
 * A copy of `s` that owns its characters. The msgpack decoder may hand out strings that are
 * slices of one larger string holding every string of the command; stored as they are, each
 * entry of the map would keep its whole command alive (about 2× the memory at 1 M keys of
 * 16-byte keys and 128-byte values). Strings of Latin-1 characters (one byte each) are copied
 * into a flat string; others are kept as they are.
 */
export function ownString(s: string): string {
  if (s.length === 0 || !LATIN1.test(s)) return s
  return Buffer.from(s, 'latin1').toString('latin1')
}
