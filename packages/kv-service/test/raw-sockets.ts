/**
 * Raw TCP clients for the HTTP server's resource-bound tests (http-limits.spec.ts,
 * http-client-error.spec.ts): a connection that collects what the server sends, a bound on
 * waits, and the kernel's state of a connection (to tell a lingering close from a reset).
 */
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import type { Socket } from 'node:net'

export interface Client {
  readonly socket: Socket
  /** Resolves with everything the server sent once it closes the connection. */
  readonly closed: Promise<string>
}

/**
 * Connects to 127.0.0.1:`port`. With `paused`, the client reads nothing (not even into its
 * own buffers: what the server sends stays in the kernel) until `socket.resume()`.
 */
export function open(port: number, { paused = false } = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => (received += d))
    const closed = new Promise<string>((r) => socket.once('close', () => r(received)))
    socket.once('error', () => undefined) // a reset shows as a close
    socket.once('connect', () => {
      // Paused before Node's first read, which follows the 'connect' event.
      if (paused) socket.pause()
      resolve({ socket, closed })
    })
    socket.once('error', reject)
  })
}

/** Resolves with the value of `p`, or rejects after `ms` (a bound, not an assertion). */
export function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export const ESTABLISHED = '01'
export const CLOSE_WAIT = '08'
/**
 * The kernel's state of the IPv4 TCP connection from local port `local` to port `remote`
 * (/proc/net/tcp, hex: '01' ESTABLISHED, '08' CLOSE_WAIT), or 'gone' once it no longer exists.
 */
export function tcpState(local: number, remote: number): string {
  const hex = (port: number): string => `:${port.toString(16).toUpperCase().padStart(4, '0')}`
  for (const line of readFileSync('/proc/net/tcp', 'latin1').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f[1]?.endsWith(hex(local)) && f[2]?.endsWith(hex(remote))) return f[3] as string
  }
  return 'gone'
}

/**
 * Polls (every 20 ms, at most 10 s) until the connection from local port `local` to port
 * `remote` leaves ESTABLISHED; returns its state then (tcpState).
 */
export async function leftEstablished(local: number, remote: number): Promise<string> {
  let state = tcpState(local, remote)
  for (let i = 0; i < 500 && state === ESTABLISHED; i++) {
    await sleep(20)
    state = tcpState(local, remote)
  }
  return state
}
