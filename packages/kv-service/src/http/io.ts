/**
 * Small node:http helpers of the HTTP server: the typed HttpError every handler throws, body
 * reading with a size limit, and the JSON/text answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HttpErrorBody, HttpErrorCode } from './protocol.js'
import { HTTP_ERRORS } from './protocol.js'

/** An answer other than success: the status comes from the code (protocol.ts). */
export class HttpError extends Error {
  readonly status: number
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    status?: number,
  ) {
    super(message)
    this.status = status ?? HTTP_ERRORS[code]
  }
}

export function allow(req: IncomingMessage, methods: readonly string[]): void {
  const m = req.method ?? ''
  if (methods.includes(m) || (m === 'HEAD' && methods.includes('GET'))) return
  throw new HttpError(
    'METHOD_NOT_ALLOWED',
    `${m} is not allowed here; use ${methods.join(' or ')}`,
    { allow: methods.join(', ') },
  )
}

/** 413 for a body over `limit`; `setting` names the limit in the message. */
export function tooLarge(
  bytes: number,
  limit: number,
  what = 'the value',
  setting = 'limits.maxValueBytes',
): HttpError {
  return new HttpError(
    'VALUE_TOO_LARGE',
    `${what} is ${bytes >= limit + 1 ? `more than ${limit}` : bytes} bytes; the limit (${setting}) is ${limit}`,
  )
}

/** Reads the whole body, refusing more than `limit` bytes. */
export function readBody(
  req: IncomingMessage,
  limit: number,
  onTooLarge: (bytes: number, limit: number) => HttpError,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) {
        req.off('data', onData)
        req.off('end', onEnd)
        req.pause()
        reject(onTooLarge(size, limit))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => resolve(Buffer.concat(chunks, size))
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('error', reject)
  })
}

export function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  /** 'json', 'text', 'bytes' or a full content type. */
  type: string,
): void {
  const contentType =
    type === 'json'
      ? 'application/json; charset=utf-8'
      : type === 'text'
        ? 'text/plain; charset=utf-8'
        : type
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, JSON.stringify(body) + '\n', 'json')
}

export function sendError(res: ServerResponse, e: HttpError): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body: HttpErrorBody = { error: e.code, message: e.message }
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v)
  // An unread (refused) body must not be parsed as the next request.
  if (!res.req.complete) res.setHeader('connection', 'close')
  sendJson(res, e.status, body)
}
