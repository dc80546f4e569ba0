import { WebSocket } from 'ws'
import type { Message, NodeId } from '@raftkit/raft-core'
import { MemoryLogger, createRng } from '@raftkit/raft-core'
import { createWsTransport } from '../src/index.js'
import type { WsTransport, WsTransportOptions } from '../src/index.js'
import { PROTOCOL_VERSION } from '../src/constants.js'
import { decodeFrame, encodeFrame, newNonce, proof } from '../src/handshake.js'

export const HOST = '127.0.0.1'
export const SECRET = 'correct-horse-battery-staple-4711'

export function vote(from: NodeId, to: NodeId, term = 1): Message {
  return { type: 'RequestVote', from, to, term, lastLogIndex: 0, lastLogTerm: 0, preVote: false }
}

export function voteReply(from: NodeId, to: NodeId, term = 1): Message {
  return { type: 'RequestVoteReply', from, to, term, granted: true, preVote: false }
}

/** Waits until `condition` holds, polling every 5 ms; fails after `limitMs` (a deadline). */
export async function waitFor(condition: () => boolean, what: string, limitMs = 10_000) {
  const deadline = Date.now() + limitMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A transport plus what it received and logged. Closed by closeAll(). */
export interface Node {
  readonly t: WsTransport
  readonly got: Message[]
  readonly log: MemoryLogger
}

const open: WsTransport[] = []

export async function node(
  id: NodeId,
  peers: Record<NodeId, string> = {},
  extra: Partial<WsTransportOptions> = {},
): Promise<Node> {
  const log = new MemoryLogger()
  const t = await createWsTransport({
    id,
    listen: { host: HOST, port: 0 },
    peers,
    secret: SECRET,
    logger: log,
    rng: createRng(7),
    ...extra,
  })
  open.push(t)
  const got: Message[] = []
  t.listen((m) => got.push(m))
  return { t, got, log }
}

export async function closeAll(): Promise<void> {
  const all = open.splice(0)
  await Promise.all(all.map((t) => t.close()))
}

export const addr = (n: Node | WsTransport): string => `${HOST}:${'t' in n ? n.t.port : n.port}`

/** Log records at `level` whose message or fields contain `text`. */
export function logged(log: MemoryLogger, level: string, text: string) {
  return log.records.filter(
    (r) => r.level === level && (r.msg + JSON.stringify(r.fields ?? {})).includes(text),
  )
}

/** A hand-driven dialer: for sending what a real transport never would. */
export class RawPeer {
  readonly closed: Promise<{ code: number; reason: string }>
  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    )
    ws.on('error', () => undefined)
  }

  static async open(port: number): Promise<RawPeer> {
    const ws = new WebSocket(`ws://${HOST}:${port}`)
    const peer = new RawPeer(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return peer
  }

  /** The next frame; rejects if the connection closes first. */
  next(): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const onClose = (code: number) => reject(new Error(`closed with ${code} before a reply`))
      this.ws.once('close', onClose)
      this.ws.once('message', (d) => {
        this.ws.off('close', onClose)
        resolve(d as Buffer)
      })
    })
  }

  /** Runs the dialer's side of the handshake as `from`, with `secret`. */
  async handshake(from: NodeId, to: NodeId, secret = SECRET): Promise<void> {
    const nonce = newNonce()
    const reply = this.next()
    this.ws.send(encodeFrame({ kind: 'hello', version: PROTOCOL_VERSION, from, to, nonce }))
    const challenge = decodeFrame(await reply)
    if (challenge.kind !== 'challenge') throw new Error(`expected challenge, got ${challenge.kind}`)
    const session = {
      dialer: from,
      listener: to,
      dialerNonce: nonce,
      listenerNonce: challenge.nonce,
    }
    const welcome = this.next()
    this.ws.send(encodeFrame({ kind: 'auth', proof: proof(secret, 'dialer', session) }))
    const w = decodeFrame(await welcome)
    if (w.kind !== 'welcome') throw new Error(`expected welcome, got ${w.kind}`)
  }

  send(data: Uint8Array | string): void {
    this.ws.send(data)
  }

  terminate(): void {
    this.ws.terminate()
  }
}
