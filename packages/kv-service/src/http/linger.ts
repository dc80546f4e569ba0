/**
 * The lingering close of a connection whose request body was refused before it had all
 * arrived (413, 503 BUSY, 408): the answer goes out with `connection: close`, the node ends
 * its side, then reads and discards what the client is still sending, for at most LINGER_MS,
 * before it closes the socket.
 *
 * Closing at once would leave the client's unread bytes in the node's receive queue, and the
 * kernel answers a close with unread data by a reset, which can erase the answer before the
 * client reads it (the "TCP reset problem", RFC 9112 §9.6; seen as a client that gets no
 * status at all while it is still uploading). Nothing read while lingering is kept (Node's
 * parser drops a refused body's bytes), and the socket is one of http.maxConnections all the
 * while: the bound only limits how long a hostile client can keep it (as Apache's and nginx's
 * lingering close, bounded in time only).
 */
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'

/** Longest time a refused connection is read after its answer. */
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
 * answer: called before the answer is sent. Node's HTTP server closes a `connection: close` response's socket with
 * `destroySoon()`; this socket's own `destroySoon` lingers instead, and is idempotent (a
 * second call, e.g. from the client-error handler when the client ends mid-body, changes
 * nothing).
 */
export function lingerOnClose(req: IncomingMessage): void {
  const socket = req.socket
  closing.add(socket)
  let started = false
  socket.destroySoon = (): void => {
    if (started) return
    started = true
    linger(socket, req)
  }
}

function linger(socket: Socket, req: IncomingMessage): void {
  if (socket.destroyed) return
  const close = (): void => {
    clearTimeout(timer)
    socket.destroy()
  }
  const timer = setTimeout(close, LINGER_MS)
  socket.once('close', () => clearTimeout(timer))
  // The client ended its side (it saw ours end) or finished the body: nothing is left unread.
  socket.once('end', close)
  req.once('end', close)
  // The body's bytes still pass through Node's parser; flowing with no listener, they are
  // dropped (a paused request would make Node stop reading the socket).
  req.resume()
  socket.end()
}
