/**
 * One HTTP(S) exchange on a fresh connection (nothing kept open), for the admin paths that are
 * rare and must not share a pooled socket with client traffic: membership changes and the chaos
 * driver's status and fault requests, and backups. JSON body in; the status, body and Location
 * header out (oneShotExchange), or the status, every header and the body's bytes (oneShotRequest).
 */
import type { IncomingHttpHeaders } from 'node:http'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

/** `https` with the CA to trust, or plain `http`. */
export interface OneShotScheme {
  readonly secure: boolean
  readonly ca?: Buffer | string
}

export interface OneShotAnswer {
  readonly status: number
  readonly body: string
  readonly location: string | undefined
}

/** The whole answer: status, headers and the body's bytes. */
export interface OneShotRawAnswer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/** Sends `method path` to `address` (host:port), rejected after `timeoutMs` without an answer. */
export async function oneShotExchange(
  scheme: OneShotScheme,
  address: string,
  method: string,
  path: string,
  timeoutMs: number,
  body?: string,
  headers: Record<string, string> = {},
): Promise<OneShotAnswer> {
  const a = await oneShotRequest(scheme, address, method, path, timeoutMs, body, headers)
  const location = a.headers.location
  return {
    status: a.status,
    body: a.body.toString('utf8'),
    location: typeof location === 'string' ? location : undefined,
  }
}

/**
 * oneShotExchange's answer as bytes, with every header (the backup client's binary body).
 * Rejected when no complete answer arrived within `timeoutMs` or the answer was cut off.
 */
export function oneShotRequest(
  scheme: OneShotScheme,
  address: string,
  method: string,
  path: string,
  timeoutMs: number,
  body?: string,
  headers: Record<string, string> = {},
): Promise<OneShotRawAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false
    const req = (scheme.secure ? httpsRequest : httpRequest)(
      `${scheme.secure ? 'https' : 'http'}://${address}${path}`,
      {
        method,
        agent: false,
        ...(scheme.ca ? { ca: scheme.ca } : {}),
        headers: {
          ...headers,
          connection: 'close',
          ...(body !== undefined
            ? {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(body)),
              }
            : {}),
        },
      },
    )
    const finish = (fn: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      fn()
    }
    const timer = setTimeout(() => {
      finish(() =>
        reject(new Error(`${method} ${path} on ${address}: no complete answer in ${timeoutMs} ms`)),
      )
      req.destroy()
    }, timeoutMs)
    req.once('error', (e) => finish(() => reject(e)))
    req.once('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.once('error', (e) => finish(() => reject(e)))
      res.once('aborted', () =>
        finish(() => reject(new Error(`${method} ${path} on ${address}: the answer was cut off`))),
      )
      res.once('end', () =>
        finish(() =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        ),
      )
    })
    req.end(body)
  })
}
