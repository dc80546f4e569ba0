/**
 * HttpKvRpc: KvClient's network over the nodes' HTTP API, so the clerk's leader discovery,
 * retries and at-most-once sessions work against `raftkit serve` nodes.
 *
 * - `get`, `put` and `append` map to the HTTP routes; writes carry the session headers.
 * - `open` is POST /v1/sessions: the server issues the session id (unguessable), which the
 *   reply carries and KvClient then uses.
 * - A 307 to a known endpoint becomes WRONG_LEADER with that endpoint's name as the hint (the
 *   clerk then remembers the leader); a 307 elsewhere is followed directly (at most 3 hops).
 *   A 503 whose Raftkit-Leader header names an endpoint becomes WRONG_LEADER with that hint.
 * - No answer (connection refused or reset, timeout) rejects with TimeoutError, as
 *   KvRpcNetwork requires: the request may or may not have run.
 * - HTTPS: `https://` endpoints, or every "host:port" endpoint when `tls` is given. A server
 *   whose certificate is not trusted (or does not name its address), or that does not speak TLS,
 *   rejects with TlsError: retrying does not fix that, so the clerk stops and says so.
 * - Any other answer becomes a KvReply by its status and error body (client-replies.ts).
 *
 * The HTTP client is undici: up to 16 keep-alive connections per server (an undici `Client`
 * each; a request goes to an idle one, so a clerk, which sends one request at a time, keeps
 * using the same connection), driven through the low-level `dispatch` with one small handler
 * object per request: no streams, no URL objects and no header objects on the way, which makes
 * a request several times cheaper in CPU than with node:http (see
 * apps/test-suite/bench/kv-client-cpu.ts).
 */
import { TimeoutError } from '@raftkit/raft-core'
import type { Dispatcher } from 'undici'
import { Client } from 'undici'
import { tlsFailure } from './tls-failure.js'
import type { KvRpcTlsOption } from './client-tls.js'
import { tlsConnectOptions } from './client-tls.js'
import type { KvReply, KvRequest, KvRpcNetwork } from '../rpc.js'
import { toReply } from './client-replies.js'
import {
  APPEND_SUFFIX,
  CLIENT_ID_HEADER,
  KV_PATH,
  LEADER_HEADER,
  REQUEST_SEQ_HEADER,
  SESSIONS_PATH,
} from './protocol.js'

export interface HttpKvRpcOptions {
  /** Server name → HTTP address ("host:port", "http://host:port" or "https://host:port"). */
  readonly endpoints: Readonly<Record<string, string>>
  /** Redirects followed to addresses not in `endpoints`. Default 3. */
  readonly maxRedirects?: number
  /**
   * Use HTTPS: "host:port" endpoints become https://. `ca`: the PEM CA certificate(s) to trust
   * (the cluster's `tls.caFile`); absent: the system's trusted CAs.
   */
  readonly tls?: KvRpcTlsOption
}

interface HttpAnswer {
  readonly status: number
  /** The Location header of a redirect (only read for 3xx answers). */
  readonly location: string | undefined
  /** The Raftkit-Leader header (only read for 503 answers). */
  readonly leader: string | undefined
  readonly body: string
}

/** One server (or redirect target) and its connections. */
interface Origin {
  /** "http://host:port" */
  readonly origin: string
  /** "host:port" as URL.host gives it (no default port), for messages and matching. */
  readonly host: string
  readonly hostname: string
  readonly secure: boolean
  /** Its connections, created as needed (at most CONNECTIONS_PER_SERVER). */
  readonly connections: Connection[]
}

interface Connection {
  readonly client: Client
  /** Requests given to it and not yet settled. */
  inFlight: number
}

const MAX_REPLY_BYTES = 64 * 1024 * 1024
/** Connections kept per server: one per concurrent request, as node:http's Agent did. */
const CONNECTIONS_PER_SERVER = 16

export class HttpKvRpc implements KvRpcNetwork {
  /** By endpoint name. */
  private readonly endpoints = new Map<string, Origin>()
  /** By origin, endpoints and redirect targets; every pool here is closed by close(). */
  private readonly origins = new Map<string, Origin>()
  private readonly maxRedirects: number
  private readonly connect: { ca: string | Buffer | Array<string | Buffer> } | undefined
  private closed = false

  constructor(options: HttpKvRpcOptions) {
    const tls = options.tls
    for (const [name, address] of Object.entries(options.endpoints))
      this.endpoints.set(name, this.originOf(toBaseUrl(address, tls !== undefined)))
    this.maxRedirects = options.maxRedirects ?? 3
    this.connect = tlsConnectOptions(tls)
  }

  /** Names of the endpoints, for KvClient's `servers`. */
  get servers(): string[] {
    return [...this.endpoints.keys()]
  }

  async call(_from: string, to: string, request: KvRequest, timeoutMs: number): Promise<KvReply> {
    const base = this.endpoints.get(to)
    if (!base) throw new TimeoutError(`unknown server ${to}`)
    let origin = base
    let method: Dispatcher.HttpMethod = 'GET'
    let headers: string[] | undefined
    let body: string | undefined
    let path: string
    if (request.type === 'open') {
      path = SESSIONS_PATH
      method = 'POST'
    } else {
      const key = encodeURIComponent(request.key)
      path = `${KV_PATH}${key}${request.type === 'append' ? APPEND_SUFFIX : ''}`
    }
    if (request.type === 'put' || request.type === 'append') {
      method = request.type === 'put' ? 'PUT' : 'POST'
      headers = [CLIENT_ID_HEADER, request.clientId, REQUEST_SEQ_HEADER, String(request.seq)]
      body = request.value
    }
    const deadline = Date.now() + timeoutMs
    for (let hops = 0; ; hops++) {
      const left = hops === 0 ? timeoutMs : deadline - Date.now()
      const answer = await this.send(origin, path, method, headers, body, left)
      if (answer.status === 503 && answer.leader !== undefined && this.endpoints.has(answer.leader))
        return { ok: false, error: 'WRONG_LEADER', leaderHint: answer.leader }
      if (answer.status !== 307) return toReply(request, answer)
      if (answer.location === undefined)
        return { ok: false, error: 'WRONG_LEADER', leaderHint: null }
      const target = new URL(answer.location, `${origin.origin}${path}`)
      const known = this.nameOf(target.host)
      if (known !== undefined) return { ok: false, error: 'WRONG_LEADER', leaderHint: known }
      if (hops >= this.maxRedirects) return { ok: false, error: 'WRONG_LEADER', leaderHint: null }
      origin = this.originOf(target)
      path = `${target.pathname}${target.search}`
    }
  }

  /** GET of a JSON document (e.g. /v1/status) from one endpoint. */
  async getJson(to: string, path: string, timeoutMs: number): Promise<unknown> {
    const base = this.endpoints.get(to)
    if (!base) throw new TimeoutError(`unknown server ${to}`)
    const url = new URL(path, `${base.origin}/`)
    const target = url.origin === base.origin ? base : this.originOf(url)
    const answer = await this.send(
      target,
      `${url.pathname}${url.search}`,
      'GET',
      undefined,
      undefined,
      timeoutMs,
    )
    if (answer.status !== 200)
      throw new Error(`${to}: HTTP ${answer.status}: ${answer.body.slice(0, 200)}`)
    return JSON.parse(answer.body) as unknown
  }

  /** Closes every kept-alive connection; requests under way reject with TimeoutError. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const o of this.origins.values())
      for (const c of o.connections.splice(0))
        // destroy() closes the socket and fails its requests at once; its promise only
        // reports that it is done.
        c.client.destroy().catch(() => undefined)
  }

  private nameOf(host: string): string | undefined {
    for (const [name, o] of this.endpoints) if (o.host === host) return name
    return undefined
  }

  /** The Origin of `url` (made once per origin). */
  private originOf(url: URL): Origin {
    const existing = this.origins.get(url.origin)
    if (existing) return existing
    const o: Origin = {
      origin: url.origin,
      host: url.host,
      hostname: url.hostname,
      secure: url.protocol === 'https:',
      connections: [],
    }
    this.origins.set(url.origin, o)
    return o
  }

  /** An idle connection to `o`, a new one, or (all 16 busy) the least busy one. */
  private connectionTo(o: Origin): Connection {
    const all = o.connections
    let best: Connection | undefined
    for (const c of all) {
      if (c.inFlight === 0) return c
      if (best === undefined || c.inFlight < best.inFlight) best = c
    }
    if (best !== undefined && all.length >= CONNECTIONS_PER_SERVER) return best
    const c: Connection = {
      client: new Client(o.origin, {
        pipelining: 1,
        ...(o.secure && this.connect ? { connect: this.connect } : {}),
      }),
      inFlight: 0,
    }
    all.push(c)
    return c
  }

  private send(
    origin: Origin,
    path: string,
    method: Dispatcher.HttpMethod,
    headers: string[] | undefined,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<HttpAnswer> {
    if (this.closed) return Promise.reject(new TimeoutError('the HTTP client was closed'))
    if (timeoutMs <= 0) return Promise.reject(new TimeoutError('no time left for the request'))
    const connection = this.connectionTo(origin)
    return new Promise<HttpAnswer>((resolve, reject) => {
      const exchange = new Exchange(origin, connection, timeoutMs, resolve, reject)
      connection.client.dispatch(
        body === undefined
          ? { path, method, headers: headers ?? null }
          : { path, method, headers: headers ?? null, body },
        exchange,
      )
    })
  }
}

/**
 * One request's handler (undici's dispatch handler interface): collects the answer, owns the
 * request's timer, and settles its promise exactly once.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private status = 0
  private location: string | undefined = undefined
  private leader: string | undefined = undefined
  private first: Buffer | undefined = undefined
  private rest: Buffer[] | undefined = undefined
  private size = 0
  private settled = false
  private abort: ((err?: Error) => void) | undefined = undefined
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly origin: Origin,
    private readonly connection: Connection,
    private readonly timeoutMs: number,
    private readonly resolve: (a: HttpAnswer) => void,
    private readonly reject: (e: Error) => void,
  ) {
    connection.inFlight++
    this.timer = setTimeout(onTimeout, timeoutMs, this)
  }

  timedOut(): void {
    if (this.settled) return
    const e = new TimeoutError(`no answer from ${this.origin.host} within ${this.timeoutMs} ms`)
    this.fail(e)
    // Drops the connection (as node:http's req.destroy() did), so that a late answer cannot be
    // taken for the next request's. Not yet on a connection: the request is dropped when it
    // gets one (onConnect).
    this.abort?.(e)
  }

  onConnect(abort: (err?: Error) => void): void {
    // Too late: undici fails the request without writing it and keeps the connection.
    if (this.settled) throw new TimeoutError('the request timed out before it was sent')
    this.abort = abort
  }

  onHeaders(status: number, headers: Buffer[]): boolean {
    this.status = status
    if (status >= 300 && status < 400) this.location = headerValue(headers, 'location')
    else if (status === 503) this.leader = headerValue(headers, LEADER_HEADER)
    return true
  }

  onData(chunk: Buffer): boolean {
    this.size += chunk.length
    if (this.size > MAX_REPLY_BYTES) {
      const e = new TimeoutError(`no answer from ${this.origin.host}: reply too large`)
      this.fail(e)
      this.abort?.(e)
      return false
    }
    if (this.first === undefined) this.first = chunk
    else (this.rest ??= []).push(chunk)
    return true
  }

  onComplete(): void {
    if (this.settled) return
    this.settled = true
    this.connection.inFlight--
    clearTimeout(this.timer)
    const first = this.first
    let body = ''
    if (first !== undefined)
      body =
        this.rest === undefined
          ? first.toString('utf8')
          : Buffer.concat([first, ...this.rest]).toString('utf8')
    this.resolve({ status: this.status, location: this.location, leader: this.leader, body })
  }

  onError(e: Error): void {
    if (this.settled) return
    const code = (e as { code?: unknown }).code
    // A request undici refuses to send (e.g. a header value with a newline): not a lost
    // request, so no retry can help; passed on as it is.
    if (code === 'UND_ERR_INVALID_ARG') return this.fail(e)
    this.fail(
      (this.origin.secure ? tlsFailure(this.origin.host, this.origin.hostname, e) : undefined) ??
        new TimeoutError(`no answer from ${this.origin.host}: ${e.message}`),
    )
  }

  private fail(e: Error): void {
    if (this.settled) return
    this.settled = true
    this.connection.inFlight--
    clearTimeout(this.timer)
    this.reject(e)
  }
}

function onTimeout(exchange: Exchange): void {
  exchange.timedOut()
}

/** The value of header `name` (lower case) in undici's raw [name, value, ...] list. */
function headerValue(raw: Buffer[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2)
    if ((raw[i] as Buffer).toString('latin1').toLowerCase() === name)
      return (raw[i + 1] as Buffer).toString('latin1')
  return undefined
}

function toBaseUrl(address: string, tls: boolean): URL {
  const url = new URL(
    /^https?:\/\//i.test(address) ? address : `${tls ? 'https' : 'http'}://${address}`,
  )
  url.pathname = '/'
  return url
}
