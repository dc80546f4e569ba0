/** Reading what a client sent: the request target and the session headers. */
import type { IncomingMessage } from 'node:http'
import { INTERNAL_ID_PREFIX } from './internal-session.js'
import { HttpError } from './io.js'
import { CLIENT_ID_HEADER, REQUEST_SEQ_HEADER } from './protocol.js'

/** The session headers of a write, validated; undefined when there are none. */
export function parseSessionHeaders(
  req: IncomingMessage,
): { clientId: string; seq: number } | undefined {
  for (const [name, header] of [
    [CLIENT_ID_HEADER, 'Raftkit-Client-Id'],
    [REQUEST_SEQ_HEADER, 'Raftkit-Request-Seq'],
  ] as const)
    if ((req.headersDistinct[name]?.length ?? 0) > 1)
      throw new HttpError('BAD_SESSION', `${header} is given more than once; send it once`)
  const id = req.headers[CLIENT_ID_HEADER]
  const seqText = req.headers[REQUEST_SEQ_HEADER]
  if (id === undefined && seqText === undefined) return undefined
  if (typeof id !== 'string' || typeof seqText !== 'string')
    throw new HttpError(
      'BAD_SESSION',
      'Raftkit-Client-Id and Raftkit-Request-Seq must be given together, once each',
    )
  if (!/^[\x21-\x7e]{1,128}$/.test(id))
    throw new HttpError('BAD_SESSION', 'Raftkit-Client-Id must be 1-128 printable ASCII characters')
  if (!/^[1-9]\d{0,15}$/.test(seqText) || !Number.isSafeInteger(Number(seqText)))
    throw new HttpError('BAD_SESSION', 'Raftkit-Request-Seq must be a positive integer')
  if (id.startsWith(INTERNAL_ID_PREFIX))
    throw new HttpError(
      'BAD_SESSION',
      `client ids starting with "${INTERNAL_ID_PREFIX}" are reserved`,
    )
  return { clientId: id, seq: Number(seqText) }
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
