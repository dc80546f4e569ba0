/**
 * The WebSocket RPC endpoint of a node (GET /v1/rpc, upgraded on the HTTP(S) server's own port,
 * so TLS and the connection limit are the HTTP server's): many key/value requests in flight per
 * connection, one binary frame each way per request, no per-request headers (frames:
 * ws-protocol.ts). Every request goes through the same checks and KvServer paths as the HTTP
 * API's (http/kv-checks.ts: the key/value/session limits, leadership — NOT_LEADER / NO_LEADER
 * with the leader's id and address), sessions issued by the server (OPEN), at-most-once writes,
 * ReadIndex reads. Writes need a session (no server-side session as for headerless HTTP writes).
 *
 * Bounds: a frame over the largest request (maxRequestFrame) closes the connection (1009)
 * before it is buffered; at most limits.rpcMaxInFlight requests are in flight per connection
 * (at the bound the socket is no longer read, so the client's sends back up into TCP; frames
 * already read past it are answered BUSY); while more than 1 MiB of answers wait for the client
 * to take them the socket is not read either and new frames are answered BUSY (so what one
 * connection holds is 1 MiB plus the answers of its requests in flight); over all connections
 * the node holds at most limits.rpcMaxUnsentBytes of untaken answers (plus one answer): a
 * connection with more than 1 MiB of its own that would take the total past it is dropped — a
 * burst of large answers a reading client takes a moment to read is not; a connection with nothing in flight and no traffic for
 * limits.rpcIdleTimeoutMs is closed (4000); an upgrade with an Origin header (a browser
 * page) is refused (403). A frame without an id closes the connection (1002); any other
 * malformed request is answered BAD_REQUEST. Requests are counted in the node's HTTP request
 * metrics as op "rpc-get", "rpc-put", "rpc-append" or "rpc-session" with the status the HTTP
 * API would have answered.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { NodeId } from '@raftkit/raft-core'
import type { WebSocket } from 'ws'
import { WebSocketServer } from 'ws'
import { MalformedRequestError } from '../errors.js'
import type { KvReply } from '../rpc.js'
import type { KvServer } from '../server.js'
import { HttpError, tooLarge } from './io.js'
import type { HttpLimits, RateLimitedLog } from './limits.js'
import type { NodeMetrics } from './metrics.js'
import { HTTP_ERRORS, ISSUED_ID_PREFIX, LEADER_HEADER } from './protocol.js'
import { failureOf } from './replies.js'
import { checkKeySize, checkSession, decodeValue, requireLeader } from './kv-checks.js'
import { target } from './request.js'
import type { RawRpcRequest, RpcErrorCode } from './ws-protocol.js'
import {
  MAX_FRAME_HEADER,
  RPC_CLOSE,
  RPC_ERRORS,
  RPC_OP,
  RPC_PATH,
  RpcFrameError,
  RpcRequestError,
  decodeRequest,
  encodeError,
  encodeOk,
  maxRequestFrame,
} from './ws-protocol.js'

export interface KvWsEndpointOptions {
  readonly kv: KvServer
  readonly httpAddresses: Readonly<Record<NodeId, string>>
  readonly maxKeyBytes: number
  readonly maxValueBytes: number
  readonly limits: Pick<HttpLimits, 'rpcMaxInFlight' | 'rpcIdleTimeoutMs' | 'rpcMaxUnsentBytes'>
  readonly metrics: Pick<NodeMetrics, 'observe'>
  /** Client misbehaviour (refused upgrades, bad frames): rate-limited. */
  readonly trouble: RateLimitedLog
  readonly logError: (message: string, fields: Record<string, unknown>) => void
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
/**
 * Answers queued for a client beyond which its connection is no longer read (until its socket
 * drains). Above the socket's high-water mark, so that 'drain' follows.
 */
const MAX_UNSENT_BYTES = 1024 * 1024
const METRIC_OP = ['rpc-other', 'rpc-get', 'rpc-put', 'rpc-append', 'rpc-session'] as const
const OK_STATUS = [0, 200, 204, 204, 201] as const

/** One connection's state. */
interface Peer {
  readonly ws: WebSocket
  readonly socket: Duplex
  inFlight: number
  paused: boolean
  corked: boolean
}

export class KvWsEndpoint {
  private readonly wss: WebSocketServer
  private readonly peers = new Set<Peer>()
  private readonly maxFrame: number
  private draining = false

  constructor(private readonly options: KvWsEndpointOptions) {
    this.maxFrame = maxRequestFrame(options.maxKeyBytes, options.maxValueBytes)
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: this.maxFrame,
    })
    this.wss.on('headers', (headers: string[]) =>
      headers.push(`${MAX_FRAME_HEADER}: ${this.maxFrame}`),
    )
  }

  /** The HTTP server's 'upgrade' event. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = target(req)
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    let refusal: string | undefined
    // Node hands every request with an Upgrade header here once an 'upgrade' listener exists:
    // other protocols (e.g. curl --http2's h2c) are refused, not served as HTTP/1.1.
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') refusal = '400 Bad Request'
    else if (path !== RPC_PATH) refusal = '404 Not Found'
    else if (req.headers.origin !== undefined) refusal = '403 Forbidden'
    else if (this.draining) refusal = '503 Service Unavailable'
    if (refusal !== undefined) {
      this.options.trouble.log('upgrade refused', { path: url.slice(0, 200), status: refusal })
      socket.on('error', () => undefined)
      socket.end(`HTTP/1.1 ${refusal}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
      return
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, socket))
  }

  /** Closes idle connections and every other one once its requests are answered. */
  drain(): void {
    this.draining = true
    for (const p of this.peers) if (p.inFlight === 0) p.ws.close(1001, 'the node is stopping')
  }

  /** Drops every connection at once. */
  close(): void {
    this.draining = true
    for (const p of this.peers) p.ws.terminate()
  }

  private connected(ws: WebSocket, socket: Duplex): void {
    const peer: Peer = { ws, socket, inFlight: 0, paused: false, corked: false }
    this.peers.add(peer)
    ws.on('message', (data: Buffer, binary: boolean) => this.onFrame(peer, data, binary))
    ws.on('error', (e: Error) =>
      this.options.trouble.log('RPC connection failed', {
        error: e.message,
        code: (e as { code?: unknown }).code,
      }),
    )
    ws.on('close', () => this.peers.delete(peer))
    socket.on('drain', () => this.flowControl(peer))
    // The socket's timeout fires after each idle period (any read or write restarts it); a
    // listener of its own, as setTimeout's callback would be called once only.
    ;(socket as Socket).setTimeout(this.options.limits.rpcIdleTimeoutMs)
    socket.on('timeout', () => {
      if (peer.inFlight === 0) ws.close(RPC_CLOSE.IDLE, 'idle')
    })
  }

  private onFrame(peer: Peer, data: Buffer, binary: boolean): void {
    // Frames after a close (ours or the client's) are not requests any more.
    if (peer.ws.readyState !== 1) return
    let raw: RawRpcRequest
    try {
      if (!binary) throw new RpcFrameError('a text frame')
      raw = decodeRequest(data)
    } catch (e) {
      if (e instanceof RpcRequestError) {
        const frame = encodeError(e.id, 'BAD_REQUEST', e.message)
        this.answer(peer, 0, performance.now(), frame, 400, false)
        return
      }
      const reason = e instanceof Error ? e.message : String(e)
      this.options.trouble.log('RPC frame refused; closing the connection', { reason })
      peer.ws.close(RPC_CLOSE.PROTOCOL, `not a request: ${reason}`.slice(0, 120))
      return
    }
    const started = performance.now()
    const id = raw.id
    const max = this.options.limits.rpcMaxInFlight
    if (peer.corked && peer.socket.writableLength > MAX_UNSENT_BYTES) uncork(peer)
    if (peer.inFlight >= max || this.draining || peer.socket.writableLength > MAX_UNSENT_BYTES) {
      const code = this.draining ? 'STOPPED' : 'BUSY'
      const message = this.draining
        ? 'this node is shutting down; try another node'
        : peer.inFlight >= max
          ? `too many requests in flight on this connection (http.rpcMaxInFlight = ${max}); retry shortly`
          : 'too many answers not yet taken by this client; read them, then retry'
      this.answer(peer, raw.op, started, encodeError(id, code, message), HTTP_ERRORS[code], false)
      return
    }
    peer.inFlight++
    this.flowControl(peer)
    try {
      this.dispatch(peer, raw, started)
    } catch (e) {
      this.failed(peer, raw.op, id, started, e)
    }
  }

  private dispatch(peer: Peer, raw: RawRpcRequest, started: number): void {
    const id = raw.id
    const op = raw.op
    requireLeader(this.options.kv, (leader) => this.leaderError(leader))
    if (op === RPC_OP.OPEN) {
      const clientId = `${ISSUED_ID_PREFIX}${randomBytes(16).toString('base64url')}`
      this.options.kv.open(clientId).then(
        (reply) => this.replied(peer, op, id, started, reply, clientId),
        (e: unknown) => this.failed(peer, op, id, started, e),
      )
      return
    }
    const key = this.key(raw.key)
    if (op === RPC_OP.GET) {
      this.options.kv.getThen(key, (reply) => this.replied(peer, op, id, started, reply, undefined))
      return
    }
    const r = raw
    const clientId = r.clientId.toString('latin1')
    checkSession(clientId, r.seq, 'the client id', 'the request seq')
    if (r.value.length > this.options.maxValueBytes)
      throw tooLarge(r.value.length, this.options.maxValueBytes)
    const value = decodeValue(r.value)
    const type = op === RPC_OP.PUT ? 'put' : 'append'
    this.options.kv[type](key, value, clientId, r.seq).then(
      (reply) => this.replied(peer, op, id, started, reply, undefined),
      (e: unknown) => this.failed(peer, op, id, started, e),
    )
  }

  private key(bytes: Buffer): string {
    checkKeySize(bytes.length, this.options.maxKeyBytes)
    try {
      return UTF8.decode(bytes)
    } catch {
      throw new HttpError('BAD_KEY', 'the key must be valid UTF-8')
    }
  }

  private leaderError(leader: NodeId | null): HttpError {
    if (leader === null)
      return new HttpError(
        'NO_LEADER',
        'no leader is known right now (an election may be under way); retry shortly',
      )
    const known = this.options.httpAddresses[leader] !== undefined
    return new HttpError(
      known ? 'NOT_LEADER' : 'NO_LEADER',
      `not the leader; the leader is ${leader}`,
      { [LEADER_HEADER]: leader },
    )
  }

  private replied(
    peer: Peer,
    op: number,
    id: number,
    started: number,
    reply: KvReply,
    issued: string | undefined,
  ): void {
    if (!reply.ok)
      return this.failed(
        peer,
        op,
        id,
        started,
        failureOf(reply, (l) => this.leaderError(l)),
      )
    const value = issued ?? (op === RPC_OP.GET ? reply.value : '')
    this.answer(peer, op, started, encodeOk(id, value), OK_STATUS[op] ?? 200, true)
  }

  /** Answers a failure: an HttpError as its code, anything else INTERNAL (and logged). */
  private failed(peer: Peer, op: number, id: number, started: number, e: unknown): void {
    let frame: Buffer
    let status: number
    if (e instanceof HttpError && e.code in RPC_ERRORS) {
      const leader = e.headers[LEADER_HEADER]
      const hint =
        leader === undefined
          ? undefined
          : { id: leader, address: this.options.httpAddresses[leader] ?? '' }
      frame = encodeError(id, e.code as RpcErrorCode, e.message, hint)
      status = e.status
    } else if (e instanceof MalformedRequestError) {
      frame = encodeError(id, 'BAD_REQUEST', e.message)
      status = 400
    } else {
      this.options.logError('RPC request failed', { error: String(e) })
      frame = encodeError(id, 'INTERNAL', 'internal error; see the server log')
      status = 500
    }
    this.answer(peer, op, started, frame, status, true)
  }

  /**
   * Sends an answer (dropped when the connection is gone) and counts it. `held`: the request
   * was counted in flight. Answers made in one tick (e.g. those of all the writes one applied
   * batch settles) go out in one socket write.
   */
  private answer(
    peer: Peer,
    op: number,
    started: number,
    frame: Buffer,
    status: number,
    held: boolean,
  ): void {
    if (held) peer.inFlight--
    this.options.metrics.observe(
      METRIC_OP[op] ?? 'rpc-other',
      status,
      (performance.now() - started) / 1000,
    )
    if (peer.ws.readyState !== 1) return
    // What is held by the cork is not a client's backlog: hand it to the kernel first.
    if (peer.corked && peer.socket.writableLength > MAX_UNSENT_BYTES) uncork(peer)
    if (
      peer.socket.writableLength > MAX_UNSENT_BYTES &&
      this.unsentBytes() > this.options.limits.rpcMaxUnsentBytes
    ) {
      this.options.trouble.log('RPC answers not taken over http.rpcMaxUnsentBytes; disconnected', {
        unsentBytes: peer.socket.writableLength,
      })
      peer.ws.terminate()
      return
    }
    if (!peer.corked) {
      peer.corked = true
      peer.socket.cork()
      process.nextTick(uncork, peer)
    }
    peer.ws.send(frame)
    this.flowControl(peer)
    if (held && this.draining && peer.inFlight === 0) peer.ws.close(1001, 'the node is stopping')
  }

  /** Answers written and not yet taken by their clients, over every connection. */
  private unsentBytes(): number {
    let total = 0
    for (const p of this.peers) total += p.socket.writableLength
    return total
  }

  /**
   * Reads the connection only while it has fewer than rpcMaxInFlight requests in flight and
   * less than MAX_UNSENT_BYTES of answers its client has not taken yet (a client that sends
   * but does not read cannot make the node queue answers without end).
   */
  private flowControl(peer: Peer): void {
    const stop =
      peer.inFlight >= this.options.limits.rpcMaxInFlight ||
      peer.socket.writableLength > MAX_UNSENT_BYTES
    if (stop === peer.paused) return
    peer.paused = stop
    if (stop) peer.ws.pause()
    else peer.ws.resume()
  }
}

function uncork(peer: Peer): void {
  peer.corked = false
  peer.socket.uncork()
}
