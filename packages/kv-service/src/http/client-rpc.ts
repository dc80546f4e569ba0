/**
 * HttpKvRpc: KvClient's network over the nodes' HTTP API, so the clerk's leader discovery,
 * retries and at-most-once sessions work against `raftkit serve` nodes.
 *
 * - `get`, `put` and `append` map to the HTTP routes; writes carry the session headers.
 * - `open` is answered locally: the server opens a client's session on its first write (seq 1).
 * - A 307 to a known endpoint becomes WRONG_LEADER with that endpoint's name as the hint (the
 *   clerk then remembers the leader); a 307 elsewhere is followed directly (at most 3 hops).
 * - No answer (connection refused or reset, timeout) rejects with TimeoutError, as
 *   KvRpcNetwork requires: the request may or may not have run.
 * - HTTPS: `https://` endpoints, or every "host:port" endpoint when `tls` is given. A server
 *   whose certificate is not trusted (or does not name its address), or that does not speak TLS,
 *   rejects with TlsError: retrying does not fix that, so the clerk stops and says so.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { Agent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { TimeoutError } from '@raftkit/raft-core'
import { TlsError } from '../errors.js'
import type { KvReply, KvRequest, KvRpcNetwork } from '../rpc.js'
import { CLIENT_ID_HEADER, REQUEST_SEQ_HEADER } from './server.js'

export interface HttpKvRpcOptions {
  /** Server name → HTTP address ("host:port", "http://host:port" or "https://host:port"). */
  readonly endpoints: Readonly<Record<string, string>>
  /** Redirects followed to addresses not in `endpoints`. Default 3. */
  readonly maxRedirects?: number
  /**
   * Use HTTPS: "host:port" endpoints become https://. `ca`: the PEM CA certificate(s) to trust
   * (the cluster's `tls.caFile`); absent: the system's trusted CAs.
   */
  readonly tls?: { readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> }
}

interface HttpAnswer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

const MAX_REPLY_BYTES = 64 * 1024 * 1024

export class HttpKvRpc implements KvRpcNetwork {
  private readonly endpoints = new Map<string, URL>()
  private readonly maxRedirects: number
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 })
  private readonly httpsAgent: HttpsAgent
  private closed = false

  constructor(options: HttpKvRpcOptions) {
    const tls = options.tls
    for (const [name, address] of Object.entries(options.endpoints))
      this.endpoints.set(name, toBaseUrl(address, tls !== undefined))
    this.maxRedirects = options.maxRedirects ?? 3
    const ca = tls?.ca
    this.httpsAgent = new HttpsAgent({
      keepAlive: true,
      maxSockets: 16,
      ...(ca === undefined
        ? {}
        : { ca: typeof ca === 'string' || Buffer.isBuffer(ca) ? ca : [...ca] }),
    })
  }

  /** Names of the endpoints, for KvClient's `servers`. */
  get servers(): string[] {
    return [...this.endpoints.keys()]
  }

  async call(_from: string, to: string, request: KvRequest, timeoutMs: number): Promise<KvReply> {
    if (request.type === 'open') return { ok: true, value: '' }
    const base = this.endpoints.get(to)
    if (!base) throw new TimeoutError(`unknown server ${to}`)
    const key = encodeURIComponent(request.key)
    let url = new URL(request.type === 'append' ? `/v1/kv/${key}/append` : `/v1/kv/${key}`, base)
    const method = request.type === 'get' ? 'GET' : request.type === 'put' ? 'PUT' : 'POST'
    const headers: Record<string, string> = {}
    let body: Buffer | undefined
    if (request.type !== 'get') {
      headers[CLIENT_ID_HEADER] = request.clientId
      headers[REQUEST_SEQ_HEADER] = String(request.seq)
      body = Buffer.from(request.value)
    }
    const deadline = Date.now() + timeoutMs
    for (let hops = 0; ; hops++) {
      const answer = await this.send(url, method, headers, body, deadline - Date.now())
      if (answer.status !== 307) return toReply(request, answer)
      const location = answer.headers.location
      if (location === undefined) return { ok: false, error: 'WRONG_LEADER', leaderHint: null }
      const target = new URL(location, url)
      const known = this.nameOf(target)
      if (known !== undefined) return { ok: false, error: 'WRONG_LEADER', leaderHint: known }
      if (hops >= this.maxRedirects) return { ok: false, error: 'WRONG_LEADER', leaderHint: null }
      url = target
    }
  }

  /** GET of a JSON document (e.g. /v1/status) from one endpoint. */
  async getJson(to: string, path: string, timeoutMs: number): Promise<unknown> {
    const base = this.endpoints.get(to)
    if (!base) throw new TimeoutError(`unknown server ${to}`)
    const answer = await this.send(new URL(path, base), 'GET', {}, undefined, timeoutMs)
    if (answer.status !== 200)
      throw new Error(`${to}: HTTP ${answer.status}: ${answer.body.slice(0, 200)}`)
    return JSON.parse(answer.body) as unknown
  }

  /** Closes every kept-alive connection. */
  close(): void {
    this.closed = true
    this.agent.destroy()
    this.httpsAgent.destroy()
  }

  private nameOf(url: URL): string | undefined {
    for (const [name, base] of this.endpoints) if (base.host === url.host) return name
    return undefined
  }

  private send(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
    timeoutMs: number,
  ): Promise<HttpAnswer> {
    if (this.closed) return Promise.reject(new TimeoutError('the HTTP client was closed'))
    if (timeoutMs <= 0) return Promise.reject(new TimeoutError('no time left for the request'))
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false
      const done = (fn: () => void): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        fn()
      }
      const secure = url.protocol === 'https:'
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method,
        agent: secure ? this.httpsAgent : this.agent,
        headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      })
      const timer = setTimeout(() => {
        done(() => reject(new TimeoutError(`no answer from ${url.host} within ${timeoutMs} ms`)))
        req.destroy()
      }, timeoutMs)
      req.once('error', (e) =>
        done(() =>
          reject(
            tlsFailure(url, e) ?? new TimeoutError(`no answer from ${url.host}: ${e.message}`),
          ),
        ),
      )
      req.once('response', (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > MAX_REPLY_BYTES) {
            req.destroy(new Error('reply too large'))
            return
          }
          chunks.push(c)
        })
        res.once('error', (e) =>
          done(() => reject(new TimeoutError(`no answer from ${url.host}: ${e.message}`))),
        )
        res.once('end', () =>
          done(() =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          ),
        )
      })
      req.end(body)
    })
  }
}

function toBaseUrl(address: string, tls: boolean): URL {
  const url = new URL(
    /^https?:\/\//i.test(address) ? address : `${tls ? 'https' : 'http'}://${address}`,
  )
  url.pathname = '/'
  return url
}

/** Certificate verification failures (OpenSSL's X509 codes as Node reports them). */
const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY|DECRYPT)|CHAIN|ISSUER/

/** A TlsError when `e` is a failure retrying does not fix; undefined for anything else. */
function tlsFailure(url: URL, e: Error): TlsError | undefined {
  if (url.protocol !== 'https:') return undefined
  const code = (e as NodeJS.ErrnoException).code ?? ''
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new TlsError(
      url.host,
      code,
      `its certificate does not name ${url.hostname} (${e.message}); dial an address the certificate lists`,
    )
  if (CERTIFICATE_CODES.test(code))
    return new TlsError(
      url.host,
      code,
      `its certificate is not trusted (${code}: ${e.message}); trust the cluster's CA (tls.caFile in the cluster file, --ca on the command line)`,
    )
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(e.message))
    return new TlsError(
      url.host,
      code || 'EPROTO',
      'the server does not speak TLS (an http:// server dialed with https://?)',
    )
  return undefined
}

function errorOf(body: string): { error: string; message: string } {
  try {
    const o = JSON.parse(body) as { error?: unknown; message?: unknown }
    return { error: String(o.error), message: String(o.message) }
  } catch {
    return { error: 'UNKNOWN', message: body.slice(0, 500) }
  }
}

function toReply(request: KvRequest, a: HttpAnswer): KvReply {
  if (a.status === 200 && request.type === 'get') return { ok: true, value: a.body }
  if (a.status === 204 && request.type !== 'get') return { ok: true, value: '' }
  const e = errorOf(a.body)
  if (a.status === 404 && request.type === 'get' && e.error === 'KEY_NOT_FOUND')
    return { ok: true, value: '' }
  switch (a.status) {
    case 400:
    case 404:
    case 405:
    case 413:
      return { ok: false, error: 'BAD_REQUEST', message: `HTTP ${a.status}: ${e.message}` }
    case 409:
      return { ok: false, error: 'SESSION_EXPIRED' }
    case 503:
      return e.error === 'STOPPED'
        ? { ok: false, error: 'STOPPED' }
        : { ok: false, error: 'WRONG_LEADER', leaderHint: null }
    default:
      // 504 and anything unexpected: no usable answer; the clerk retries.
      return { ok: false, error: 'TIMEOUT' }
  }
}
