/**
 * The `server`, `limits`, `client` and `http` sections of the cluster file: their types,
 * defaults and validation (see cluster-config.ts for the file as a whole).
 */
import type { RaftConfig } from '@raftkit/raft-core'
import { MAX_PREALLOCATE_BYTES, MIN_PREALLOCATE_BYTES } from '@raftkit/storage-fs'
import type { BackoffOptions } from '../backoff.js'
import { DEFAULT_BACKOFF } from '../backoff.js'
import type { HttpLimits } from '../http/limits.js'
import { DEFAULT_HTTP_LIMITS } from '../http/limits.js'
import { DEFAULT_SERVER_REQUEST_TIMEOUT_MS } from '../server.js'
import { DEFAULT_SESSION_EXPIRY_ENTRIES } from '../state-machine.js'
import { fail, int, num, object, onlyKnown, show } from './json.js'

export interface ServerSettings {
  /** Snapshot when the persisted Raft state reaches this many bytes; -1: never. */
  readonly maxRaftState: number
  /** How long one request may wait for commit/apply or leadership confirmation. */
  readonly requestTimeoutMs: number
  readonly sessionExpiryEntries: number
  /** FileStorage durability: `always` fdatasyncs before acknowledging. */
  readonly storageSync: 'always' | 'never'
  /**
   * FileStorage's `preallocateBytes`: how far ahead of the log the active WAL segment is kept
   * zero-filled. 0: off; else 4096 to 64 MiB. Absent: storage-fs's default (1 MiB with
   * `storageSync: always`, 0 with `never`).
   */
  readonly storagePreallocateBytes?: number
  /**
   * FileStorage's `inlineSync`: where an append's fdatasync runs. `when-idle`: on the main
   * thread when the log was idle, else on libuv's thread pool; `never`: always on the pool.
   * Absent: storage-fs's default (`when-idle`).
   */
  readonly storageInlineSync?: 'when-idle' | 'never'
}

export interface LimitSettings {
  /** Largest key, in UTF-8 bytes. */
  readonly maxKeyBytes: number
  /** Largest value (request body), in bytes. */
  readonly maxValueBytes: number
  /** Largest Raft message on the peer transport, in bytes. */
  readonly maxMessageBytes: number
  /** Messages queued per peer while its connection is down. */
  readonly maxQueuedMessages: number
}

export interface ClientSettings {
  /** How long one attempt on one server may take. */
  readonly requestTimeoutMs: number
  /** Overall limit of one operation, retries included. */
  readonly deadlineMs: number
  /** Pauses between rounds of failed attempts. */
  readonly backoff: BackoffOptions
}

/** The `http` section: the HTTP server's connection, timeout and body-memory bounds. */
export type HttpSettings = HttpLimits

export const DEFAULT_SERVER_SETTINGS: ServerSettings = Object.freeze({
  maxRaftState: 4 * 1024 * 1024,
  requestTimeoutMs: DEFAULT_SERVER_REQUEST_TIMEOUT_MS,
  sessionExpiryEntries: DEFAULT_SESSION_EXPIRY_ENTRIES,
  storageSync: 'always' as const,
})

export const DEFAULT_LIMITS: LimitSettings = Object.freeze({
  maxKeyBytes: 1024,
  maxValueBytes: 1024 * 1024,
  maxMessageBytes: 16 * 1024 * 1024,
  maxQueuedMessages: 1024,
})

export const DEFAULT_CLIENT_SETTINGS: ClientSettings = Object.freeze({
  requestTimeoutMs: 1000,
  deadlineMs: 10_000,
  backoff: DEFAULT_BACKOFF,
})

export const DEFAULT_HTTP_SETTINGS: HttpSettings = DEFAULT_HTTP_LIMITS

/** The `server` fields; `storagePreallocateBytes` has no default of its own (storage-fs's). */
const SERVER_FIELDS = [
  ...Object.keys(DEFAULT_SERVER_SETTINGS),
  'storagePreallocateBytes',
  'storageInlineSync',
]

/** Bytes a Raft message needs beyond the largest key and value (framing, headers, session). */
const MESSAGE_OVERHEAD_BYTES = 4096

export function parseServer(v: unknown): ServerSettings {
  if (v === undefined) return DEFAULT_SERVER_SETTINGS
  const o = object('server', v)
  onlyKnown('server', o, SERVER_FIELDS)
  const d = DEFAULT_SERVER_SETTINGS
  const maxRaftState = o.maxRaftState ?? d.maxRaftState
  if (maxRaftState !== -1) int('server.maxRaftState', maxRaftState, 1)
  const storageSync = o.storageSync ?? d.storageSync
  if (storageSync !== 'always' && storageSync !== 'never')
    fail('server.storageSync', `expected "always" or "never", got ${show(storageSync)}`)
  // The sizes FileStorage.open accepts: a bad one fails here, naming the field, before start.
  const prealloc = o.storagePreallocateBytes
  if (
    prealloc !== undefined &&
    prealloc !== 0 &&
    (typeof prealloc !== 'number' ||
      !Number.isSafeInteger(prealloc) ||
      prealloc < MIN_PREALLOCATE_BYTES ||
      prealloc > MAX_PREALLOCATE_BYTES)
  )
    fail(
      'server.storagePreallocateBytes',
      `expected 0 (off) or an integer in ${MIN_PREALLOCATE_BYTES}..${MAX_PREALLOCATE_BYTES}, got ${show(prealloc)}`,
    )
  const inlineSync = o.storageInlineSync
  if (inlineSync !== undefined && inlineSync !== 'when-idle' && inlineSync !== 'never')
    fail('server.storageInlineSync', `expected "when-idle" or "never", got ${show(inlineSync)}`)
  return {
    maxRaftState: maxRaftState as number,
    requestTimeoutMs: int('server.requestTimeoutMs', o.requestTimeoutMs ?? d.requestTimeoutMs, 1),
    sessionExpiryEntries: int(
      'server.sessionExpiryEntries',
      o.sessionExpiryEntries ?? d.sessionExpiryEntries,
      1,
    ),
    storageSync,
    ...(prealloc === undefined ? {} : { storagePreallocateBytes: prealloc }),
    ...(inlineSync === undefined ? {} : { storageInlineSync: inlineSync }),
  }
}

export function parseLimits(v: unknown, raft: RaftConfig): LimitSettings {
  const o = v === undefined ? {} : object('limits', v)
  onlyKnown('limits', o, Object.keys(DEFAULT_LIMITS))
  const d = DEFAULT_LIMITS
  const limits: LimitSettings = {
    maxKeyBytes: int('limits.maxKeyBytes', o.maxKeyBytes ?? d.maxKeyBytes, 1),
    maxValueBytes: int('limits.maxValueBytes', o.maxValueBytes ?? d.maxValueBytes, 1),
    maxMessageBytes: int('limits.maxMessageBytes', o.maxMessageBytes ?? d.maxMessageBytes, 1024),
    maxQueuedMessages: int(
      'limits.maxQueuedMessages',
      o.maxQueuedMessages ?? d.maxQueuedMessages,
      1,
    ),
  }
  const needed = limits.maxKeyBytes + limits.maxValueBytes + MESSAGE_OVERHEAD_BYTES
  if (limits.maxMessageBytes < needed)
    fail(
      'limits.maxMessageBytes',
      `must be at least maxKeyBytes + maxValueBytes + ${MESSAGE_OVERHEAD_BYTES} (${needed}) so that one entry always fits in a message`,
    )
  if (limits.maxMessageBytes < raft.snapshotChunkBytes + MESSAGE_OVERHEAD_BYTES)
    fail(
      'limits.maxMessageBytes',
      `must be at least raft.snapshotChunkBytes + ${MESSAGE_OVERHEAD_BYTES} (${raft.snapshotChunkBytes + MESSAGE_OVERHEAD_BYTES})`,
    )
  return limits
}

export function parseClient(v: unknown): ClientSettings {
  if (v === undefined) return DEFAULT_CLIENT_SETTINGS
  const o = object('client', v)
  onlyKnown('client', o, Object.keys(DEFAULT_CLIENT_SETTINGS))
  const d = DEFAULT_CLIENT_SETTINGS
  const b = o.backoff === undefined ? {} : object('client.backoff', o.backoff)
  onlyKnown('client.backoff', b, Object.keys(DEFAULT_BACKOFF))
  const backoff: BackoffOptions = {
    initialMs: num('client.backoff.initialMs', b.initialMs ?? d.backoff.initialMs, 1),
    maxMs: num('client.backoff.maxMs', b.maxMs ?? d.backoff.maxMs, 1),
    multiplier: num('client.backoff.multiplier', b.multiplier ?? d.backoff.multiplier, 1),
  }
  if (backoff.maxMs < backoff.initialMs)
    fail('client.backoff.maxMs', `must be at least initialMs (${backoff.initialMs})`)
  return {
    requestTimeoutMs: int('client.requestTimeoutMs', o.requestTimeoutMs ?? d.requestTimeoutMs, 1),
    deadlineMs: int('client.deadlineMs', o.deadlineMs ?? d.deadlineMs, 1),
    backoff,
  }
}

export function parseHttp(v: unknown): HttpSettings {
  if (v === undefined) return DEFAULT_HTTP_SETTINGS
  const o = object('http', v)
  onlyKnown('http', o, Object.keys(DEFAULT_HTTP_SETTINGS))
  const d = DEFAULT_HTTP_SETTINGS
  const field = (name: keyof HttpSettings): number => int(`http.${name}`, o[name] ?? d[name], 1)
  const http: HttpSettings = {
    maxConnections: field('maxConnections'),
    headersTimeoutMs: field('headersTimeoutMs'),
    bodyTimeoutMs: field('bodyTimeoutMs'),
    requestTimeoutMs: field('requestTimeoutMs'),
    keepAliveTimeoutMs: field('keepAliveTimeoutMs'),
    maxPendingBodyBytes: field('maxPendingBodyBytes'),
    rpcMaxInFlight: field('rpcMaxInFlight'),
    rpcIdleTimeoutMs: field('rpcIdleTimeoutMs'),
    rpcMaxUnsentBytes: field('rpcMaxUnsentBytes'),
  }
  if (http.requestTimeoutMs <= http.headersTimeoutMs)
    fail(
      'http.requestTimeoutMs',
      `must be greater than http.headersTimeoutMs (${http.headersTimeoutMs})`,
    )
  return http
}
