/**
 * A raftkit Transport over WebSocket: one listening server for inbound connections, one
 * outbound connection per peer, the handshake on every connection, fault injection on both
 * sides, and counters.
 */
import {
  ConfigError,
  MalformedMessageError,
  SystemClock,
  UnknownPeerError,
  decodeMessage,
  encodeMessage,
  isRequest,
  randomRng,
  silentLogger,
  validateMessage,
} from '@raftkit/raft-core'
import type { Clock, Logger, Message, NodeId, TimerHandle, Transport } from '@raftkit/raft-core'
import { decodeAppendEntries, decodeAppendEntriesReply } from './append-decode.js'
import { encodeFast } from './message-encode.js'
import { Counters } from './counters.js'
import { FaultShim } from './fault-shim.js'
import type { NodeFaultControls } from './fault-shim.js'
import { peerUrls, readTls, resolvedLimits, validateOptions } from './options.js'
import type { TlsMaterial, WsTransportOptions } from './options.js'
import { PeerConnection } from './peer-connection.js'
import type { LinkContext } from './peer-connection.js'
import { Listener } from './server.js'

export interface WsTransportStats {
  /** Messages written to peer sockets. */
  readonly sent: number
  /** Messages delivered to this node's handler. */
  readonly received: number
  readonly bytesSent: number
  readonly bytesReceived: number
  /** Messages discarded: injected faults, queue overflow, oversize, nobody listening. */
  readonly dropped: number
  /** Open authenticated connections, inbound and outbound. */
  readonly connections: number
  /** Inbound connections that have not finished the handshake yet (at most 64). */
  readonly unauthenticated: number
  /** Inbound connections destroyed on accept because an unauthenticated-connection cap was full. */
  readonly refusedConnections: number
}

export interface WsTransport extends Transport {
  /** The port actually bound (the chosen one when `listen.port` was 0). */
  readonly port: number
  /** Per-node fault injection. */
  readonly faults: NodeFaultControls
  /** Replaces the peer addresses (a peer restarted elsewhere, or membership changed). */
  setPeers(peers: Readonly<Record<NodeId, string>>): void
  stats(): WsTransportStats
}

export class WsTransportImpl implements WsTransport {
  readonly id: NodeId
  readonly faults: FaultShim
  readonly counters = new Counters()
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly maxMessageBytes: number
  private readonly listener: Listener
  private readonly linkContext: LinkContext
  private urls: Map<NodeId, string>
  private readonly links = new Map<NodeId, PeerConnection>()
  private readonly delayed = new Set<TimerHandle>()
  private handler: ((message: Message) => void) | null = null
  private boundPort = 0
  private starting: Promise<number> | null = null
  private closing: Promise<void> | null = null

  /** Use createWsTransport (validates the options and reads the TLS files). */
  constructor(
    options: WsTransportOptions,
    private readonly tls: TlsMaterial | undefined,
  ) {
    this.id = options.id
    this.clock = options.clock ?? new SystemClock()
    this.logger = options.logger ?? silentLogger
    const rng = options.rng ?? randomRng()
    const limits = resolvedLimits(options)
    this.maxMessageBytes = limits.maxMessageBytes
    this.urls = peerUrls(options.id, options.peers, tls !== undefined)
    this.faults = new FaultShim(options.id, rng.fork())
    this.linkContext = {
      self: options.id,
      secret: options.secret,
      clock: this.clock,
      rng: rng.fork(),
      logger: this.logger,
      maxMessageBytes: limits.maxMessageBytes,
      maxQueuedMessages: limits.maxQueuedMessages,
      maxQueuedBytes: limits.maxQueuedBytes,
      ca: tls?.ca,
      counters: this.counters,
    }
    this.listener = new Listener({
      self: options.id,
      secret: options.secret,
      clock: this.clock,
      logger: this.logger,
      maxMessageBytes: limits.maxMessageBytes,
      tls,
      knows: (peer) => this.urls.has(peer),
      authenticated: (peer) => this.links.get(peer)?.peerSeen(),
      receive: (peer, bytes) => this.receive(peer, bytes),
    })
  }

  get port(): number {
    return this.boundPort
  }

  /** Binds the server; resolves with the port. Rejects (and can be retried) if binding fails. */
  start(host: string, port: number): Promise<number> {
    const attempt = this.listener.start(host, port).then((bound) => {
      this.boundPort = bound
      return bound
    })
    this.starting = attempt.catch(() => 0)
    return attempt
  }

  send(message: Message): void {
    if (this.closing !== null) return
    validateMessage(message)
    if (message.from !== this.id)
      throw new MalformedMessageError(
        `transport ${this.id} cannot send a message from ${message.from}`,
      )
    const to = message.to
    if (!this.urls.has(to)) throw new UnknownPeerError(to)
    // Without msgpackr when every value allows (message-encode.ts): the same bytes.
    const frame = encodeFast(message) ?? encodeMessage(message)
    const request = isRequest(message)
    const c = this.counters
    c.submitted++
    if (request) {
      c.submittedRequests++
      c.submittedRequestBytes += frame.byteLength
    }
    if (frame.byteLength > this.maxMessageBytes) {
      c.dropped++
      this.logger.warn('message too large to send; dropped', {
        to,
        type: message.type,
        bytes: frame.byteLength,
        maxMessageBytes: this.maxMessageBytes,
      })
      return
    }
    const plan = this.faults.plan(to, request)
    if (plan.drop) {
      c.dropped++
      return
    }
    if (plan.delayMs <= 0) {
      this.link(to)?.enqueue(frame)
      return
    }
    const timer: { handle?: TimerHandle } = {}
    timer.handle = this.clock.setTimeout(() => {
      if (timer.handle) this.delayed.delete(timer.handle)
      if (this.closing !== null) return
      if (!this.faults.allows(to)) {
        c.dropped++
        return
      }
      this.link(to)?.enqueue(frame)
    }, plan.delayMs)
    this.delayed.add(timer.handle)
  }

  listen(handler: (message: Message) => void): void {
    this.handler = handler
  }

  setPeers(peers: Readonly<Record<NodeId, string>>): void {
    const urls = peerUrls(this.id, peers, this.tls !== undefined)
    if (this.closing !== null) return
    for (const [id, link] of this.links) {
      const url = urls.get(id)
      if (url === undefined) {
        link.close()
        this.links.delete(id)
      } else link.setUrl(url)
    }
    for (const id of this.urls.keys()) if (!urls.has(id)) this.listener.forget(id)
    this.urls = urls
  }

  stats(): WsTransportStats {
    let open = 0
    for (const link of this.links.values()) if (link.isOpen) open++
    const c = this.counters
    return {
      sent: c.sent,
      received: c.received,
      bytesSent: c.bytesSent,
      bytesReceived: c.bytesReceived,
      dropped: c.dropped,
      connections: open + this.listener.authenticatedCount,
      unauthenticated: this.listener.unauthenticated.open,
      refusedConnections: this.listener.unauthenticated.refused,
    }
  }

  /** Messages waiting in the queue of one peer (for tests and diagnostics). */
  queued(peer: NodeId): number {
    return this.links.get(peer)?.queued ?? 0
  }

  get isClosed(): boolean {
    return this.closing !== null
  }

  close(): Promise<void> {
    this.closing ??= this.doClose()
    return this.closing
  }

  private async doClose(): Promise<void> {
    this.handler = null
    for (const handle of this.delayed) this.clock.clearTimeout(handle)
    this.delayed.clear()
    for (const link of this.links.values()) link.close()
    this.links.clear()
    await this.starting
    await this.listener.close()
  }

  private link(to: NodeId): PeerConnection | undefined {
    let link = this.links.get(to)
    if (link === undefined) {
      const url = this.urls.get(to)
      if (url === undefined) return undefined
      link = new PeerConnection(to, url, this.linkContext)
      this.links.set(to, link)
    }
    return link
  }

  /** One frame from an authenticated peer; returns why it is malformed, or null. */
  private receive(peer: NodeId, bytes: Uint8Array): string | null {
    let message: Message
    try {
      // A follower's AppendEntries and a leader's AppendEntriesReply without msgpackr
      // (append-decode.ts), validated the same way.
      const fast = decodeAppendEntries(bytes) ?? decodeAppendEntriesReply(bytes)
      message = fast === undefined ? decodeMessage(bytes) : validateMessage(fast)
    } catch (e) {
      return (e as Error).message
    }
    if (message.from !== peer)
      return `message claims to come from "${message.from}" on the connection of "${peer}"`
    if (message.to !== this.id) return `message for "${message.to}" arrived at "${this.id}"`
    const handler = this.handler
    if (handler === null || this.closing !== null || !this.faults.allows(peer)) {
      this.counters.dropped++
      return null
    }
    const c = this.counters
    c.received++
    c.bytesReceived += bytes.byteLength
    if (isRequest(message)) c.deliveredRequests++
    else c.deliveredReplyBytes += bytes.byteLength
    try {
      handler(message)
    } catch (error) {
      this.logger.error('message handler threw', {
        from: peer,
        type: message.type,
        error: String(error),
      })
    }
    return null
  }
}

/**
 * Creates a WebSocket transport and starts listening. Resolves once the server is bound
 * (`transport.port` is the port it got). Throws ConfigError for bad options, unreadable TLS
 * files, or an address it cannot listen on.
 */
export async function createWsTransport(options: WsTransportOptions): Promise<WsTransport> {
  validateOptions(options)
  const tls = await readTls(options.tls)
  const transport = new WsTransportImpl(options, tls)
  try {
    await transport.start(options.listen.host, options.listen.port)
  } catch (e) {
    await transport.close()
    throw new ConfigError(
      'listen',
      `cannot listen on ${options.listen.host}:${options.listen.port}: ${(e as Error).message}`,
    )
  }
  return transport
}
