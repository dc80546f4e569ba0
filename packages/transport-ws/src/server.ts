/**
 * The listening side: an http(s) server with a ws WebSocketServer. Every inbound connection
 * must pass the handshake (known node id, addressed to this node, same protocol version,
 * proof of the cluster secret) before its frames count as Raft messages. A connection that
 * fails is closed with a reason code and logged; every other connection carries on.
 *
 * Before the handshake completes a connection is held under Admission's caps and deadline and
 * may send only handshake-sized frames (HANDSHAKE_MAX_FRAME_BYTES, refused from the frame
 * header, before the payload is buffered); it gets `maxMessageBytes` once authenticated.
 */
import { createServer as createHttpServer } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import type { Clock, Logger, NodeId } from '@raftkit/raft-core'
import { Admission } from './admission.js'
import type { PendingConnection } from './admission.js'
import { closeReason, frameBytes, setFrameLimit } from './bytes.js'
import {
  CloseCode,
  HANDSHAKE_MAX_FRAME_BYTES,
  MAX_MALFORMED_MESSAGES,
  PROTOCOL_VERSION,
  UPGRADE_MAX_HEADER_BYTES,
} from './constants.js'

/** Bytes read (and discarded) from a refused unauthenticated connection before it is paused. */
const REFUSED_READ_BYTES = 64 * 1024
import { decodeFrame, encodeFrame, newNonce, proof, proofMatches } from './handshake.js'
import type { Session } from './handshake.js'
import type { TlsMaterial } from './options.js'
import { FIRST, RepeatLog, leftOutNote } from './repeat-log.js'

export interface ListenerContext {
  readonly self: NodeId
  readonly secret: string
  readonly clock: Clock
  readonly logger: Logger
  readonly maxMessageBytes: number
  readonly tls: TlsMaterial | undefined
  /** Whether `id` is a member this node accepts connections from. */
  knows(id: NodeId): boolean
  /** A peer finished the handshake. */
  authenticated(peer: NodeId): void
  /** One frame from an authenticated peer. Returns an error text when it was malformed. */
  receive(peer: NodeId, bytes: Uint8Array): string | null
}

interface Inbound {
  readonly ws: WebSocket
  /** The socket ws reads from (TLS or plain): paused when an unauthenticated one is refused. */
  readonly socket: Duplex
  readonly remote: string
  stage: 'hello' | 'auth' | 'open' | 'closing'
  peer: NodeId | null
  session: Session | null
  malformed: number
  /** Admission bookkeeping while unauthenticated (null once authenticated). */
  pending: PendingConnection | null
}

export class Listener {
  private server: Server | null = null
  private wss: WebSocketServer | null = null
  private readonly connections = new Set<Inbound>()
  /** The authenticated connection of each peer (a newer one replaces an older one). */
  private readonly byPeer = new Map<NodeId, Inbound>()
  private closing: Promise<void> | null = null
  private readonly admission: Admission
  /** Repeated refusals of one unknown node id (a removed node still running): one line a minute. */
  private readonly unknownIds: RepeatLog

  constructor(private readonly ctx: ListenerContext) {
    this.admission = new Admission(ctx.clock, ctx.logger)
    this.unknownIds = new RepeatLog(() => ctx.clock.now())
  }

  /** Starts listening; resolves with the bound port. */
  async start(host: string, port: number): Promise<number> {
    const tls = this.ctx.tls
    const limits = { maxHeaderSize: UPGRADE_MAX_HEADER_BYTES }
    const server = tls
      ? createHttpsServer({ ...limits, cert: tls.cert, key: tls.key })
      : createHttpServer(limits)
    server.on('connection', (socket: Socket) => {
      if (this.closing !== null) socket.destroy()
      else this.admission.admit(socket)
    })
    server.on('request', (_req, res) => {
      res
        .writeHead(426, { 'content-type': 'text/plain', connection: 'close' })
        .end('raftkit peers speak WebSocket\n')
    })
    this.server = server
    const wss = new WebSocketServer({
      server,
      // Every connection starts with the handshake limit; setFrameLimit raises it after auth.
      maxPayload: HANDSHAKE_MAX_FRAME_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
    })
    this.wss = wss
    wss.on('connection', (ws, req) => this.accept(ws, req))
    wss.on('error', (e) => this.ctx.logger.warn('websocket server error', { error: e.message }))
    try {
      await this.bind(server, host, port)
    } catch (e) {
      wss.close()
      this.wss = null
      this.server = null
      throw e
    }
    return (server.address() as AddressInfo).port
  }

  private bind(server: Server, host: string, port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => {
        server.off('listening', onListening)
        reject(e)
      }
      const onListening = (): void => {
        server.off('error', onError)
        server.on('error', (e) => this.ctx.logger.warn('server error', { error: e.message }))
        resolve()
      }
      server.once('error', onError)
      server.once('listening', onListening)
      server.listen(port, host)
    })
  }

  /** Authenticated inbound connections. */
  get authenticatedCount(): number {
    return this.byPeer.size
  }

  /** Inbound connections that have not authenticated yet, and those refused over the caps. */
  get unauthenticated(): { readonly open: number; readonly refused: number } {
    return { open: this.admission.count, refused: this.admission.refused }
  }

  /** Closes the connection of a peer that is no longer a member. */
  forget(peer: NodeId): void {
    const c = this.byPeer.get(peer)
    if (c) this.reject(c, CloseCode.UnknownNode, 'no longer a member of this cluster')
  }

  /** Closes the server and every connection, clears every timer. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose()
    return this.closing
  }

  private async doClose(): Promise<void> {
    this.admission.closeAll()
    for (const c of this.connections) c.ws.terminate()
    this.connections.clear()
    this.byPeer.clear()
    this.wss?.close()
    const server = this.server
    if (server === null || !server.listening) return
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    if (this.closing !== null) {
      ws.terminate()
      return
    }
    const pending = this.admission.find(req.socket)
    if (pending === undefined) {
      // Its deadline passed during the upgrade (or it was never admitted): it is being destroyed.
      ws.terminate()
      return
    }
    const c: Inbound = {
      ws,
      socket: req.socket,
      remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
      stage: 'hello',
      peer: null,
      session: null,
      malformed: 0,
      pending,
    }
    this.connections.add(c)
    pending.onDeadline = () => {
      if (c.stage === 'closing') return false
      this.reject(c, CloseCode.HandshakeTimeout, 'handshake not finished in time')
      return true
    }
    ws.on('message', (data, isBinary) => this.frame(c, frameBytes(data), isBinary))
    ws.on('error', (e) => {
      // ws reports oversize frames and protocol violations here, then closes the socket.
      if (c.pending !== null) {
        // ws has queued its close frame and resumes the socket on the next tick to drain it;
        // instead, an unauthenticated socket is read no further (see hangUp).
        const pending = c.pending
        setImmediate(() => this.hangUp(c.socket, pending))
      }
      this.ctx.logger[this.level(c, 'warn')]('closing inbound connection', {
        remote: c.remote,
        peer: c.peer,
        reason: e.message,
        ...('code' in e ? { code: (e as { code: unknown }).code } : {}),
      })
    })
    ws.on('close', () => this.closed(c))
  }

  private frame(c: Inbound, bytes: Uint8Array, isBinary: boolean): void {
    if (c.stage === 'closing') return
    if (!isBinary)
      return this.reject(c, CloseCode.Protocol, 'text frames are not part of the protocol')
    if (c.stage === 'open') {
      const error = this.ctx.receive(c.peer as NodeId, bytes)
      if (error === null) return
      c.malformed++
      this.ctx.logger.warn('dropped a malformed message', {
        peer: c.peer,
        remote: c.remote,
        error,
        count: c.malformed,
      })
      if (c.malformed >= MAX_MALFORMED_MESSAGES)
        this.reject(c, CloseCode.Malformed, `${c.malformed} malformed messages`)
      return
    }
    let frame
    try {
      frame = decodeFrame(bytes)
    } catch (e) {
      return this.reject(c, CloseCode.Protocol, (e as Error).message)
    }
    if (c.stage === 'hello') {
      if (frame.kind !== 'hello')
        return this.reject(c, CloseCode.Protocol, `expected hello, got ${frame.kind}`)
      if (frame.version !== PROTOCOL_VERSION)
        return this.reject(
          c,
          CloseCode.Version,
          `protocol version ${frame.version} is not supported (this node speaks ${PROTOCOL_VERSION})`,
        )
      if (frame.from === this.ctx.self || !this.ctx.knows(frame.from))
        return this.reject(c, CloseCode.UnknownNode, `unknown node id "${frame.from}"`, frame.from)
      if (frame.to !== this.ctx.self)
        return this.reject(
          c,
          CloseCode.WrongNode,
          `this is node "${this.ctx.self}", not "${frame.to}"`,
        )
      c.peer = frame.from
      c.session = {
        dialer: frame.from,
        listener: this.ctx.self,
        dialerNonce: frame.nonce,
        listenerNonce: newNonce(),
      }
      c.stage = 'auth'
      c.ws.send(encodeFrame({ kind: 'challenge', nonce: c.session.listenerNonce }))
      return
    }
    // stage 'auth'
    const session = c.session as Session
    if (frame.kind !== 'auth')
      return this.reject(c, CloseCode.Protocol, `expected auth, got ${frame.kind}`)
    if (!proofMatches(proof(this.ctx.secret, 'dialer', session), frame.proof))
      return this.reject(c, CloseCode.AuthFailed, 'authentication failed: wrong cluster secret')
    const peer = c.peer as NodeId
    if (!setFrameLimit(c.ws, this.ctx.maxMessageBytes))
      return this.reject(
        c,
        CloseCode.Protocol,
        'cannot raise the frame limit (ws internals changed)',
      )
    if (c.pending !== null) this.admission.authenticated(c.pending)
    c.pending = null
    c.stage = 'open'
    c.ws.send(encodeFrame({ kind: 'welcome', proof: proof(this.ctx.secret, 'listener', session) }))
    const previous = this.byPeer.get(peer)
    this.byPeer.set(peer, c)
    if (previous) this.reject(previous, CloseCode.Replaced, 'replaced by a newer connection')
    this.ctx.logger.info('peer connected', { peer, remote: c.remote })
    this.ctx.authenticated(peer)
  }

  /**
   * Closes one connection with a code and a reason, and logs why. Given `unknownId`, the line
   * is rate-limited per id (unknownIds): the first, then one a minute with the count of those
   * logged at debug only in between.
   */
  private reject(c: Inbound, code: number, reason: string, unknownId?: NodeId): void {
    if (c.stage === 'closing') return
    const repeat = unknownId === undefined ? FIRST : this.unknownIds.take(unknownId)
    const level =
      repeat === undefined ? 'debug' : this.level(c, code === CloseCode.Replaced ? 'info' : 'warn')
    this.ctx.logger[level](`closing inbound connection${leftOutNote(repeat)}`, {
      remote: c.remote,
      peer: c.peer,
      code,
      reason,
      ...(repeat !== undefined && repeat.leftOut > 0 ? { repeats: repeat.leftOut } : {}),
    })
    c.stage = 'closing'
    if (c.peer !== null && this.byPeer.get(c.peer) === c) this.byPeer.delete(c.peer)
    c.ws.close(code, closeReason(reason))
    if (c.pending !== null) this.hangUp(c.socket, c.pending)
  }

  /**
   * After the close frame of a refused unauthenticated connection: nothing more reaches ws (what
   * the peer sends next is discarded, and after REFUSED_READ_BYTES no longer read), our side is
   * ended (the close frame is flushed first, so the peer sees the reason and the end at once),
   * and the socket is destroyed when the peer ends too, or after a short grace.
   */
  private hangUp(socket: Duplex, pending: PendingConnection): void {
    socket.removeAllListeners('data')
    let budget = REFUSED_READ_BYTES
    socket.on('data', (chunk: Buffer) => {
      budget -= chunk.length
      if (budget <= 0) socket.pause()
    })
    socket.once('end', () => socket.destroy())
    socket.end()
    socket.resume()
    this.admission.closing(pending)
  }

  /** Unauthenticated parties cannot fill the log: their rejections are rate-limited to debug. */
  private level(c: Inbound, level: 'info' | 'warn'): 'info' | 'warn' | 'debug' {
    return c.pending === null || this.admission.mayLog() ? level : 'debug'
  }

  private closed(c: Inbound): void {
    c.pending = null
    this.connections.delete(c)
    if (c.peer !== null && this.byPeer.get(c.peer) === c) this.byPeer.delete(c.peer)
  }
}
