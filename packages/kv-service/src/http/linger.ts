/**
 * The lingering close of a connection whose request body was refused before it had all
 * arrived (413, 503 BUSY, 408): the answer goes out with `connection: close`, the node ends
 * its side, and keeps the socket until the client closes its own or LINGER_MS have passed.
 *
 * Closing at once would leave the client's unsent body in the node's receive queue, and the
 * kernel answers a close with unread data by a reset, which can erase the answer before the
 * client reads it (the "TCP reset problem", RFC 9112 §9.6; seen as a client that got no
 * status at all while it was still uploading: its next write failed on the reset and it closed
 * without reading). Lingering, the client has LINGER_MS to read the answer before any reset.
 * The node does not read on meanwhile (at most the request's stream buffer, then Node stops
 * reading the socket), so a lingering connection costs no memory or reading beyond what it
 * held, and it stays one of http.maxConnections.
 */
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'

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
 * response's socket with `destroySoon()`; this socket's own `destroySoon` lingers instead,
 * and is idempotent (a second call, e.g. from the client-error handler when the client ends
 * mid-body, changes nothing).
 */
export function lingerOnClose(req: IncomingMessage): void {
  const socket = req.socket
  closing.add(socket)
  // A request body nobody has read is "dumped" by Node once the answer is sent: read to its
  // end and dropped, at full speed, for as long as the client sends. Read and paused, it
  // takes at most its stream buffer, then Node stops reading the socket.
  req.pause()
  req.read(0)
  let started = false
  socket.destroySoon = (): void => {
    if (started) return
    started = true
    linger(socket)
  }
}

function linger(socket: Socket): void {
  if (socket.destroyed) return
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
