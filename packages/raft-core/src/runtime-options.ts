/**
 * What `Raft.create` takes and what `Raft.start` returns, and the checks and loading that run
 * before a node starts: the node's identity against its peers and transport (ConfigError
 * naming the field), and the persisted state (StorageError when it cannot be read).
 */
import { ConfigError, RaftError, StorageError } from './errors.js'
import type { Clock } from './clock.js'
import type { RaftConfig } from './config.js'
import type { Logger } from './logger.js'
import type { Rng } from './rng.js'
import type { PersistedState, Storage } from './storage.js'
import type { Transport } from './transport.js'
import type { Index, NodeId, Term } from './types.js'

export interface RaftOptions {
  readonly id: NodeId
  /**
   * The initial voters of the cluster, including `id`. Once the log or a snapshot holds a
   * configuration (after the first membership change), that configuration is used instead.
   */
  readonly peers: readonly NodeId[]
  /**
   * Start as a node joining an existing cluster: it knows no member and never campaigns until
   * the leader has sent it a configuration that makes it a voter (add it as a learner, then
   * promote it). `peers` is ignored. With storage that already holds a configuration (a
   * restart), that configuration is used either way.
   */
  readonly join?: boolean
  readonly transport: Transport
  readonly storage: Storage
  /** @default new SystemClock() */
  readonly clock?: Clock
  /** Randomness for election timeouts. @default randomRng() */
  readonly rng?: Rng
  /** @default silentLogger */
  readonly logger?: Logger
  /** Timing and limits; missing fields take DEFAULT_RAFT_CONFIG. */
  readonly config?: Partial<RaftConfig>
}

export interface StartResult {
  /** Index the command will occupy if it commits; -1 when this node is not the leader. */
  readonly index: Index
  readonly term: Term
  readonly isLeader: boolean
}

/** Throws ConfigError unless `id` is one of a non-empty list of distinct, non-empty peer ids. */
export function validatePeers(id: NodeId, peers: readonly NodeId[], transport: Transport): void {
  if (typeof id !== 'string' || id.length === 0)
    throw new ConfigError('id', 'must be a non-empty string')
  if (!Array.isArray(peers) || peers.length === 0)
    throw new ConfigError('peers', 'must list every member of the cluster, including this node')
  for (const p of peers)
    if (typeof p !== 'string' || p.length === 0)
      throw new ConfigError('peers', `must hold non-empty strings, got ${String(p)}`)
  if (new Set(peers).size !== peers.length)
    throw new ConfigError('peers', 'must not contain duplicates')
  if (!peers.includes(id)) throw new ConfigError('peers', `must include this node's id "${id}"`)
  if (transport.id !== id)
    throw new ConfigError('transport', `belongs to "${transport.id}", not to this node "${id}"`)
}

/** The persisted state; a failure that is not a RaftError already becomes a StorageError. */
export async function loadState(storage: Storage): Promise<PersistedState> {
  try {
    return await storage.load()
  } catch (error) {
    if (error instanceof RaftError) throw error
    throw new StorageError(`could not load the persisted state: ${String(error)}`, { cause: error })
  }
}
