/**
 * KvServer's options (KvServerOptions, KvServerStartOptions), their defaults, and their
 * validation: serverSettings checks every option once, in a fixed order (the first bad one is
 * the error thrown), and returns the numbers the server's parts run on.
 */
import type { Clock, Logger, RaftOptions, StorageSize } from '@raftkit/raft-core'
import { DEFAULT_RAFT_CONFIG } from '@raftkit/raft-core'
import { KvConfigError } from './errors.js'
import type { KvRaft } from './raft-api.js'

export interface KvServerOptions {
  readonly raft: KvRaft
  readonly clock: Clock
  /** Persisted Raft state size; required when `maxRaftState` is set (e.g. `() => storage.size()`). */
  readonly storageSize?: () => StorageSize
  /** Snapshot when the persisted Raft state reaches this many bytes. Unset or -1: never. */
  readonly maxRaftState?: number
  /** How long one request may wait for commit/apply or leadership confirmation. Default 800 ms. */
  readonly requestTimeoutMs?: number
  /** See KvStateMachine. Default 100 000 entries. */
  readonly sessionExpiryEntries?: number
  /**
   * The largest value (UTF-8 bytes) a key may hold: stamped into each write this server
   * proposes, so every replica refuses a put or an append whose result would exceed it
   * (TOO_LARGE). Unset: no limit.
   */
  readonly maxValueBytes?: number
  /**
   * How long a request this node cannot serve for a moment (a leadership transfer under way,
   * it just stepped down, or an election it takes part in, and it knows no leader yet) waits
   * for the leader to be known before it is refused (after the transfer, from the step-down or
   * its arrival, whichever is later). Default: the default minimum election timeout (300 ms); KvServer.start
   * takes the node's `electionTimeoutMinMs` (a transfer is abandoned after that long).
   */
  readonly leaderWaitMs?: number
  /** Most requests held that way at once; beyond, they are refused at once. Default 1024. */
  readonly maxHeldRequests?: number
  readonly logger?: Logger
}

/** Everything needed to start a Raft node and the service on it, in one call. */
export type KvServerStartOptions = RaftOptions &
  Omit<KvServerOptions, 'raft' | 'clock' | 'storageSize'> & {
    readonly storageSize?: () => StorageSize
  }

export const DEFAULT_SERVER_REQUEST_TIMEOUT_MS = 800
const DEFAULT_MAX_HELD_REQUESTS = 1024

/** The validated numbers of KvServerOptions, defaults filled in. */
export interface KvServerSettings {
  /** -1: never snapshot. */
  readonly maxRaftState: number
  readonly requestTimeoutMs: number
  readonly maxValueBytes: number | undefined
  readonly leaderWaitMs: number
  readonly maxHeldRequests: number
}

/** Checks `options` (throws KvConfigError naming the first bad one) and fills in defaults. */
export function serverSettings(options: KvServerOptions): KvServerSettings {
  const maxRaftState = options.maxRaftState ?? -1
  if (maxRaftState !== -1 && !(Number.isSafeInteger(maxRaftState) && maxRaftState > 0))
    throw new KvConfigError(
      'maxRaftState',
      'must be a positive number of bytes, or -1 for no snapshots',
    )
  if (maxRaftState > 0 && !options.storageSize)
    throw new KvConfigError('storageSize', 'is required when maxRaftState is set')
  const requestTimeoutMs = positive(
    'requestTimeoutMs',
    options.requestTimeoutMs ?? DEFAULT_SERVER_REQUEST_TIMEOUT_MS,
  )
  if (
    options.maxValueBytes !== undefined &&
    !(Number.isSafeInteger(options.maxValueBytes) && options.maxValueBytes > 0)
  )
    throw new KvConfigError('maxValueBytes', 'must be a positive integer')
  const leaderWaitMs = positive(
    'leaderWaitMs',
    options.leaderWaitMs ?? DEFAULT_RAFT_CONFIG.electionTimeoutMinMs,
  )
  const maxHeldRequests = options.maxHeldRequests ?? DEFAULT_MAX_HELD_REQUESTS
  if (!(Number.isSafeInteger(maxHeldRequests) && maxHeldRequests >= 0))
    throw new KvConfigError('maxHeldRequests', 'must be a non-negative integer')
  return {
    maxRaftState,
    requestTimeoutMs,
    maxValueBytes: options.maxValueBytes,
    leaderWaitMs,
    maxHeldRequests,
  }
}

function positive(field: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0))
    throw new KvConfigError(field, `must be positive, got ${String(v)}`)
  return v
}
