/**
 * Admission of inbound TCP connections before they have proven the cluster secret. Bounds what
 * an unauthenticated party can make a listener hold: at most MAX_UNAUTHENTICATED_CONNECTIONS
 * such connections in total and MAX_UNAUTHENTICATED_PER_ADDRESS per remote address (more are
 * destroyed on accept), each given PRE_AUTH_TIMEOUT_MS from TCP accept to finish the handshake
 * (HTTP upgrade included). A connection leaves this bookkeeping when it authenticates or closes.
 */
import type { Socket } from 'node:net'
import type { Clock, Logger, TimerHandle } from '@raftkit/raft-core'
import {
  MAX_UNAUTHENTICATED_CONNECTIONS,
  MAX_UNAUTHENTICATED_PER_ADDRESS,
  PRE_AUTH_CLOSE_GRACE_MS,
  PRE_AUTH_TIMEOUT_MS,
} from './constants.js'

/** Refusals are logged at most once per this interval (with how many there were). */
const REFUSAL_LOG_INTERVAL_MS = 10_000
/** Rejections of unauthenticated connections logged at their level per interval (then debug). */
const PRE_AUTH_LOGS_PER_INTERVAL = 20

/** One inbound connection that has not authenticated yet. */
export interface PendingConnection {
  readonly socket: Socket
  readonly address: string
  /** connectionKey() at accept (a closed socket no longer knows its remote address). */
  readonly key: string
  /** Called when the deadline passes; returns true if it sent a close frame (then a short grace). */
  onDeadline: (() => boolean) | null
  timer: TimerHandle | undefined
}

/** Connection key: remote address and port, the same on a TLS socket and the TCP under it. */
export function connectionKey(socket: { remoteAddress?: string; remotePort?: number }): string {
  return `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? '?'}`
}

export class Admission {
  private readonly pending = new Map<string, PendingConnection>()
  private readonly perAddress = new Map<string, number>()
  private logWindowStart = Number.NEGATIVE_INFINITY
  private logsInWindow = 0
  private refusedSinceLog = 0
  private lastRefusalLog = Number.NEGATIVE_INFINITY
  /** Connections refused over the caps since start. */
  refused = 0

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Unauthenticated connections held now. */
  get count(): number {
    return this.pending.size
  }

  /** A TCP connection was accepted: track it, or destroy it when a cap is reached. */
  admit(socket: Socket): void {
    const address = socket.remoteAddress ?? '?'
    const key = connectionKey(socket)
    const fromAddress = this.perAddress.get(address) ?? 0
    if (
      this.pending.size >= MAX_UNAUTHENTICATED_CONNECTIONS ||
      fromAddress >= MAX_UNAUTHENTICATED_PER_ADDRESS ||
      this.pending.has(key)
    ) {
      socket.destroy()
      this.refusal(address, fromAddress)
      return
    }
    const p: PendingConnection = { socket, address, key, onDeadline: null, timer: undefined }
    this.pending.set(key, p)
    this.perAddress.set(address, fromAddress + 1)
    p.timer = this.clock.setTimeout(() => this.expire(p), PRE_AUTH_TIMEOUT_MS)
    socket.once('close', () => this.release(p))
  }

  /** The pending entry of an upgraded socket (TLS or plain), if it is still unauthenticated. */
  find(socket: { remoteAddress?: string; remotePort?: number }): PendingConnection | undefined {
    return this.pending.get(connectionKey(socket))
  }

  /** The connection proved the secret: it no longer counts against the caps or the deadline. */
  authenticated(p: PendingConnection): void {
    this.release(p)
  }

  /** A pre-auth connection was refused with a close frame: destroy it if it lingers. */
  closing(p: PendingConnection): void {
    if (this.pending.get(p.key) !== p) return
    this.clock.clearTimeout(p.timer)
    p.onDeadline = null
    p.timer = this.clock.setTimeout(() => p.socket.destroy(), PRE_AUTH_CLOSE_GRACE_MS)
  }

  /** Whether one more rejection of an unauthenticated connection may be logged at warn. */
  mayLog(): boolean {
    const now = this.clock.now()
    if (now - this.logWindowStart >= REFUSAL_LOG_INTERVAL_MS) {
      this.logWindowStart = now
      this.logsInWindow = 0
    }
    return ++this.logsInWindow <= PRE_AUTH_LOGS_PER_INTERVAL
  }

  /** Destroys every unauthenticated connection and clears every timer. */
  closeAll(): void {
    for (const p of this.pending.values()) {
      this.release(p)
      p.socket.destroy()
    }
  }

  private expire(p: PendingConnection): void {
    p.timer = undefined
    const sentClose = p.onDeadline?.() ?? false
    if (sentClose) this.closing(p)
    else p.socket.destroy()
  }

  private release(p: PendingConnection): void {
    if (this.pending.get(p.key) !== p) return
    this.clock.clearTimeout(p.timer)
    p.timer = undefined
    p.onDeadline = null
    this.pending.delete(p.key)
    const left = (this.perAddress.get(p.address) ?? 1) - 1
    if (left <= 0) this.perAddress.delete(p.address)
    else this.perAddress.set(p.address, left)
  }

  private refusal(address: string, fromAddress: number): void {
    this.refused++
    this.refusedSinceLog++
    const now = this.clock.now()
    if (now - this.lastRefusalLog < REFUSAL_LOG_INTERVAL_MS) return
    this.lastRefusalLog = now
    this.logger.warn('refused inbound connections: too many unauthenticated connections', {
      refused: this.refusedSinceLog,
      lastAddress: address,
      unauthenticated: this.pending.size,
      fromThatAddress: fromAddress,
      maxTotal: MAX_UNAUTHENTICATED_CONNECTIONS,
      maxPerAddress: MAX_UNAUTHENTICATED_PER_ADDRESS,
    })
    this.refusedSinceLog = 0
  }
}
