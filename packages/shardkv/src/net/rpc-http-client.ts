/**
 * `HttpShardRpc`: the ShardRpc of a real cluster. Calls go to `POST /v1/shard/rpc/<endpoint>`
 * on the node named by the endpoint (`g101@n2` → node n2's HTTP address), msgpack both ways,
 * with the cluster secret; endpoints this process hosts (`register`) are called in-process, with
 * request and reply copied through msgpack as over the network.
 *
 * Bounds: a request over `maxRequestBytes` is refused before anything is sent, and a reply is
 * read only up to `maxReplyBytes` (ShardRpcTooLargeError either way). Failures follow the
 * ShardRpc contract: no answer (refused, reset, unknown endpoint, node stopping) rejects with
 * RpcLostError, a slow one with TimeoutError after `timeoutMs` — the request may have run.
 * A refused secret rejects with ShardRpcAuthError, a garbled answer with ShardRpcProtocolError.
 *
 * With `tls` every call is HTTPS and the node's certificate must be signed by `tls.ca` (the
 * cluster's CA; absent: the system's CAs) and name the address dialed. A handshake that fails
 * (an untrusted certificate, a node that does not speak TLS) is a lost call (RpcLostError naming
 * the TLS error): the request did not reach the handler.
 */
import { Agent, request as httpRequest } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { TimeoutError, packValue, unpackValue } from '@raftkit/raft-core'
import { tlsFailure } from '@raftkit/kv-service'
import type { ShardRpc, ShardRpcHandler } from '../rpc.js'
import { RpcLostError } from '../rpc.js'
import {
  DEFAULT_MAX_RPC_REPLY_BYTES,
  DEFAULT_MAX_RPC_REQUEST_BYTES,
  RPC_CONTENT_TYPE,
  RPC_PATH,
  RPC_SECRET_HEADER,
  ShardRpcAuthError,
  ShardRpcProtocolError,
  ShardRpcTooLargeError,
  parseEndpoint,
} from './rpc-protocol.js'

export interface HttpShardRpcOptions {
  /** Node id → its HTTP address ("host:port"). */
  readonly addresses: Readonly<Record<string, string>>
  /** The cluster secret, sent with every call. */
  readonly secret: string
  /** @default DEFAULT_MAX_RPC_REQUEST_BYTES (2 MiB) */
  readonly maxRequestBytes?: number
  /** @default DEFAULT_MAX_RPC_REPLY_BYTES (64 MiB) */
  readonly maxReplyBytes?: number
  /** Call over HTTPS, trusting `ca` (PEM; absent: the system's trusted CAs). */
  readonly tls?: { readonly ca?: string | Buffer }
}

export class HttpShardRpc implements ShardRpc {
  readonly maxRequestBytes: number
  readonly maxReplyBytes: number
  private readonly handlers = new Map<string, ShardRpcHandler>()
  private readonly agent: Agent
  private closed = false

  constructor(private readonly o: HttpShardRpcOptions) {
    this.maxRequestBytes = o.maxRequestBytes ?? DEFAULT_MAX_RPC_REQUEST_BYTES
    this.maxReplyBytes = o.maxReplyBytes ?? DEFAULT_MAX_RPC_REPLY_BYTES
    const pool = { keepAlive: true, maxSockets: 64 }
    this.agent = o.tls
      ? new HttpsAgent({ ...pool, ...(o.tls.ca !== undefined ? { ca: o.tls.ca } : {}) })
      : new Agent(pool)
  }

  /** Hosts endpoint `name` in this process (calls to it here skip the network). */
  register(name: string, handler: ShardRpcHandler): void {
    this.handlers.set(name, handler)
  }

  unregister(name: string): void {
    this.handlers.delete(name)
  }

  /** The handler of a local endpoint, for the node's HTTP route. */
  handler(name: string): ShardRpcHandler | undefined {
    return this.handlers.get(name)
  }

  /** Fails every later call; closes idle connections. */
  close(): void {
    this.closed = true
    this.agent.destroy()
  }

  async call(_from: string, to: string, request: unknown, timeoutMs: number): Promise<unknown> {
    if (this.closed) throw new RpcLostError(to, 'closed')
    const body = packValue(request)
    if (body.byteLength > this.maxRequestBytes)
      throw new ShardRpcTooLargeError('request', body.byteLength, this.maxRequestBytes, to)
    const local = this.handlers.get(to)
    if (local) return this.callLocal(to, local, body, timeoutMs)
    const target = parseEndpoint(to)
    const address = target ? this.o.addresses[target.node] : undefined
    if (address === undefined) throw new RpcLostError(to, 'unknown endpoint')
    const bytes = await this.post(to, address, body, timeoutMs)
    try {
      return unpackValue(bytes)
    } catch (e) {
      throw new ShardRpcProtocolError(to, `reply is not msgpack (${(e as Error).message})`)
    }
  }

  private async callLocal(
    to: string,
    handler: ShardRpcHandler,
    body: Uint8Array,
    timeoutMs: number,
  ): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimeoutError(`no reply from ${to} within ${timeoutMs} ms`)),
        timeoutMs,
      )
    })
    try {
      const reply = await Promise.race([handler(unpackValue(body)), timeout])
      const out = packValue(reply)
      if (out.byteLength > this.maxReplyBytes)
        throw new ShardRpcTooLargeError('reply', out.byteLength, this.maxReplyBytes, to)
      return unpackValue(out)
    } finally {
      clearTimeout(timer)
    }
  }

  private post(to: string, address: string, body: Uint8Array, timeoutMs: number): Promise<Buffer> {
    const colon = address.lastIndexOf(':')
    const host = address.slice(0, colon).replace(/^\[|\]$/g, '')
    const port = Number(address.slice(colon + 1))
    const limit = this.maxReplyBytes
    return new Promise<Buffer>((resolve, reject) => {
      let done = false
      const finish = (e: Error | undefined, value?: Buffer): void => {
        if (done) return
        done = true
        clearTimeout(timer)
        if (e) {
          req.destroy()
          reject(e)
        } else resolve(value as Buffer)
      }
      const send = this.o.tls ? httpsRequest : httpRequest
      const req = send(
        {
          host,
          port,
          method: 'POST',
          path: `${RPC_PATH}${encodeURIComponent(to)}`,
          agent: this.agent,
          headers: {
            'content-type': RPC_CONTENT_TYPE,
            'content-length': body.byteLength,
            [RPC_SECRET_HEADER]: this.o.secret,
          },
        },
        (res) => this.onResponse(to, res, limit, finish),
      )
      const timer = setTimeout(
        () => finish(new TimeoutError(`no reply from ${to} within ${timeoutMs} ms`)),
        timeoutMs,
      )
      req.on('error', (e) =>
        finish(
          (this.o.tls ? tlsFailure(address, host, e) : undefined) ??
            new RpcLostError(to, e.message),
        ),
      )
      req.end(body)
    })
  }

  private onResponse(
    to: string,
    res: IncomingMessage,
    limit: number,
    finish: (e: Error | undefined, value?: Buffer) => void,
  ): void {
    const status = res.statusCode ?? 0
    const declared = Number(res.headers['content-length'] ?? NaN)
    if (status === 401) return finish(new ShardRpcAuthError(to))
    if (status === 404 || status === 503) return finish(new RpcLostError(to, `HTTP ${status}`))
    if (status === 413) return finish(new ShardRpcTooLargeError('reply', limit + 1, limit, to))
    if (status !== 200) return finish(new ShardRpcProtocolError(to, `HTTP ${status}`))
    if (declared > limit) return finish(new ShardRpcTooLargeError('reply', declared, limit, to))
    const chunks: Buffer[] = []
    let size = 0
    res.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) finish(new ShardRpcTooLargeError('reply', size, limit, to))
      else chunks.push(chunk)
    })
    res.on('end', () => finish(undefined, Buffer.concat(chunks, size)))
    res.on('error', (e) => finish(new RpcLostError(to, e.message)))
    res.on('aborted', () => finish(new RpcLostError(to, 'reply cut short')))
  }
}
