/**
 * The HTTP server of a sharded node (node:http, no framework). The key/value routes keep
 * kv-service's contract (http/protocol.ts), so `KvClient` + `HttpKvRpc` and the `raftkit`
 * client commands work against any node:
 *
 *   GET  /v1/kv/<key>          200 + the value; 404 KEY_NOT_FOUND when it is missing
 *   PUT  /v1/kv/<key>          the body is the value; 204 once applied by the shard's group
 *   POST /v1/kv/<key>/append   appends the body; 204
 *   POST /v1/sessions          201 {"clientId"}: a fresh id, stamped and signed (session-ids.ts;
 *                              sessions are per shard, created by the first write)
 *   GET  /v1/shard/config      the node's cached configuration (JSON; ?fresh=1 asks first)
 *   GET  /v1/status            per hosted group: Raft state, configuration, shards (JSON)
 *   GET  /metrics              Prometheus text, per group
 *   POST /v1/shard/rpc/<name>  controller / group / clerk traffic (msgpack, cluster secret)
 *   POST /v1/admin/faults      fault injection on the peer transport (cluster secret; the
 *                              chaos monkey's partitions: they cut the Raft traffic of every
 *                              group between the nodes, not this HTTP API's forwarding/RPC)
 *
 * A node answers for every key: the router forwards the operation to the group that serves
 * its shard (whichever node hosts it), so a client that knows one node still works. Writes may
 * carry `Raftkit-Client-Id` + `Raftkit-Request-Seq`: a retry with the same pair runs at most
 * once, across migrations too, while the session is alive in the shard (it expires after
 * `sessionExpiryEntries` idle entries of the group's log). A write of an id no node issued, or
 * of an expired session, is refused with 410 SESSION_EXPIRED and not run. Without the headers
 * every write gets a fresh issued id (the node's own retries are deduplicated, the client's
 * are not).
 *
 * With `tls` the API is HTTPS (node:https, the node's certificate); a client that fails the
 * handshake (plain HTTP, a certificate it does not trust) is dropped, logged at debug.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { HttpLimits, TransportFaultControls } from '@raftkit/kv-service'
import {
  APPEND_SUFFIX,
  FaultAdmin,
  HttpError,
  CLIENT_ID_HEADER,
  HTTP_ERRORS,
  KV_PATH,
  METRICS_PATH,
  REQUEST_SEQ_HEADER,
  SESSIONS_PATH,
  STATUS_PATH,
} from '@raftkit/kv-service'
import type { HttpErrorCode } from '@raftkit/kv-service'
import type { Logger } from '@raftkit/raft-core'
import type { HttpShardRpc } from '../net/rpc-http-client.js'
import { RPC_PATH } from '../net/rpc-protocol.js'
import { readBounded, sendJsonError, serveRpc } from '../net/rpc-route.js'
import type { RouteReply, ShardRouter } from './router.js'
import { issueSessionId, sessionStamp } from './session-ids.js'
import type { HostedGroup } from './status.js'
import { metricsText, nodeStatus } from './status.js'

export const CONFIG_PATH = '/v1/shard/config'

export interface ShardHttpOptions {
  readonly id: string
  readonly host: string
  readonly port: number
  readonly secret: string
  readonly rpc: HttpShardRpc
  readonly router: ShardRouter
  readonly groups: () => readonly HostedGroup[]
  readonly maxKeyBytes: number
  readonly maxValueBytes: number
  /** How long a client operation may take, forwarding and retries included. */
  readonly requestTimeoutMs: number
  readonly limits: HttpLimits
  readonly logger: Logger
  /** Enables POST /v1/admin/faults: the peer transport's controls and the cluster's node ids. */
  readonly faults?: { readonly controls: TransportFaultControls; readonly nodes: readonly string[] }
  /** Serve HTTPS with this PEM certificate (chain) and key. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer }
}

const FAULTS_PATH = '/v1/admin/faults'

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function fail(res: ServerResponse, code: HttpErrorCode, message: string): void {
  sendJsonError(res, HTTP_ERRORS[code], code, message)
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

export class ShardHttpServer {
  private readonly server: Server
  private readonly requests: Record<string, number> = {}
  private stopping = false
  private readonly faultAdmin: FaultAdmin | undefined

  private constructor(private readonly o: ShardHttpOptions) {
    const serverOptions = {
      headersTimeout: o.limits.headersTimeoutMs,
      requestTimeout: o.limits.requestTimeoutMs,
      keepAliveTimeout: o.limits.keepAliveTimeoutMs,
    }
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.dispatch(req, res).catch((e: unknown) => {
        o.logger.error('request failed', { url: (req.url ?? '').slice(0, 200), error: String(e) })
        fail(res, 'INTERNAL', 'internal error')
      })
    }
    if (o.tls) {
      const server = createHttpsServer(
        { cert: o.tls.cert, key: o.tls.key, ...serverOptions },
        handler,
      )
      server.on('tlsClientError', (e: Error) =>
        o.logger.debug('TLS handshake failed', { error: e.message }),
      )
      this.server = server
    } else this.server = createServer(serverOptions, handler)
    this.server.maxConnections = o.limits.maxConnections
    const faults = o.faults
    this.faultAdmin = faults
      ? new FaultAdmin({
          secret: o.secret,
          faults: faults.controls,
          self: () => o.id,
          members: () => faults.nodes,
          logger: o.logger,
          bodyLimits: { timeoutMs: o.limits.bodyTimeoutMs },
        })
      : undefined
  }

  static async start(o: ShardHttpOptions): Promise<ShardHttpServer> {
    const s = new ShardHttpServer(o)
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject)
      s.server.listen({ host: o.host, port: o.port, exclusive: true }, () => {
        s.server.off('error', reject)
        resolve()
      })
    })
    return s
  }

  get address(): string {
    const a = this.server.address() as AddressInfo
    return `${a.address}:${a.port}`
  }

  /** New requests get 503 STOPPED (the listener stays open until close()). */
  stopAccepting(): void {
    this.stopping = true
  }

  close(): Promise<void> {
    this.stopping = true
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }

  private count(route: string): void {
    this.requests[route] = (this.requests[route] ?? 0) + 1
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    if (this.stopping) return fail(res, 'STOPPED', 'the node is stopping')
    if (path.startsWith(RPC_PATH)) {
      this.count('rpc')
      return serveRpc(req, res, path, {
        rpc: this.o.rpc,
        secret: this.o.secret,
        logger: this.o.logger,
        bodyTimeoutMs: this.o.limits.bodyTimeoutMs,
      })
    }
    if (path.startsWith(KV_PATH)) return this.kv(req, res, path)
    if (path === FAULTS_PATH && req.method === 'POST' && this.faultAdmin) {
      this.count('faults')
      try {
        return await this.faultAdmin.handle(req, res)
      } catch (e) {
        if (!(e instanceof HttpError)) throw e
        return sendJsonError(res, e.status, e.code, e.message)
      }
    }
    const get = req.method === 'GET' || req.method === 'HEAD'
    if (path === SESSIONS_PATH && req.method === 'POST') {
      this.count('session')
      return sendJson(res, 201, { clientId: issueSessionId(this.o.secret) })
    }
    if (path === CONFIG_PATH && get) {
      this.count('config')
      if (url.includes('fresh=1') || this.o.router.config.num === 0)
        await this.o.router.refresh().catch(() => undefined)
      return sendJson(res, 200, this.o.router.config)
    }
    if (path === STATUS_PATH && get) {
      this.count('status')
      return sendJson(res, 200, this.status())
    }
    if (path === METRICS_PATH && get) {
      this.count('metrics')
      const text = metricsText(this.status(), { requests: this.requests, rpcCalls: 0 })
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      return void res.end(text)
    }
    return fail(res, 'NOT_FOUND', `no route ${req.method ?? ''} ${path.slice(0, 200)}`)
  }

  private status(): ReturnType<typeof nodeStatus> {
    return nodeStatus(this.o.id, this.o.router.config, this.o.groups())
  }

  private async kv(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const append = path.endsWith(APPEND_SUFFIX)
    const method = req.method ?? ''
    const op = method === 'GET' && !append ? 'get' : method === 'PUT' && !append ? 'put' : null
    const kind = append && method === 'POST' ? 'append' : op
    if (kind === null) return fail(res, 'METHOD_NOT_ALLOWED', `${method} is not allowed here`)
    this.count(kind)
    let key: string
    try {
      key = decodeURIComponent(
        path.slice(KV_PATH.length, append ? -APPEND_SUFFIX.length : undefined),
      )
    } catch {
      return fail(res, 'BAD_KEY', 'the key is not percent-encoded UTF-8')
    }
    if (key.length === 0) return fail(res, 'EMPTY_KEY', 'the key must not be empty')
    if (Buffer.byteLength(key) > this.o.maxKeyBytes)
      return fail(res, 'KEY_TOO_LARGE', `the key is over ${this.o.maxKeyBytes} bytes`)
    let value = ''
    let clientId = issueSessionId(this.o.secret)
    let since = sessionStamp(this.o.secret, clientId) as number
    let seq = 1
    if (kind !== 'get') {
      const id = req.headers[CLIENT_ID_HEADER]
      const seqText = req.headers[REQUEST_SEQ_HEADER]
      if (id !== undefined || seqText !== undefined) {
        if (typeof id !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(id))
          return fail(res, 'BAD_SESSION', 'Raftkit-Client-Id must be 1-128 printable characters')
        if (typeof seqText !== 'string' || !/^[1-9]\d{0,15}$/.test(seqText))
          return fail(res, 'BAD_SESSION', 'Raftkit-Request-Seq must be a positive integer')
        const stamp = sessionStamp(this.o.secret, id)
        if (stamp === undefined)
          return fail(
            res,
            'SESSION_EXPIRED',
            'this client id was not issued by the cluster (POST /v1/sessions): the request was not executed',
          )
        clientId = id
        since = stamp
        seq = Number(seqText)
      }
      const body = await readBounded(req, res, this.o.maxValueBytes, this.o.limits.bodyTimeoutMs)
      if (!body) return
      try {
        value = UTF8.decode(body)
      } catch {
        return fail(res, 'BAD_VALUE', 'the value is not valid UTF-8')
      }
      if (value.length === 0) return fail(res, 'EMPTY_VALUE', 'the value must not be empty')
    }
    const reply = await this.o.router.route(
      { type: 'op', op: kind, key, value, clientId, seq, since },
      this.o.requestTimeoutMs,
    )
    this.answer(res, kind, reply)
  }

  private answer(res: ServerResponse, kind: 'get' | 'put' | 'append', r: RouteReply): void {
    if (r.ok) {
      if (kind !== 'get') {
        res.writeHead(204)
        return void res.end()
      }
      if (!r.value) return fail(res, 'KEY_NOT_FOUND', 'no value for this key')
      res.writeHead(200, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(r.value),
      })
      return void res.end(r.value)
    }
    switch (r.error) {
      case 'BAD_REQUEST':
        return fail(res, 'BAD_REQUEST', r.message)
      case 'CONFLICT':
        return fail(res, 'REQUEST_CONFLICT', r.message)
      case 'SESSION_EXPIRED':
        return fail(
          res,
          'SESSION_EXPIRED',
          "this client session expired in the key's shard (shard.sessionExpiryEntries idle entries): the request was not executed now, and whether an earlier attempt of it ran is unknown; read the key, then open a new session (POST /v1/sessions) and continue from seq 1",
        )
      case 'STOPPED':
        return fail(res, 'STOPPED', 'the node is stopping')
      case 'TIMEOUT':
      case 'NOT_READY':
      case 'WRONG_GROUP':
      case 'WRONG_LEADER':
        return fail(res, 'TIMEOUT', 'no group answered in time; the write may or may not have run')
    }
  }
}
