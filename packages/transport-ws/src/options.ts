/** Options of a WebSocket transport, their validation and the peer address format. */
import { readFile } from 'node:fs/promises'
import { ConfigError } from '@raftkit/raft-core'
import type { Clock, Logger, NodeId, Rng } from '@raftkit/raft-core'
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  MAX_NODE_ID_BYTES,
  MIN_SECRET_LENGTH,
} from './constants.js'

export interface WsTransportOptions {
  /** This node's id. */
  readonly id: NodeId
  /** Where to listen. Port 0 picks a free port; read it back from `transport.port`. */
  readonly listen: { readonly host: string; readonly port: number }
  /** Every other node: "host:port", or a ws:// / wss:// URL. */
  readonly peers: Readonly<Record<NodeId, string>>
  /**
   * The shared cluster secret, at least 16 characters (MIN_SECRET_LENGTH). Proven with HMAC
   * challenge–response; never sent.
   */
  readonly secret: string
  /** Serve wss:// with these PEM files; `caFile` is trusted when dialing wss:// peers. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile?: string }
  /** Frames larger than this are refused (connection closed, logged). @default 64 MiB */
  readonly maxMessageBytes?: number
  /** Per peer; on overflow the oldest queued message is dropped (Raft retries). @default 10 000 */
  readonly maxQueuedMessages?: number
  /**
   * Per peer, bytes of the queued messages; on overflow the oldest are dropped (Raft retries).
   * @default 64 MiB
   */
  readonly maxQueuedBytes?: number
  /** @default silentLogger */
  readonly logger?: Logger
  /** Schedules reconnects, handshake deadlines and injected delays. @default SystemClock */
  readonly clock?: Clock
  /** Randomness of backoff jitter and injected faults. @default randomRng() */
  readonly rng?: Rng
}

/** TLS material read from the option files. */
export interface TlsMaterial {
  readonly cert: Buffer
  readonly key: Buffer
  readonly ca?: Buffer
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0
}

/** Checks every option; throws ConfigError naming the first bad field. Changes nothing. */
export function validateOptions(o: WsTransportOptions): void {
  if (typeof o !== 'object' || o === null)
    throw new ConfigError('options', 'createWsTransport needs an options object')
  if (typeof o.id !== 'string' || o.id.length === 0)
    throw new ConfigError('id', `must be a non-empty string, got ${String(o.id)}`)
  if (Buffer.byteLength(o.id, 'utf8') > MAX_NODE_ID_BYTES)
    throw new ConfigError('id', `must be at most ${MAX_NODE_ID_BYTES} bytes of UTF-8`)
  if (typeof o.listen !== 'object' || o.listen === null)
    throw new ConfigError('listen', 'must be { host, port }')
  if (typeof o.listen.host !== 'string' || o.listen.host.length === 0)
    throw new ConfigError(
      'listen.host',
      `must be a host name or address, got ${String(o.listen.host)}`,
    )
  const port = o.listen.port
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError('listen.port', `must be an integer in 0..65535, got ${String(port)}`)
  checkSecret(o.secret)
  if (o.maxMessageBytes !== undefined && !isPositiveInteger(o.maxMessageBytes))
    throw new ConfigError(
      'maxMessageBytes',
      `must be a positive integer, got ${String(o.maxMessageBytes)}`,
    )
  if (o.maxQueuedMessages !== undefined && !isPositiveInteger(o.maxQueuedMessages))
    throw new ConfigError(
      'maxQueuedMessages',
      `must be a positive integer, got ${String(o.maxQueuedMessages)}`,
    )
  if (o.maxQueuedBytes !== undefined && !isPositiveInteger(o.maxQueuedBytes))
    throw new ConfigError(
      'maxQueuedBytes',
      `must be a positive integer, got ${String(o.maxQueuedBytes)}`,
    )
  if (o.tls !== undefined) {
    if (typeof o.tls !== 'object' || o.tls === null)
      throw new ConfigError('tls', 'must be { certFile, keyFile, caFile? }')
    for (const key of ['certFile', 'keyFile'] as const)
      if (typeof o.tls[key] !== 'string' || o.tls[key].length === 0)
        throw new ConfigError(`tls.${key}`, 'must be a path to a PEM file')
    if (o.tls.caFile !== undefined && (typeof o.tls.caFile !== 'string' || o.tls.caFile === ''))
      throw new ConfigError('tls.caFile', 'must be a path to a PEM file')
  }
  peerUrls(o.id, o.peers, o.tls !== undefined)
}

/** The cluster secret rule, shared with createWsNetwork (and kv-service's cluster file). */
export function checkSecret(secret: unknown): void {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH)
    throw new ConfigError(
      'secret',
      `must be a string of at least ${MIN_SECRET_LENGTH} characters shared by every node, got ${
        typeof secret === 'string' ? `${secret.length} characters` : typeof secret
      }`,
    )
}

/**
 * Turns the peers option into dialable URLs. "host:port" gets ws:// (wss:// when this node
 * uses TLS); ws:// and wss:// URLs are taken as they are.
 */
export function peerUrls(
  self: NodeId,
  peers: Readonly<Record<NodeId, string>>,
  tls: boolean,
): Map<NodeId, string> {
  if (typeof peers !== 'object' || peers === null || Array.isArray(peers))
    throw new ConfigError('peers', 'must be an object { [nodeId]: "host:port" }')
  const out = new Map<NodeId, string>()
  for (const [id, address] of Object.entries(peers)) {
    if (id.length === 0) throw new ConfigError('peers', 'a peer id must be a non-empty string')
    if (Buffer.byteLength(id, 'utf8') > MAX_NODE_ID_BYTES)
      throw new ConfigError(
        'peers',
        `a peer id must be at most ${MAX_NODE_ID_BYTES} bytes of UTF-8`,
      )
    if (id === self)
      throw new ConfigError(`peers.${id}`, 'lists this node itself: peers are the OTHER nodes')
    out.set(id, peerUrl(id, address, tls))
  }
  return out
}

function peerUrl(id: NodeId, address: unknown, tls: boolean): string {
  if (typeof address !== 'string' || address.length === 0)
    throw new ConfigError(
      `peers.${id}`,
      `must be "host:port" or a ws:// URL, got ${String(address)}`,
    )
  const text = /^wss?:\/\//i.test(address) ? address : `${tls ? 'wss' : 'ws'}://${address}`
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ConfigError(`peers.${id}`, `"${address}" is not "host:port" or a ws:// URL`)
  }
  if (url.hostname === '' || url.port === '' || url.username !== '' || url.password !== '')
    throw new ConfigError(`peers.${id}`, `"${address}" needs a host and an explicit port`)
  return url.toString()
}

export async function readTls(tls: WsTransportOptions['tls']): Promise<TlsMaterial | undefined> {
  if (tls === undefined) return undefined
  const read = async (field: string, path: string): Promise<Buffer> => {
    try {
      return await readFile(path)
    } catch (e) {
      throw new ConfigError(`tls.${field}`, `cannot read ${path}: ${(e as Error).message}`)
    }
  }
  const cert = await read('certFile', tls.certFile)
  const key = await read('keyFile', tls.keyFile)
  if (tls.caFile === undefined) return { cert, key }
  return { cert, key, ca: await read('caFile', tls.caFile) }
}

export function resolvedLimits(o: WsTransportOptions): {
  maxMessageBytes: number
  maxQueuedMessages: number
  maxQueuedBytes: number
} {
  return {
    maxMessageBytes: o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxQueuedMessages: o.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES,
    maxQueuedBytes: o.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
  }
}
