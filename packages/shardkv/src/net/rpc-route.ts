/**
 * The answering side of HttpShardRpc: `POST /v1/shard/rpc/<endpoint>` on a node's HTTP server.
 * Checks the cluster secret (constant time) before reading anything, refuses a body over the
 * request bound with 413 without reading it past the bound, hands the decoded request to the
 * endpoint's handler (which validates it field by field) and answers its msgpack reply — or
 * 413 REPLY_TOO_LARGE when the reply exceeds the reply bound (a shard too big to migrate).
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '@raftkit/raft-core'
import { packValue, unpackValue } from '@raftkit/raft-core'
import type { HttpShardRpc } from './rpc-http-client.js'
import { RPC_CONTENT_TYPE, RPC_PATH, RPC_SECRET_HEADER } from './rpc-protocol.js'

export interface RpcRouteOptions {
  readonly rpc: HttpShardRpc
  readonly secret: string
  readonly logger: Logger
  /** How long the body may take to arrive. @default 10 000 ms */
  readonly bodyTimeoutMs?: number
}

/** Plain JSON error answer ({ error, message }), as the rest of the HTTP API gives. */
export function sendJsonError(
  res: ServerResponse,
  status: number,
  error: string,
  message: string,
): void {
  if (res.headersSent) return void res.destroy()
  const text = JSON.stringify({ error, message })
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

function secretMatches(given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(given)
  const b = Buffer.from(secret)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Reads the whole body, at most `limit` bytes: resolves undefined (and answers 413, closing
 * the connection) past the bound, or 408 when it does not arrive within `timeoutMs`.
 */
export function readBounded(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  timeoutMs: number,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? NaN)
    const refuse = (status: number, code: string, message: string): void => {
      res.setHeader('connection', 'close')
      sendJsonError(res, status, code, message)
      req.destroy()
      resolve(undefined)
    }
    if (declared > limit)
      return refuse(413, 'TOO_LARGE', `the request is ${declared} bytes; the limit is ${limit}`)
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const timer = setTimeout(() => {
      if (done) return
      done = true
      refuse(408, 'REQUEST_TIMEOUT', `the body did not arrive within ${timeoutMs} ms`)
    }, timeoutMs)
    req.on('data', (c: Buffer) => {
      if (done) return
      size += c.length
      if (size > limit) {
        done = true
        clearTimeout(timer)
        refuse(413, 'TOO_LARGE', `the request is more than ${limit} bytes; the limit is ${limit}`)
      } else chunks.push(c)
    })
    req.on('end', () => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve(Buffer.concat(chunks, size))
    })
    req.on('error', () => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve(undefined)
    })
  })
}

/** Answers one RPC request (the path starts with RPC_PATH). */
export async function serveRpc(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  o: RpcRouteOptions,
): Promise<void> {
  if (req.method !== 'POST')
    return sendJsonError(res, 405, 'METHOD_NOT_ALLOWED', 'RPC calls are POST')
  if (!secretMatches(req.headers[RPC_SECRET_HEADER], o.secret)) {
    res.setHeader('connection', 'close')
    return sendJsonError(res, 401, 'UNAUTHORIZED', 'missing or wrong cluster secret')
  }
  let name: string
  try {
    name = decodeURIComponent(path.slice(RPC_PATH.length))
  } catch {
    return sendJsonError(res, 400, 'BAD_REQUEST', 'the endpoint name is not percent-encoded')
  }
  const handler = o.rpc.handler(name)
  if (!handler) return sendJsonError(res, 404, 'NOT_FOUND', `no endpoint ${name} on this node`)
  const body = await readBounded(req, res, o.rpc.maxRequestBytes, o.bodyTimeoutMs ?? 10_000)
  if (!body) return
  let request: unknown
  try {
    request = unpackValue(body)
  } catch (e) {
    return sendJsonError(res, 400, 'BAD_REQUEST', `not msgpack: ${(e as Error).message}`)
  }
  let reply: unknown
  try {
    reply = await handler(request)
  } catch (e) {
    o.logger.warn('RPC handler failed', { endpoint: name, error: String(e) })
    return sendJsonError(res, 500, 'INTERNAL', 'the handler failed')
  }
  const out = packValue(reply)
  if (out.byteLength > o.rpc.maxReplyBytes) {
    o.logger.error('RPC reply over the bound: not sent', {
      endpoint: name,
      bytes: out.byteLength,
      limit: o.rpc.maxReplyBytes,
    })
    return sendJsonError(
      res,
      413,
      'REPLY_TOO_LARGE',
      `the reply is ${out.byteLength} bytes; the limit is ${o.rpc.maxReplyBytes}`,
    )
  }
  res.writeHead(200, { 'content-type': RPC_CONTENT_TYPE, 'content-length': out.byteLength })
  res.end(out)
}
