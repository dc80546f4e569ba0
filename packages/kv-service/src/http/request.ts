/** Reading what a client sent: the request target and the session headers. */
import type { IncomingMessage } from 'node:http'
import { HttpError } from './io.js'
import { checkSession } from './kv-checks.js'
import { CLIENT_ID_HEADER, REQUEST_SEQ_HEADER } from './protocol.js'

/** The session headers of a write, validated; undefined when there are none. */
export function parseSessionHeaders(
  req: IncomingMessage,
): { clientId: string; seq: number } | undefined {
  // One pass over the raw header lines (req.headers and req.headersDistinct would each build
  // an object of every header on first use, for every write).
  let id: string | undefined
  let seqText: string | undefined
  let ids = 0
  let seqs = 0
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string
    if (isHeader(name, CLIENT_ID_HEADER)) {
      id = raw[i + 1]
      ids++
    } else if (isHeader(name, REQUEST_SEQ_HEADER)) {
      seqText = raw[i + 1]
      seqs++
    }
  }
  if (ids > 1)
    throw new HttpError('BAD_SESSION', 'Raftkit-Client-Id is given more than once; send it once')
  if (seqs > 1)
    throw new HttpError('BAD_SESSION', 'Raftkit-Request-Seq is given more than once; send it once')
  if (id === undefined && seqText === undefined) return undefined
  if (id === undefined || seqText === undefined)
    throw new HttpError(
      'BAD_SESSION',
      'Raftkit-Client-Id and Raftkit-Request-Seq must be given together, once each',
    )
  // Digits only (Number() would also take "0x1f", " 7" or "1e3").
  const seq = isSeq(seqText) ? Number(seqText) : NaN
  checkSession(id, seq, 'Raftkit-Client-Id', 'Raftkit-Request-Seq')
  return { clientId: id, seq }
}

// The checks below run on every write, so they compare characters in place: toLowerCase and a
// regular expression's test each allocated 40-60 bytes per call here (issue 15).

/**
 * `name` is the header `lower` (a lower-case name), compared ASCII case-insensitively as
 * toLowerCase would (node's parser admits only ASCII token characters in header names).
 */
export function isHeader(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== lower.charCodeAt(i)) return false
  }
  return true
}

/** /^[1-9]\d{0,15}$/: a positive decimal integer of at most 16 digits, no leading zero. */
export function isSeq(s: string): boolean {
  if (s.length < 1 || s.length > 16) return false
  const first = s.charCodeAt(0)
  if (first < 0x31 || first > 0x39) return false
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return false
  }
  return true
}

/**
 * The Content-Length the client declared (undefined without one), read from the raw header
 * lines. Node's parser has already refused a malformed or conflicting Content-Length.
 */
export function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string
    if (isHeader(name, 'content-length')) return Number(raw[i + 1])
  }
  return undefined
}

/**
 * The request target in origin form ("/path?query"). HTTP/1.1 servers must also accept the
 * absolute form ("http://host/path?query", RFC 9112 §3.2.2); its host is ignored.
 */
export function target(req: IncomingMessage): string {
  const url = req.url ?? '/'
  if (url.startsWith('/')) return url
  const m = /^https?:\/\/[^/?#]*(.*)$/i.exec(url)
  if (!m) return url
  const rest = m[1] ?? ''
  return rest.startsWith('/') ? rest : `/${rest}`
}

/** The request's path for logs (bounded: a client chooses it). */
export function pathOf(req: IncomingMessage): string {
  return (req.url ?? '').slice(0, 200)
}
