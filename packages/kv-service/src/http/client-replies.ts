/**
 * How HttpKvRpc (client-rpc.ts) reads a node's final HTTP answer as the clerk's KvReply: the
 * status and the JSON error body (codes: protocol.ts) decide. Redirects and 503 answers naming
 * a known leader are turned into WRONG_LEADER by client-rpc.ts before an answer gets here.
 * Pure functions of the request and the answer.
 */
import type { KvReply, KvRequest } from '../rpc.js'
import type { HttpErrorCode } from './protocol.js'
import { HTTP_ERRORS } from './protocol.js'

/** What of an HTTP answer decides the reply. */
export interface HttpReplyAnswer {
  readonly status: number
  readonly body: string
}

function errorOf(body: string): { error: string; message: string } {
  try {
    const o = JSON.parse(body) as { error?: unknown; message?: unknown }
    return { error: String(o.error), message: String(o.message) }
  } catch {
    return { error: 'UNKNOWN', message: body.slice(0, 500) }
  }
}

/** The server-issued id of a 201 answer to POST /v1/sessions. */
function issuedId(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { clientId?: unknown }).clientId
    return typeof id === 'string' && id.length > 0 ? id : undefined
  } catch {
    return undefined
  }
}

function is(e: { error: string }, code: HttpErrorCode): boolean {
  return e.error === code
}

export function toReply(request: KvRequest, a: HttpReplyAnswer): KvReply {
  if (a.status === 200 && request.type === 'get') return { ok: true, value: a.body }
  if (a.status === 204 && (request.type === 'put' || request.type === 'append'))
    return { ok: true, value: '' }
  if (a.status === 201 && request.type === 'open') {
    const id = issuedId(a.body)
    if (id !== undefined) return { ok: true, value: id }
    return { ok: false, error: 'TIMEOUT' } // not a usable answer: the clerk retries
  }
  const e = errorOf(a.body)
  if (a.status === 404 && request.type === 'get' && is(e, 'KEY_NOT_FOUND'))
    return { ok: true, value: '' }
  if (a.status === HTTP_ERRORS.SESSION_EXPIRED && is(e, 'SESSION_EXPIRED'))
    return { ok: false, error: 'SESSION_EXPIRED' }
  if (a.status === HTTP_ERRORS.REQUEST_CONFLICT && is(e, 'REQUEST_CONFLICT'))
    return { ok: false, error: 'CONFLICT', message: e.message }
  // The value (or the appended result) is over the server's maxValueBytes: as over WsKvRpc.
  if (a.status === HTTP_ERRORS.VALUE_TOO_LARGE && is(e, 'VALUE_TOO_LARGE'))
    return { ok: false, error: 'TOO_LARGE', message: e.message }
  switch (a.status) {
    case 400:
    case 404:
    case 405:
    case 409:
    case 413:
      return { ok: false, error: 'BAD_REQUEST', message: `HTTP ${a.status}: ${e.message}` }
    case 503:
      return is(e, 'STOPPED')
        ? { ok: false, error: 'STOPPED' }
        : { ok: false, error: 'WRONG_LEADER', leaderHint: null }
    default:
      // 504 and anything unexpected: no usable answer; the clerk retries.
      return { ok: false, error: 'TIMEOUT' }
  }
}
