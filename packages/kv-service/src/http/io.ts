/**
 * Small node:http helpers of the HTTP server: the typed HttpError every handler throws, body
 * reading with a size limit, and the JSON/text answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HttpErrorBody, HttpErrorCode } from './protocol.js'
import type { BodyBudget } from './limits.js'
import { HTTP_ERRORS } from './protocol.js'
import { lingerOnClose } from './linger.js'

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

/** The client went away (aborted, reset) before its request was read: nobody to answer. */
export class ClientGone extends Error {}

export interface ReadBodyOptions {
  /** Most bytes accepted; more: `onTooLarge`. */
  readonly limit: number
  readonly onTooLarge: (bytes: number, limit: number) => HttpError
  /** Shared bound on the bytes of all unfinished bodies; over it: 503 BUSY. */
  readonly budget?: BodyBudget
  /** The whole body must arrive within this time; else 408 and the connection closes. */
  readonly timeoutMs?: number
  /** The request's Content-Length, if it has one: a body buffered whole is taken at once. */
  readonly declaredLength?: number | undefined
}

/**
 * Reads the whole body. Refuses more than `limit` bytes, a body that would take the node's
 * unfinished bodies over `budget`, and one that does not arrive within `timeoutMs`. The bytes
 * taken from the budget are given back however the read ends.
 */
export async function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<Buffer> {
  // A small body nearly always arrives in the same read as the headers: one microtask later
  // the parser has pushed it (see readBodyNow).
  await Promise.resolve()
  return readBodyNow(req, options)
}

/**
 * readBody without its own wait, for a caller that has let one microtask pass since the
 * request's headers (the write path: no async frame and promise of readBody's own per write).
 * When all `declaredLength` bytes are buffered by then (the parser delivers exactly
 * Content-Length bytes, never more) they are taken at once, without the listeners and the
 * timer of a body that is still on its way; otherwise the body is read as it comes.
 */
export function readBodyNow(
  req: IncomingMessage,
  options: ReadBodyOptions,
): Buffer | Promise<Buffer> {
  if (
    options.declaredLength !== undefined &&
    !req.destroyed &&
    req.readableLength === options.declaredLength
  )
    return takeBuffered(req, options)
  return readStreaming(req, options)
}

/** A body whose every byte is buffered in `req`: the same checks, no waiting. */
function takeBuffered(req: IncomingMessage, options: ReadBodyOptions): Buffer {
  const { limit, onTooLarge, budget } = options
  const size = req.readableLength
  if (size > limit) throw onTooLarge(size, limit)
  if (budget) {
    if (!budget.take(size)) throw busy(budget)
    budget.give(size)
  }
  if (size === 0) return Buffer.alloc(0)
  return req.read() as Buffer
}

function busy(budget: BodyBudget): HttpError {
  return new HttpError(
    'BUSY',
    `this node holds too many unfinished request bodies (http.maxPendingBodyBytes = ${budget.limit}); retry shortly`,
    { 'retry-after': '1' },
  )
}

function readStreaming(req: IncomingMessage, options: ReadBodyOptions): Promise<Buffer> {
  const { limit, onTooLarge, budget, timeoutMs } = options
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let held = 0
    let timer: NodeJS.Timeout | undefined
    const settle = (e: Error | undefined): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('close', onClose)
      req.off('error', onError)
      clearTimeout(timer)
      budget?.give(held)
      held = 0
      if (e === undefined) resolve(Buffer.concat(chunks, size))
      else {
        req.pause()
        chunks.length = 0
        reject(e)
      }
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) return settle(onTooLarge(size, limit))
      if (budget && !budget.take(chunk.length)) return settle(busy(budget))
      held += chunk.length
      chunks.push(chunk)
    }
    const onEnd = (): void => settle(undefined)
    const onClose = (): void => {
      if (!req.complete) settle(new ClientGone('the client closed the connection mid-request'))
    }
    const onError = (e: Error): void => settle(new ClientGone(e.message))
    if (timeoutMs !== undefined)
      timer = setTimeout(
        () =>
          settle(
            new HttpError(
              'REQUEST_TIMEOUT',
              `the request body did not arrive within http.bodyTimeoutMs (${timeoutMs} ms)`,
            ),
          ),
        timeoutMs,
      )
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('close', onClose)
    req.once('error', onError)
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
  // An unread (refused) body must not be parsed as the next request: answer, then close,
  // lingering so that the answer reaches a client that is still sending (linger.ts).
  if (!res.req.complete) {
    res.setHeader('connection', 'close')
    lingerOnClose(res.req)
    res.once('finish', () => res.req.socket.destroySoon())
  }
  sendJson(res, e.status, body)
}
