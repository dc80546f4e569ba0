/**
 * The node:http (or, with TLS, node:https) server under KvHttpServer (server.ts), with the
 * connection bounds of limits.ts applied: header, request and keep-alive timeouts, how often
 * Node checks them, and the connection cap. Connections refused at the cap, failed TLS
 * handshakes and malformed or timed-out requests are answered where possible and logged at
 * debug, rate-limited (the client's trouble, not the node's). A request that arrives on a
 * connection the node is closing (linger.ts) is not handed on.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { HttpLimits, RateLimitedLog } from './limits.js'
import { isClosing, lingerSocket } from './linger.js'

/** A PEM certificate (chain) and key to serve HTTPS with. */
export interface ListenerTls {
  readonly cert: string | Buffer
  readonly key: string | Buffer
}

/**
 * Creates the (not yet listening) server that hands every request to `onRequest`, except one
 * pipelined behind an answer that closes its connection: RFC 9112 §9.6 forbids processing it
 * (its client was told "close" and may send it again elsewhere), so it is read and dropped.
 */
export function createListener(
  tls: ListenerTls | undefined,
  limits: HttpLimits,
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
  clientTrouble: RateLimitedLog,
): Server | HttpsServer {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (isClosing(req.socket)) req.resume()
    else onRequest(req, res)
  }
  let server: Server | HttpsServer
  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // How often Node checks those two timeouts (its default, 30 s, would let a slowloris
    // client hold a socket up to 30 s past headersTimeout).
    connectionsCheckingInterval: Math.max(25, Math.min(1000, limits.headersTimeoutMs / 4)),
  }
  if (tls) {
    const https = createHttpsServer({ cert: tls.cert, key: tls.key, ...serverOptions }, handler)
    // A client that fails the handshake (plain HTTP, an untrusted certificate) is dropped.
    https.on('tlsClientError', (e: Error) =>
      clientTrouble.log('TLS handshake failed', { error: e.message }),
    )
    server = https
  } else {
    server = createServer(serverOptions, handler)
  }
  server.maxConnections = limits.maxConnections
  // A client that sends its request and then closes its sending side (a TCP half-close, as
  // `nc -N` and HTTP/1.0-style tools do) still gets the answer: by default Node drops the
  // requests in flight and ends the socket at the client's end, which loses every answer that
  // comes later (a write waits for its commit). Allowed, the answers in flight go out and the
  // last one ends the socket; with none in flight it ends at once. (An instance property of
  // Node's http.Server since 0.x, not in its typings; http-half-close.spec.ts fails without it.)
  ;(server as { httpAllowHalfOpen?: boolean }).httpAllowHalfOpen = true
  server.on('drop', () =>
    clientTrouble.log('connection refused: http.maxConnections reached', {
      maxConnections: limits.maxConnections,
    }),
  )
  server.on('clientError', (e: NodeJS.ErrnoException, socket: Duplex) =>
    onClientError(clientTrouble, e, socket),
  )
  return server
}

/**
 * Malformed HTTP, oversized header blocks, header/request timeouts, resets: answered if
 * possible, with a lingering close (linger.ts), and logged at debug. Node calls this again for
 * every chunk it reads after a parse error, and when the client ends: once a socket is closing
 * (answered here or by io.ts), a further call only destroys it if the client reset it.
 */
function onClientError(
  clientTrouble: RateLimitedLog,
  e: NodeJS.ErrnoException,
  socket: Duplex,
): void {
  const s = socket as Socket
  if (isClosing(s)) {
    if (e.code === 'ECONNRESET') s.destroy()
    return
  }
  clientTrouble.log('bad or incomplete HTTP request', { code: e.code, error: e.message })
  if (!s.writable || e.code === 'ECONNRESET') {
    s.destroySoon()
    return
  }
  const status =
    e.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? '408 Request Timeout'
      : e.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : '400 Bad Request'
  // Nothing more of this connection is read: after a parse error Node's parser would fail
  // again on every chunk, as fast as the client sends.
  s.pause()
  s.write(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
  lingerSocket(s)
}

/** Binds `server` to host:port; resolves once the port is bound, rejects if it cannot be. */
export function listen(server: Server | HttpsServer, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port }, () => {
      server.off('error', reject)
      resolve()
    })
  })
}
