/**
 * The HTTP API of one node (node:http, no framework):
 *
 *   GET  /v1/kv/<key>          200 + the value as the body; 404 when the key is missing
 *   PUT  /v1/kv/<key>          the body is the value; 204 once committed and applied
 *   POST /v1/kv/<key>/append   appends the body; 204
 *   POST /v1/sessions          opens a client session: 201 {"clientId": "<server-issued id>"}
 *   GET  /v1/status            this node's Raft status (JSON)
 *   GET  /metrics              Prometheus metrics
 *   GET  /v1/rpc               upgraded to the WebSocket RPC (ws-server.ts): the key/value
 *                              requests as binary frames, many in flight per connection
 *   POST /v1/admin/faults      fault injection on the peer transport (needs the cluster secret)
 *   GET  /v1/admin/backup      a backup file, from the leader after a ReadIndex (http/backup.ts;
 *                              needs the cluster secret)
 *   /v1/admin/members[/...], POST /v1/admin/transfer-leader
 *                              membership changes and leadership transfer (http/members.ts;
 *                              need the cluster secret)
 *
 * Keys are percent-decoded path segments. Writes may carry `Raftkit-Client-Id` (an id from
 * POST /v1/sessions) and `Raftkit-Request-Seq` (1, 2, 3, ...): a retry with the same pair is
 * executed at most once. A write of an unknown session (never opened, or expired) is refused
 * with 410 SESSION_EXPIRED and never run: the server cannot know whether an earlier attempt
 * ran, so it must not open the session and run it (a retried first write would run twice).
 * Without the headers the server writes under a session of its own. A follower answers 307 to the leader (503 while no
 * leader is known). Bad requests (empty or oversized key or value, bad headers, wrong method,
 * unknown path) are refused before anything is proposed.
 *
 * With `tls` the API is served over HTTPS (node:https) and redirects point at https:// URLs.
 *
 * This file routes requests and holds the handlers; its leaves: server-options.ts (the options
 * and their check), listener.ts (the node:http(s) server and its connection bounds), answer.ts
 * (failure answers and request counting), redirect.ts (where a follower sends a request).
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger, NodeId, Status } from '@raftkit/raft-core'
import { silentLogger } from '@raftkit/raft-core'
import type { KvReply } from '../rpc.js'
import type { KvServer } from '../server.js'
import type { FailureSinks, Op } from './answer.js'
import { answerFailure, observe } from './answer.js'
import type { AdminEndpoints } from './admin.js'
import { adminEndpoints } from './admin.js'
import { MembersAdmin } from './members.js'
import { HttpError, allow, readBodyNow, send, sendJson, tooLarge } from './io.js'
import type { HttpLimits } from './limits.js'
import { BodyBudget, DEFAULT_HTTP_LIMITS, RateLimitedLog } from './limits.js'
import { createListener, listen } from './listener.js'
import { NodeMetrics } from './metrics.js'
import type { NodeStatus, OpenSessionBody } from './protocol.js'
import { InternalSession } from './internal-session.js'
import { failureOf } from './replies.js'
import { checkKeySize, decodeValue, requireLeader } from './kv-checks.js'
import { redirectTo } from './redirect.js'
import { declaredLength, parseSessionHeaders, pathOf, target } from './request.js'
import type { KvHttpServerOptions } from './server-options.js'
import { checkServerOptions } from './server-options.js'
import { statusBody } from './status.js'
import { KvWsEndpoint } from './ws-server.js'
import { APPEND_SUFFIX, BACKUP_PATH, ISSUED_ID_PREFIX, KV_PATH, SESSIONS_PATH } from './protocol.js'

export type { TransportFaultControls } from './faults.js'
export type { KvHttpServerOptions } from './server-options.js'

/** The methods each route allows (made once, not per request). */
const ONLY_GET = ['GET'] as const
const ONLY_POST = ['POST'] as const
const GET_OR_PUT = ['GET', 'PUT'] as const

export class KvHttpServer {
  readonly metrics: NodeMetrics
  private readonly server: Server | HttpsServer
  private readonly kv: KvServer
  private readonly options: KvHttpServerOptions
  private readonly logger: Logger
  /** Where a request's failure is logged and counted (answer.ts). */
  private readonly sinks: FailureSinks
  /** The admin endpoints (admin.ts): faults, members, backup. */
  private readonly admin: AdminEndpoints
  private readonly limits: HttpLimits
  private readonly budget: BodyBudget
  /** Client misbehaviour (aborts, bad HTTP, refused connections): debug, rate-limited. */
  private readonly clientTrouble: RateLimitedLog
  /** Writes of requests without session headers. */
  private readonly internal: InternalSession
  /** GET /v1/rpc, the WebSocket RPC (ws-server.ts), on this server's port. */
  private readonly rpc: KvWsEndpoint
  private closing: Promise<void> | undefined

  private constructor(options: KvHttpServerOptions) {
    this.options = options
    this.kv = options.kv
    this.logger = options.logger ?? silentLogger
    this.internal = new InternalSession(options.kv)
    this.limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits }
    this.budget = new BodyBudget(this.limits.maxPendingBodyBytes)
    this.clientTrouble = new RateLimitedLog(this.logger, 'debug')
    this.admin = adminEndpoints(options, {
      self: () => this.status()?.id ?? '',
      redirect: (req, leader) => this.redirect(req, leader),
      logger: this.logger,
      bodyLimits: this.bodyLimits(),
    })
    this.metrics = new NodeMetrics({
      status: () => this.kv.raftStatus(),
      kv: () => this.kv.stats,
      ...options.counters,
    })
    this.sinks = { metrics: this.metrics, clientTrouble: this.clientTrouble, logger: this.logger }
    const limits = this.limits
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.dispatch(req, res)
    this.server = createListener(options.tls, limits, handler, this.clientTrouble)
    this.rpc = new KvWsEndpoint({
      kv: options.kv,
      httpAddresses: options.httpAddresses,
      maxKeyBytes: options.maxKeyBytes,
      maxValueBytes: options.maxValueBytes,
      limits,
      metrics: this.metrics,
      trouble: this.clientTrouble,
      logError: (message, fields) => this.logger.error(message, fields),
    })
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.rpc.upgrade(req, socket, head),
    )
  }

  /** Bytes of unfinished request bodies held right now (at most http.maxPendingBodyBytes). */
  get pendingBodyBytes(): number {
    return this.budget.bytes
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: KvHttpServerOptions): Promise<KvHttpServer> {
    checkServerOptions(options)
    const s = new KvHttpServer(options)
    await listen(s.server, options.host ?? '127.0.0.1', options.port ?? 0)
    return s
  }

  /** `https` when serving TLS, else `http`. */
  get scheme(): 'http' | 'https' {
    return this.options.tls ? 'https' : 'http'
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port
  }

  /** "host:port" actually bound. */
  get address(): string {
    const a = this.server.address() as AddressInfo
    return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`
  }

  /** Stops accepting connections; requests under way may still finish (see close()). */
  stopAccepting(): void {
    if (this.server.listening) this.server.close()
    this.server.closeIdleConnections()
    this.rpc.drain()
  }

  /** Stops accepting, drops every connection and resolves once the server is closed. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (!this.server.listening) {
        this.server.closeAllConnections()
        this.rpc.close()
        resolve()
        return
      }
      this.server.close(() => resolve())
      this.server.closeAllConnections()
      this.rpc.close()
    })
    return this.closing
  }

  // ---- routing -----------------------------------------------------------------------------

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now()
    const url = target(req)
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    if (path.startsWith(KV_PATH)) this.routeKv(req, res, path, started)
    else this.route(req, res, path, started)
  }

  /**
   * The key/value routes, without a routing closure or promise per request: the handler
   * answers its own failures and counts its request (handleGet, handleWrite).
   */
  private routeKv(req: IncomingMessage, res: ServerResponse, path: string, started: number): void {
    let op: 'get' | 'put' | 'append' | 'other' = 'other'
    let key: string
    try {
      let rest = path.slice(KV_PATH.length)
      if (rest.endsWith(APPEND_SUFFIX)) {
        rest = rest.slice(0, -APPEND_SUFFIX.length)
        op = 'append'
        allow(req, ONLY_POST)
      } else {
        op = req.method === 'PUT' ? 'put' : 'get'
        allow(req, GET_OR_PUT)
      }
      key = this.parseKey(rest)
    } catch (e) {
      answerFailure(this.sinks, req, res, e, op, started)
      return
    }
    if (op === 'get') void this.handleGet(req, res, key, started)
    else void this.handleWrite(req, res, op === 'put' ? 'put' : 'append', key, started)
  }

  /** Every other route. */
  private route(req: IncomingMessage, res: ServerResponse, path: string, started: number): void {
    let op: Op = 'other'
    const route = async (): Promise<void> => {
      switch (path) {
        case SESSIONS_PATH:
          op = 'session'
          allow(req, ONLY_POST)
          return this.handleOpenSession(req, res)
        case '/v1/status':
          op = 'status'
          allow(req, ONLY_GET)
          return send(res, 200, JSON.stringify(this.statusJson(), null, 2) + '\n', 'json')
        case '/metrics':
          op = 'metrics'
          allow(req, ONLY_GET)
          return send(res, 200, await this.metrics.metrics(), this.metrics.contentType)
        case '/v1/admin/faults':
          op = 'faults'
          allow(req, ONLY_POST)
          if (!this.admin.faults)
            throw new HttpError('NOT_FOUND', 'fault injection is not enabled on this node')
          return this.admin.faults.handle(req, res)
        case BACKUP_PATH:
          op = 'backup'
          if (!this.admin.backup) throw new HttpError('NOT_FOUND', 'backups need a cluster secret')
          return this.admin.backup.handle(req, res)
        default:
          if (this.admin.members && MembersAdmin.handles(path)) {
            op = 'members'
            return this.admin.members.handle(req, res, path)
          }
          throw new HttpError('NOT_FOUND', `no such path: ${path.slice(0, 200)}`)
      }
    }
    route().then(
      () => observe(this.metrics, op, res, started),
      (e: unknown) => answerFailure(this.sinks, req, res, e, op, started),
    )
  }

  private parseKey(raw: string): string {
    let key: string
    try {
      key = decodeURIComponent(raw)
    } catch {
      throw new HttpError('BAD_KEY', 'the key is not valid percent-encoded UTF-8')
    }
    checkKeySize(Buffer.byteLength(key), this.options.maxKeyBytes)
    return key
  }

  // ---- key/value ---------------------------------------------------------------------------

  /**
   * Answers its own failures and counts the request; the read's answer comes back in a
   * callback (KvServer.getThen: no promise or async frame per read here or there).
   */
  private handleGet(req: IncomingMessage, res: ServerResponse, key: string, started: number): void {
    try {
      this.requireLeader(req)
    } catch (e) {
      answerFailure(this.sinks, req, res, e, 'get', started)
      return
    }
    this.kv.getThen(key, (reply) => this.answerGet(req, res, key, started, reply))
  }

  /** Never throws (it runs in KvServer's callbacks): a failure to answer is logged. */
  private answerGet(
    req: IncomingMessage,
    res: ServerResponse,
    key: string,
    started: number,
    reply: KvReply,
  ): void {
    try {
      try {
        if (!reply.ok) throw this.failure(req, reply)
        if (reply.value === '')
          throw new HttpError('KEY_NOT_FOUND', `no value for key ${JSON.stringify(key)}`)
        send(res, 200, reply.value, 'text')
      } catch (e) {
        answerFailure(this.sinks, req, res, e, 'get', started)
        return
      }
      observe(this.metrics, 'get', res, started)
    } catch (e) {
      this.logger.error('cannot answer a read', { path: pathOf(req), error: String(e) })
      res.destroy()
    }
  }

  /** Never rejects: answers its own failures, and counts the request. */
  private async handleWrite(
    req: IncomingMessage,
    res: ServerResponse,
    op: 'put' | 'append',
    key: string,
    started: number,
  ): Promise<void> {
    try {
      const session = parseSessionHeaders(req)
      const declared = declaredLength(req)
      if (declared !== undefined && declared > this.options.maxValueBytes)
        throw tooLarge(declared, this.options.maxValueBytes)
      this.requireLeader(req)
      // readBody's wait for the body, inline (io.ts, readBodyNow); one options object of one
      // shape per write (no spreads of temporary objects).
      await Promise.resolve()
      const read = readBodyNow(req, {
        limit: this.options.maxValueBytes,
        onTooLarge: tooLarge,
        budget: this.budget,
        timeoutMs: this.limits.bodyTimeoutMs,
        declaredLength: declared,
      })
      const body = Buffer.isBuffer(read) ? read : await read
      const value = decodeValue(body)
      const reply = session
        ? await this.kv[op](key, value, session.clientId, session.seq)
        : await this.internal.write(op, key, value)
      if (!reply.ok) throw this.failure(req, reply)
      res.writeHead(204).end()
    } catch (e) {
      answerFailure(this.sinks, req, res, e, op, started)
      return
    }
    observe(this.metrics, op, res, started)
  }

  /**
   * POST /v1/sessions: opens a session under a new server-issued id (128 random bits, so no
   * other client can guess it) and answers 201 with it. Each call issues a new id and proposes
   * it once, so a session id is never opened twice: a retry after expiry cannot revive it.
   */
  private async handleOpenSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requireLeader(req)
    const clientId = `${ISSUED_ID_PREFIX}${randomBytes(16).toString('base64url')}`
    const reply = await this.kv.open(clientId)
    if (!reply.ok) throw this.failure(req, reply)
    const body: OpenSessionBody = { clientId }
    sendJson(res, 201, body)
  }

  private statusJson(): NodeStatus {
    const s = this.status()
    if (!s) throw new HttpError('STOPPED', 'this node is shutting down')
    return statusBody(s, this.kv.stats, this.options.httpAddresses)
  }

  private bodyLimits(): { budget: BodyBudget; timeoutMs: number } {
    return { budget: this.budget, timeoutMs: this.limits.bodyTimeoutMs }
  }

  // ---- leadership --------------------------------------------------------------------------

  private status(): Status | undefined {
    return this.kv.raftStatus()
  }

  /** Throws the redirect to the leader unless this node currently believes it leads. */
  private requireLeader(req: IncomingMessage): void {
    requireLeader(this.kv, (leader) => this.redirect(req, leader))
  }

  private redirect(req: IncomingMessage, leader: NodeId | null): HttpError {
    return redirectTo(target(req), leader, this.options.httpAddresses, this.scheme)
  }

  private failure(req: IncomingMessage, reply: KvReply & { ok: false }): HttpError {
    return failureOf(reply, (leader) => this.redirect(req, leader))
  }
}
