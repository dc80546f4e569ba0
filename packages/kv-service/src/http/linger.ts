/**
 * The lingering close of a connection whose answer closes it while the client may still be
 * sending: a request body refused before it had all arrived (413, 503 BUSY, 408: io.ts) and a
 * request Node's parser refused (400 malformed, 431 header block too large, 408 headers or
 * request too slow: listener.ts). The answer goes out with `connection: close`, the node ends
 * its side, and keeps the socket until the client closes its own or LINGER_MS have passed.
 *
 * Closing at once would leave the client's unsent bytes in the node's receive queue, and the
 * kernel answers a close with unread data by a reset, which can erase the answer before the
 * client reads it (the "TCP reset problem", RFC 9112 §9.6; seen as a client that got no
 * status at all while it was still uploading: its next write failed on the reset and it closed
 * without reading). Lingering, the client has LINGER_MS to read the answer before any reset.
 * The node does not read on meanwhile (a refused body: at most the request's stream buffer,
 * then Node stops reading the socket; a refused request: nothing), so a lingering connection
 * costs no memory or reading beyond what it held, and it stays one of http.maxConnections.
 */
import type { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'

/** Longest time a refused connection is kept open after its answer. */
export const LINGER_MS = 2000

/** Sockets whose answer closes them: no further request on them is processed (listener.ts). */
const closing = new WeakSet<object>()

/**
 * Whether `socket` carries (or has sent) an answer that closes it. (A pipelined WebSocket
 * upgrade needs no check: ws refuses a socket whose writable side has ended.)
 */
export function isClosing(socket: object): boolean {
  return closing.has(socket)
}

/**
 * Marks `req`'s socket closing (isClosing) and makes it linger when it is closed after the
 * answer: called before the answer is sent. Node's HTTP server closes a `connection: close`
 * response's socket with `destroySoon()`; this socket's own `destroySoon` lingers instead.
 */
export function lingerOnClose(req: IncomingMessage): void {
  const socket = req.socket
  closing.add(socket)
  // A request body nobody has read is "dumped" by Node once the answer is sent: read to its
  // end and dropped, at full speed, for as long as the client sends. Read and paused, it
  // takes at most its stream buffer, then Node stops reading the socket.
  req.pause()
  req.read(0)
  socket.destroySoon = (): void => lingerSocket(socket)
}

/** Sockets that linger (lingerSocket has been called). */
const lingering = new WeakSet<object>()

/**
 * Marks `socket` closing (isClosing), ends it after what has been written to it, and destroys
 * it when the client ends its side (it read ours) or after LINGER_MS. The caller stops the
 * reading (lingerOnClose: the request's buffer; a refused request: the socket's). Idempotent:
 * a second call, e.g. from the client-error handler when the client ends mid-body, changes
 * nothing. A socket whose client has ended already has nothing left unread: closed at once.
 */
export function lingerSocket(socket: Socket): void {
  closing.add(socket)
  if (lingering.has(socket) || socket.destroyed) return
  lingering.add(socket)
  if (socket.readableEnded) {
    Socket.prototype.destroySoon.call(socket)
    return
  }
  const close = (): void => {
    clearTimeout(timer)
    socket.destroy()
  }
  const timer = setTimeout(close, LINGER_MS)
  socket.once('close', () => clearTimeout(timer))
  // The client ended its side (it saw ours end): nothing is left unread.
  socket.once('end', close)
  socket.end()
}
