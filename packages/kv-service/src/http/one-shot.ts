/**
 * One HTTP(S) exchange on a fresh connection (nothing kept open), for the admin paths that are
 * rare and must not share a pooled socket with client traffic: membership changes and the chaos
 * driver's status and fault requests. JSON body in, the status, body and Location header out.
 */
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

/** Sends `method path` to `address` (host:port), rejected after `timeoutMs` without an answer. */
export function oneShotExchange(
  scheme: OneShotScheme,
  address: string,
  method: string,
  path: string,
  timeoutMs: number,
  body?: string,
  headers: Record<string, string> = {},
): Promise<OneShotAnswer> {
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
        reject(new Error(`${method} ${path} on ${address}: no answer in ${timeoutMs} ms`)),
      )
      req.destroy()
    }, timeoutMs)
    req.once('error', (e) => finish(() => reject(e)))
    req.once('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (s: string) => (text += s))
      res.once('error', (e) => finish(() => reject(e)))
      res.once('end', () =>
        finish(() =>
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            location: typeof res.headers.location === 'string' ? res.headers.location : undefined,
          }),
        ),
      )
    })
    req.end(body)
  })
}
