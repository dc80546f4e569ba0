/**
 * One outbound connection to one peer: dialed lazily on the first message, authenticated with
 * the handshake, kept open, and redialed with exponential backoff and jitter after it drops.
 * Messages wait in a bounded queue while the connection is down or the peer reads slowly; on
 * overflow the oldest is dropped (Raft resends what matters). Only this node sends on it.
 */
import { WebSocket } from 'ws'
import type { Clock, Logger, NodeId, Rng, TimerHandle } from '@raftkit/raft-core'
import { closeReason, frameBytes } from './bytes.js'
import {
  CloseCode,
  HANDSHAKE_MAX_FRAME_BYTES,
  HANDSHAKE_TIMEOUT_MS,
  PROTOCOL_VERSION,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
  SEND_WINDOW,
} from './constants.js'
import type { Counters } from './counters.js'
import { Fifo } from './counters.js'
import { decodeFrame, encodeFrame, newNonce, proof, proofMatches } from './handshake.js'
import type { Session } from './handshake.js'

export interface LinkContext {
  readonly self: NodeId
  readonly secret: string
  readonly clock: Clock
  readonly rng: Rng
  readonly logger: Logger
  readonly maxMessageBytes: number
  readonly maxQueuedMessages: number
  readonly maxQueuedBytes: number
  /** Extra trusted certificate authority for wss:// peers (e.g. a self-signed cluster CA). */
  readonly ca: Buffer | undefined
  readonly counters: Counters
}

export type LinkState = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed'

/** The masking key of every frame this node sends on its peer links (see dial). */
function zeroMask(mask: Buffer): void {
  mask.fill(0)
}

export class PeerConnection {
  private state: LinkState = 'idle'
  private ws: WebSocket | null = null
  private readonly queue = new Fifo<Uint8Array>()
  /** Bytes of the frames in `queue`. */
  private queuedBytes = 0
  private inflight = 0
  /** Bumped whenever the socket is dropped, so callbacks of an old socket are ignored. */
  private generation = 0
  private attempts = 0
  private retryTimer: TimerHandle | undefined
  private handshakeTimer: TimerHandle | undefined
  private lastError = ''
  private lastReport = ''

  constructor(
    readonly peer: NodeId,
    private url: string,
    private readonly ctx: LinkContext,
  ) {}

  get isOpen(): boolean {
    return this.state === 'open'
  }

  get queued(): number {
    return this.queue.length
  }

  get address(): string {
    return this.url
  }

  /** Queues one encoded message and gets it moving (dialing if need be). */
  enqueue(frame: Uint8Array): void {
    if (this.state === 'closed') {
      this.ctx.counters.dropped++
      return
    }
    // Oldest first, until both bounds hold with the new frame (it is never larger than
    // maxMessageBytes; a frame larger than maxQueuedBytes on its own waits alone).
    while (
      this.queue.length > 0 &&
      (this.queue.length >= this.ctx.maxQueuedMessages ||
        this.queuedBytes + frame.byteLength > this.ctx.maxQueuedBytes)
    ) {
      this.queuedBytes -= (this.queue.shift() as Uint8Array).byteLength
      this.ctx.counters.dropped++
    }
    this.queue.push(frame)
    this.queuedBytes += frame.byteLength
    if (this.state === 'idle') this.dial()
    else if (this.state === 'open') this.pump()
  }

  /** The peer just proved it is up (it connected to us): skip any remaining backoff. */
  peerSeen(): void {
    if (this.state === 'backoff') {
      this.ctx.clock.clearTimeout(this.retryTimer)
      this.retryTimer = undefined
      this.attempts = 0
      this.state = 'idle'
      if (this.queue.length > 0) this.dial()
    } else if (this.state === 'idle') {
      this.attempts = 0
    }
  }

  /** The peer moved: drop the current socket and dial the new address when there is traffic. */
  setUrl(url: string): void {
    if (url === this.url || this.state === 'closed') return
    this.url = url
    this.dropSocket()
    this.attempts = 0
    this.state = 'idle'
    if (this.queue.length > 0) this.dial()
  }

  /** Stops for good: timers cleared, socket terminated, queue discarded. Idempotent. */
  close(): void {
    if (this.state === 'closed') return
    this.dropSocket()
    this.state = 'closed'
    this.queue.clear()
    this.queuedBytes = 0
  }

  private dropSocket(): void {
    this.generation++
    this.inflight = 0
    this.ctx.clock.clearTimeout(this.retryTimer)
    this.ctx.clock.clearTimeout(this.handshakeTimer)
    this.retryTimer = undefined
    this.handshakeTimer = undefined
    const ws = this.ws
    this.ws = null
    ws?.terminate()
  }

  private dial(): void {
    const { ctx } = this
    this.state = 'connecting'
    const generation = ++this.generation
    let ws: WebSocket
    try {
      ws = new WebSocket(this.url, {
        // The listener only ever sends handshake frames (it sends nothing after welcome).
        maxPayload: HANDSHAKE_MAX_FRAME_BYTES,
        perMessageDeflate: false,
        // A zero masking key: ws then neither copies and XORs each outgoing frame here nor
        // unmasks it at the peer (a leader sends every entry to every follower). Masking guards
        // browsers' intermediaries against cache poisoning, which a link between two nodes that
        // proved the cluster secret does not have; the frames stay valid WebSocket frames.
        generateMask: zeroMask,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        ...(ctx.ca ? { ca: ctx.ca } : {}),
      })
    } catch (e) {
      this.lastError = (e as Error).message
      this.report('warn', 'cannot dial peer', { error: this.lastError })
      this.retry()
      return
    }
    this.ws = ws
    const nonce = newNonce()
    let session: Session | null = null
    let expectedWelcome: Uint8Array | null = null
    let closedByUs = false
    const current = (): boolean => this.generation === generation && this.ws === ws

    this.handshakeTimer = ctx.clock.setTimeout(() => {
      this.handshakeTimer = undefined
      if (!current() || this.state !== 'connecting') return
      this.lastError = 'handshake timed out'
      ws.terminate()
    }, HANDSHAKE_TIMEOUT_MS)

    ws.on('open', () => {
      if (!current()) return
      ws.send(
        encodeFrame({
          kind: 'hello',
          version: PROTOCOL_VERSION,
          from: ctx.self,
          to: this.peer,
          nonce,
        }),
      )
    })
    ws.on('message', (data, isBinary) => {
      if (!current()) return
      const fail = (code: number, reason: string): void => {
        this.lastError = reason
        this.report('warn', 'closing connection to peer', { code, reason })
        closedByUs = true
        ws.close(code, closeReason(reason))
      }
      if (this.state !== 'connecting' || !isBinary)
        return fail(CloseCode.Protocol, 'unexpected frame from the listener')
      let frame
      try {
        frame = decodeFrame(frameBytes(data))
      } catch (e) {
        return fail(CloseCode.Protocol, (e as Error).message)
      }
      if (session === null && frame.kind === 'challenge') {
        session = {
          dialer: ctx.self,
          listener: this.peer,
          dialerNonce: nonce,
          listenerNonce: frame.nonce,
        }
        expectedWelcome = proof(ctx.secret, 'listener', session)
        ws.send(encodeFrame({ kind: 'auth', proof: proof(ctx.secret, 'dialer', session) }))
        return
      }
      if (expectedWelcome !== null && frame.kind === 'welcome') {
        if (!proofMatches(expectedWelcome, frame.proof))
          return fail(CloseCode.AuthFailed, 'the peer could not prove the cluster secret')
        this.opened()
        return
      }
      fail(CloseCode.Protocol, `unexpected handshake frame "${frame.kind}"`)
    })
    ws.on('error', (e) => {
      if (current()) this.lastError = e.message
    })
    ws.on('close', (code, reason) => {
      if (!current()) return
      this.closed(code, reason.toString(), closedByUs)
    })
  }

  private opened(): void {
    this.ctx.clock.clearTimeout(this.handshakeTimer)
    this.handshakeTimer = undefined
    this.state = 'open'
    this.attempts = 0
    this.lastError = ''
    this.lastReport = ''
    this.ctx.logger.info('connected to peer', { peer: this.peer, url: this.url })
    this.pump()
  }

  private closed(code: number, reason: string, closedByUs: boolean): void {
    const wasOpen = this.state === 'open'
    this.ws = null
    this.generation++
    this.inflight = 0
    this.ctx.clock.clearTimeout(this.handshakeTimer)
    this.handshakeTimer = undefined
    if (wasOpen) this.ctx.logger.info('connection to peer lost', { peer: this.peer, code, reason })
    else if (closedByUs) {
      // already reported when we closed it
    } else if (code >= 4000 && code < 5000)
      this.report('warn', 'peer refused the connection', { code, reason })
    else this.report('debug', 'cannot reach peer', { code, error: this.lastError || reason })
    this.retry()
  }

  /** Logs at `level` the first time a given failure happens, at debug while it repeats. */
  private report(level: 'warn' | 'debug', msg: string, fields: Record<string, unknown>): void {
    const key = `${msg}|${String(fields['code'])}|${String(fields['reason'] ?? fields['error'])}`
    const repeat = key === this.lastReport
    this.lastReport = key
    this.ctx.logger[repeat ? 'debug' : level](msg, { peer: this.peer, url: this.url, ...fields })
  }

  /** Waits min(max, base·2^attempts), jittered to 50–100 %, then redials if there is traffic. */
  private retry(): void {
    if (this.state === 'closed') return
    this.state = 'backoff'
    const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(this.attempts, 16))
    const delay = ceiling / 2 + this.ctx.rng.next() * (ceiling / 2)
    this.attempts++
    this.retryTimer = this.ctx.clock.setTimeout(() => {
      this.retryTimer = undefined
      if (this.state !== 'backoff') return
      this.state = 'idle'
      if (this.queue.length > 0) this.dial()
    }, delay)
  }

  /** Writes queued messages while the socket keeps up (at most SEND_WINDOW unfinished writes). */
  private pump(): void {
    const ws = this.ws
    if (ws === null) return
    const generation = this.generation
    while (this.state === 'open' && this.inflight < SEND_WINDOW && this.queue.length > 0) {
      const frame = this.queue.shift() as Uint8Array
      this.queuedBytes -= frame.byteLength
      this.inflight++
      this.ctx.counters.sent++
      this.ctx.counters.bytesSent += frame.byteLength
      ws.send(frame, { binary: true }, () => {
        if (generation !== this.generation) return
        this.inflight--
        this.pump()
      })
    }
  }
}
