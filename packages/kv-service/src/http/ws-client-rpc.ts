/**
 * WsKvRpc: KvClient's network over the nodes' WebSocket RPC (GET /v1/rpc on each node's HTTP
 * port; frames: ws-protocol.ts), a drop-in for HttpKvRpc with the same endpoint naming, leader
 * hints and TLS options. One connection per server carries the requests of every clerk that
 * shares this WsKvRpc, many in flight at once, each matched to its answer by id.
 *
 * - `open` asks the server for a session id (issued by the server, as POST /v1/sessions).
 * - NOT_LEADER / NO_LEADER naming an endpoint (by id, or by its address) becomes WRONG_LEADER
 *   with that endpoint's name as the hint; a leader that is not an endpoint gives no hint (the
 *   clerk goes on through its list).
 * - Every call settles: with the answer, or with TimeoutError after `timeoutMs`, or at once
 *   with TimeoutError when the connection carrying it is lost (the request may or may not have
 *   run, exactly as an HTTP request whose connection dropped), or with TlsError when the server's
 *   certificate is not trusted.
 * - A lost connection is dialled again on the next call, no sooner than a backoff (`reconnect`,
 *   50 ms doubling to 2 s with jitter) after a failed attempt; calls made meanwhile wait for it
 *   within their own timeout. A call that times out while nothing at all came back on its
 *   connection since it was sent drops the connection (a server gone without closing it).
 * - A request whose frame is larger than the server accepts (the upgrade answer says how large)
 *   is answered TOO_LARGE without being sent.
 * Requests and answers ↔ the clerk's KvRequest and KvReply: ws-client-codec.ts.
 */
import { isIP, connect as netConnect } from 'node:net'
import type { Socket, TcpNetConnectOpts } from 'node:net'
import type { ClientRequestArgs, IncomingMessage } from 'node:http'
import { connect as tlsConnect } from 'node:tls'
import type { ConnectionOptions } from 'node:tls'
import type { Rng } from '@raftkit/raft-core'
import { TimeoutError, randomRng } from '@raftkit/raft-core'
import { WebSocket } from 'ws'
import type { BackoffOptions } from '../backoff.js'
import { Backoff } from '../backoff.js'
import type { KvReply, KvRequest, KvRpcNetwork } from '../rpc.js'
import { tlsFailure } from './tls-failure.js'
import type { KvRpcTlsOption } from './client-tls.js'
import { tlsConnectOptions } from './client-tls.js'
import { toReply, toRpcRequest } from './ws-client-codec.js'
import type { RpcAnswer } from './ws-protocol.js'
import {
  MAX_FRAME_HEADER,
  RPC_PATH,
  RpcFrameError,
  decodeAnswer,
  encodeRequest,
} from './ws-protocol.js'

export interface WsKvRpcOptions {
  /** Server name → HTTP address ("host:port", "http://host:port" or "https://host:port"). */
  readonly endpoints: Readonly<Record<string, string>>
  /**
   * Use TLS (wss://): "host:port" endpoints become wss://. `ca`: the PEM CA certificate(s) to
   * trust (the cluster's `tls.caFile`); absent: the system's trusted CAs.
   */
  readonly tls?: KvRpcTlsOption
  /** Pauses between failed connection attempts to one server. */
  readonly reconnect?: Partial<BackoffOptions>
  /** Seeds the reconnect jitter. Default: randomly seeded. */
  readonly rng?: Rng
}

const MAX_ANSWER_BYTES = 64 * 1024 * 1024
/** A server that accepts the TCP connection but does not answer the upgrade in this time. */
const HANDSHAKE_TIMEOUT_MS = 10_000
const DEFAULT_RECONNECT: BackoffOptions = { initialMs: 50, maxMs: 2000, multiplier: 2 }

/** One call: settled once, by its answer, its timer, or its connection's loss. */
interface Call {
  readonly request: KvRequest
  readonly frame: Buffer
  readonly id: number
  readonly resolve: (r: KvReply) => void
  readonly reject: (e: Error) => void
  timer: NodeJS.Timeout | undefined
  settled: boolean
  /** When it was written to the connection (performance.now()). */
  sentAt: number
}

export class WsKvRpc implements KvRpcNetwork {
  private readonly links = new Map<string, Link>()
  private closed = false

  constructor(options: WsKvRpcOptions) {
    const tls: ConnectionOptions | undefined = tlsConnectOptions(options.tls)
    const rng = options.rng ?? randomRng()
    const names = new Map<string, string>()
    for (const [name, address] of Object.entries(options.endpoints)) {
      const url = toRpcUrl(address, options.tls !== undefined)
      names.set(url.host, name)
      this.links.set(
        name,
        new Link(url, tls, new Backoff({ ...DEFAULT_RECONNECT, ...options.reconnect }, rng)),
      )
    }
    for (const link of this.links.values()) link.names = names
  }

  /** Names of the endpoints, for KvClient's `servers`. */
  get servers(): string[] {
    return [...this.links.keys()]
  }

  call(_from: string, to: string, request: KvRequest, timeoutMs: number): Promise<KvReply> {
    const link = this.links.get(to)
    if (!link) return Promise.reject(new TimeoutError(`unknown server ${to}`))
    if (this.closed) return Promise.reject(new TimeoutError('the RPC client was closed'))
    if (!(timeoutMs > 0)) return Promise.reject(new TimeoutError('no time left for the request'))
    let frame: Buffer
    const id = link.nextId()
    try {
      frame = encodeRequest(id, toRpcRequest(request))
    } catch (e) {
      return Promise.resolve({ ok: false, error: 'BAD_REQUEST', message: (e as Error).message })
    }
    return new Promise<KvReply>((resolve, reject) => {
      const call: Call = {
        request,
        frame,
        id,
        resolve,
        reject,
        timer: undefined,
        settled: false,
        sentAt: 0,
      }
      call.timer = setTimeout(onTimeout, timeoutMs, link, call, timeoutMs)
      link.submit(call)
    })
  }

  /** Closes every connection; calls under way reject with TimeoutError. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const link of this.links.values()) link.close()
  }
}

function onTimeout(link: Link, call: Call, ms: number): void {
  settle(call, new TimeoutError(`no answer from ${link.url.host} within ${ms} ms`))
  link.timedOut(call)
}

function settle(call: Call, outcome: KvReply | Error): void {
  if (call.settled) return
  call.settled = true
  clearTimeout(call.timer)
  if (outcome instanceof Error) call.reject(outcome)
  else call.resolve(outcome)
}

/** The connection to one server, dialled when needed. */
class Link {
  /** host → endpoint name, for leader hints that name an address. */
  names: ReadonlyMap<string, string> = new Map()
  private ws: WebSocket | undefined
  private socket: Socket | undefined
  private open = false
  private maxFrame = Infinity
  /** Sent, awaiting their answers. */
  private readonly sent = new Map<number, Call>()
  /** Waiting for the connection. */
  private waiting: Call[] = []
  private id = 0
  private retryAt = 0
  private retryTimer: NodeJS.Timeout | undefined
  private corked = false
  private closed = false
  /** When the connection last delivered a frame (performance.now()). */
  private lastReceived = 0

  constructor(
    readonly url: URL,
    private readonly tls: ConnectionOptions | undefined,
    private readonly backoff: Backoff,
  ) {}

  nextId(): number {
    this.id = (this.id + 1) >>> 0
    return this.id
  }

  submit(call: Call): void {
    if (this.open) return this.send(call)
    this.waiting.push(call)
    if (this.ws === undefined && this.retryTimer === undefined) {
      const wait = this.retryAt - Date.now()
      if (wait <= 0) this.dial()
      else this.retryTimer = setTimeout(() => this.dial(), wait)
    }
  }

  /**
   * A call's timer fired. When nothing at all came back on the connection since the call was
   * sent, the connection is taken for dead (a server gone without closing it) and dropped: its
   * other calls fail as lost and the next call dials again.
   */
  timedOut(call: Call): void {
    if (this.sent.get(call.id) === call) {
      this.sent.delete(call.id)
      if (this.lastReceived < call.sentAt)
        this.drop(`nothing came back from ${this.url.host} since a call that timed out was sent`)
    } else {
      const i = this.waiting.indexOf(call)
      if (i !== -1) this.waiting.splice(i, 1)
    }
  }

  close(): void {
    this.closed = true
    clearTimeout(this.retryTimer)
    this.ws?.terminate()
    this.lost(new TimeoutError('the RPC client was closed'))
  }

  private send(call: Call): void {
    if (call.frame.length > this.maxFrame) {
      settle(call, {
        ok: false,
        error: 'TOO_LARGE',
        message: `the request is ${call.frame.length} bytes; ${this.url.host} accepts at most ${this.maxFrame} (its limits.maxKeyBytes and maxValueBytes)`,
      })
      return
    }
    call.sentAt = performance.now()
    this.sent.set(call.id, call)
    // The frames of one tick (many clerks) go out in one socket write.
    if (!this.corked && this.socket) {
      this.corked = true
      this.socket.cork()
      process.nextTick(uncork, this)
    }
    ;(this.ws as WebSocket).send(call.frame)
  }

  uncork(): void {
    this.corked = false
    this.socket?.uncork()
  }

  private dial(): void {
    this.retryTimer = undefined
    if (this.closed || this.ws !== undefined) return
    const secure = this.url.protocol === 'wss:'
    const ws = new WebSocket(this.url, {
      perMessageDeflate: false,
      maxPayload: MAX_ANSWER_BYTES,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      ...(secure && this.tls ? this.tls : {}),
      // The socket is kept to cork it (ws offers no way to batch frames).
      createConnection: (options: ClientRequestArgs) => {
        // As ws's own: no socket path; TLS names the server by host name (SNI), never by IP.
        const o = { ...(options as TcpNetConnectOpts & ConnectionOptions), path: undefined }
        const socket = secure
          ? tlsConnect({ ...o, servername: o.servername ?? (isIP(o.host ?? '') ? '' : o.host) })
          : netConnect(o)
        this.socket = socket
        return socket
      },
    })
    this.ws = ws
    let failure: Error | undefined
    ws.on('upgrade', (res: IncomingMessage) => {
      const max = Number(res.headers[MAX_FRAME_HEADER])
      this.maxFrame = Number.isSafeInteger(max) && max > 0 ? max : Infinity
    })
    let opened = false
    ws.on('open', () => {
      opened = true
      this.open = true
      this.backoff.reset()
      const waiting = this.waiting
      this.waiting = []
      for (const call of waiting) if (!call.settled) this.send(call)
    })
    ws.on('message', (data: Buffer) => this.onAnswer(data))
    ws.on('error', (e: Error) => {
      failure = e
    })
    ws.on('close', () => {
      if (this.ws !== ws) return
      this.ws = undefined
      this.socket = undefined
      this.open = false
      const tls =
        secure && failure ? tlsFailure(this.url.host, this.url.hostname, failure) : undefined
      const reason = failure?.message ?? 'the connection closed'
      this.lost(
        tls ??
          new TimeoutError(
            `no answer from ${this.url.host}: ${reason} (the request may or may not have run)`,
          ),
      )
      // A connection that never opened is dialled again after a backoff; one that did (and was
      // then lost or closed as idle) at once by the next call.
      if (!this.closed) this.retryAt = opened ? 0 : Date.now() + this.backoff.next()
    })
  }

  /**
   * Drops the connection at once: calls sent on it fail as lost, calls made from now on dial a
   * new one (the old one's close event finds it detached).
   */
  private drop(reason: string): void {
    const ws = this.ws
    if (ws === undefined) return
    this.ws = undefined
    this.socket = undefined
    this.open = false
    this.retryAt = 0
    const calls = [...this.sent.values()]
    this.sent.clear()
    const e = new TimeoutError(`${reason} (the request may or may not have run)`)
    for (const call of calls) settle(call, e)
    ws.terminate()
  }

  /** Fails every call on or waiting for the connection. */
  private lost(e: Error): void {
    const calls = [...this.sent.values(), ...this.waiting]
    this.sent.clear()
    this.waiting = []
    for (const call of calls) settle(call, e)
  }

  private onAnswer(data: Buffer): void {
    this.lastReceived = performance.now()
    let answer: RpcAnswer
    try {
      answer = decodeAnswer(data)
    } catch (e) {
      if (!(e instanceof RpcFrameError)) throw e
      // Not this protocol: drop the connection (its calls fail as lost).
      this.drop(`${this.url.host} sent a frame that is not an answer (${e.message})`)
      return
    }
    const call = this.sent.get(answer.id)
    if (call === undefined) return // timed out meanwhile
    this.sent.delete(answer.id)
    settle(call, toReply(call.request, answer, this.names))
  }
}

function uncork(link: Link): void {
  link.uncork()
}

/** "host:port", http(s):// or ws(s):// → the ws(s):// URL of the node's RPC endpoint. */
function toRpcUrl(address: string, tls: boolean): URL {
  const url = new URL(
    /^(https?|wss?):\/\//i.test(address) ? address : `${tls ? 'wss' : 'ws'}://${address}`,
  )
  if (url.protocol === 'http:') url.protocol = 'ws:'
  else if (url.protocol === 'https:') url.protocol = 'wss:'
  url.pathname = RPC_PATH
  return url
}
