/**
 * Resource bounds of the HTTP server: how many client connections it keeps, how long a client
 * may take to send its headers and its body, and how many bytes of unfinished request bodies
 * it holds in total. With them a client — or 10 000 — can make a node hold at most
 * `maxConnections` sockets and `maxPendingBodyBytes` of body, each for at most
 * `headersTimeoutMs` + `bodyTimeoutMs` (slowloris-proof), whatever it sends. A WebSocket RPC
 * connection (ws-server.ts) counts as one of the connections and holds at most
 * `rpcMaxInFlight` requests and one largest request frame being read; untaken answers over all
 * of them are bounded by `rpcMaxUnsentBytes`.
 *
 * Also the rate limiter used to log client misbehaviour (aborted requests, malformed HTTP,
 * failed admin authentications) without letting a client fill the logs.
 */
import type { Logger } from '@raftkit/raft-core'

export interface HttpLimits {
  /** Client connections kept open at once; more are closed as they arrive. */
  readonly maxConnections: number
  /** Time to receive a request's headers (Node's headersTimeout). */
  readonly headersTimeoutMs: number
  /** Time to receive a request's body once its headers are in; then 408 and the socket closes. */
  readonly bodyTimeoutMs: number
  /** Time to receive a whole request (Node's requestTimeout); > headersTimeoutMs. */
  readonly requestTimeoutMs: number
  /** Idle time before a kept-alive connection is closed. */
  readonly keepAliveTimeoutMs: number
  /** Bytes of request bodies held, over all unfinished requests; beyond: 503 BUSY. */
  readonly maxPendingBodyBytes: number
  /**
   * WebSocket RPC (/v1/rpc): requests in flight per connection; at the bound the node stops
   * reading the connection until one is answered (frames it had already read: BUSY).
   */
  readonly rpcMaxInFlight: number
  /** WebSocket RPC: a connection with nothing in flight and no traffic this long is closed. */
  readonly rpcIdleTimeoutMs: number
  /**
   * WebSocket RPC: bytes of answers written and not yet taken by their clients, over all
   * connections; a connection with more than 1 MiB of its own that takes the total past it is
   * dropped.
   */
  readonly rpcMaxUnsentBytes: number
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  maxConnections: 1024,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxPendingBodyBytes: 64 * 1024 * 1024,
  rpcMaxInFlight: 1024,
  rpcIdleTimeoutMs: 300_000,
  rpcMaxUnsentBytes: 256 * 1024 * 1024,
})

/** Checks a full set of limits; the message names the offending field. */
export function checkHttpLimits(limits: HttpLimits): void {
  for (const [field, v] of Object.entries(limits))
    if (!(Number.isSafeInteger(v) && (v as number) > 0))
      throw new RangeError(`http.${field} must be a positive integer, got ${String(v)}`)
  if (limits.requestTimeoutMs <= limits.headersTimeoutMs)
    throw new RangeError('http.requestTimeoutMs must be greater than http.headersTimeoutMs')
}

/** The bytes of unfinished bodies, over all requests. */
export class BodyBudget {
  private held = 0
  constructor(readonly limit: number) {}

  get bytes(): number {
    return this.held
  }

  /** Takes `n` bytes if they fit. */
  take(n: number): boolean {
    if (this.held + n > this.limit) return false
    this.held += n
    return true
  }

  give(n: number): void {
    this.held -= n
  }
}

/**
 * Logs at most `burst` messages per `intervalMs` for one kind of event, then one summary with
 * how many were left out. Never logs above the level it is given.
 */
export class RateLimitedLog {
  private windowStart = -Infinity
  private count = 0
  private dropped = 0

  constructor(
    private readonly logger: Logger,
    private readonly level: 'debug' | 'info' | 'warn',
    private readonly burst = 10,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  log(message: string, fields: Record<string, unknown>): void {
    const t = this.now()
    if (t - this.windowStart >= this.intervalMs) {
      if (this.dropped > 0)
        this.logger[this.level](`${message} (${this.dropped} more not logged)`, {
          dropped: this.dropped,
        })
      this.windowStart = t
      this.count = 0
      this.dropped = 0
    }
    if (this.count < this.burst) {
      this.count++
      this.logger[this.level](message, fields)
    } else this.dropped++
  }
}
