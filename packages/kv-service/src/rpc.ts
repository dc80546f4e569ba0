/**
 * The request/response protocol between clerks (KvClient) and servers (KvServer), and the
 * abstraction of the network that carries it. Endpoint names are the servers' Raft node ids,
 * so a server's `leaderHint` can be used directly as a destination.
 */
import type { NodeId } from '@raftkit/raft-core'
import { MalformedRequestError } from './errors.js'

export type KvRequest =
  | { readonly type: 'get'; readonly key: string }
  | {
      readonly type: 'put' | 'append'
      readonly key: string
      readonly value: string
      readonly clientId: string
      readonly seq: number
    }
  | { readonly type: 'open'; readonly clientId: string }

/** Why a request was not answered with a value. */
export type KvFailure =
  /** Not the leader, or the request's log entry was lost: retry on `leaderHint` or elsewhere. */
  | 'WRONG_LEADER'
  /** The server could not finish in its time budget (e.g. it cannot reach a majority). */
  | 'TIMEOUT'
  /** The client's session is not open (never opened, or expired). Nothing was executed. */
  | 'SESSION_EXPIRED'
  /**
   * A different request under an already-used (client id, seq) — not a retry. Nothing was
   * executed; retrying it will not help (the client's sequence numbers are wrong).
   */
  | 'CONFLICT'
  /**
   * The value the write would leave under its key exceeds the service's maxValueBytes (a put of
   * a larger value, or an append to a value that would grow past it). Nothing was executed.
   */
  | 'TOO_LARGE'
  /** The request is invalid; retrying it will not help. */
  | 'BAD_REQUEST'
  /** The server is shutting down. */
  | 'STOPPED'

export type KvReply =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly error: 'WRONG_LEADER'; readonly leaderHint: NodeId | null }
  | { readonly ok: false; readonly error: 'TIMEOUT' | 'SESSION_EXPIRED' | 'STOPPED' }
  | {
      readonly ok: false
      readonly error: 'BAD_REQUEST' | 'CONFLICT' | 'TOO_LARGE'
      readonly message: string
    }

/** What a server installs on the RPC network. */
export type KvHandler = (request: KvRequest) => Promise<KvReply>

/** How clerks reach servers. */
export interface KvRpcNetwork {
  /**
   * Sends `request` from endpoint `from` to server `to`. Resolves with the reply, or rejects
   * with raft-core's TimeoutError when no reply came back (request or reply lost, server
   * down or unreachable) — in which case the request may or may not have been executed.
   */
  call(from: string, to: string, request: KvRequest, timeoutMs: number): Promise<KvReply>
}

/** Validates a request that came over a network; throws MalformedRequestError. */
export function validateRequest(raw: unknown): KvRequest {
  if (typeof raw !== 'object' || raw === null) throw new MalformedRequestError('not an object')
  const r = raw as Record<string, unknown>
  switch (r.type) {
    case 'get':
      return { type: 'get', key: str(r.key, 'key') }
    case 'open':
      return { type: 'open', clientId: clientId(r.clientId) }
    case 'put':
    case 'append':
      return {
        type: r.type,
        key: str(r.key, 'key'),
        value: str(r.value, 'value'),
        clientId: clientId(r.clientId),
        seq: seq(r.seq),
      }
    default:
      throw new MalformedRequestError(`unknown request type ${String(r.type)}`)
  }
}

/** Validates a reply that came over a network; throws MalformedRequestError. */
export function validateReply(raw: unknown): KvReply {
  if (typeof raw !== 'object' || raw === null)
    throw new MalformedRequestError('reply is not an object')
  const r = raw as Record<string, unknown>
  if (r.ok === true) return { ok: true, value: str(r.value, 'value') }
  if (r.ok !== false) throw new MalformedRequestError('reply.ok must be a boolean')
  switch (r.error) {
    case 'WRONG_LEADER': {
      const hint = r.leaderHint ?? null
      if (hint !== null && typeof hint !== 'string')
        throw new MalformedRequestError('leaderHint must be a string or null')
      return { ok: false, error: 'WRONG_LEADER', leaderHint: hint }
    }
    case 'TIMEOUT':
    case 'SESSION_EXPIRED':
    case 'STOPPED':
      return { ok: false, error: r.error }
    case 'BAD_REQUEST':
    case 'CONFLICT':
    case 'TOO_LARGE':
      return { ok: false, error: r.error, message: str(r.message, 'message') }
    default:
      throw new MalformedRequestError(`unknown reply error ${String(r.error)}`)
  }
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new MalformedRequestError(`${field} must be a string`)
  return v
}

function clientId(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0)
    throw new MalformedRequestError('clientId must be a non-empty string')
  return v
}

function seq(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw new MalformedRequestError('seq must be a positive integer')
  return v
}
