/**
 * How a KvCluster (harness.ts) is made — its options and create()'s check of them — and the
 * key/value lab's constants the scenarios and the runner share.
 */
import type { Clock, Logger, RaftConfig } from '@raftkit/raft-core'
import type { NetworkFactory } from '../raft/cluster-options.js'
import type { StorageFactory } from '../raft/storage-harness.js'
import type { TraceSink } from '../raft/trace.js'
import type { RpcLatency } from './delayed-rpc.js'

/** The tester's allowance for an election (kvraft config.go electionTimeout). */
export const KV_ELECTION_TIMEOUT_MS = 1000
/** Budget of the final Porcupine check (linearizabilityCheckTimeout). */
export const LINEARIZABILITY_CHECK_TIMEOUT_MS = 1000
/**
 * One-way clerk↔server latency used under the simulated clock (see DelayedKvRpc): 5–15 ms
 * each way, so a clerk operation takes about 20 ms, the order of what the lab's clerks see.
 */
export const DEFAULT_SIM_RPC_LATENCY: RpcLatency = Object.freeze({ minMs: 5, maxMs: 15 })

export interface KvClusterOptions {
  readonly servers: number
  /** Drop and delay Raft messages and clerk requests/replies (the lab's reliable=false). */
  readonly unreliable?: boolean
  /** Snapshot when the persisted Raft state reaches this many bytes; -1: never. */
  readonly maxRaftState: number
  readonly seed: number
  readonly clock: Clock
  readonly createNetwork: NetworkFactory
  /** @default MemoryStorage per server */
  readonly createStorage?: StorageFactory
  readonly raftConfig?: Partial<RaftConfig>
  readonly logger?: Logger
  /** Receives role changes and the harness's fault actions. */
  readonly trace?: TraceSink
  /** Receives the begin/"Passed" lines. */
  readonly log?: (line: string) => void
  /** One-way clerk↔server latency (none for the real clock). @default none */
  readonly rpcLatency?: RpcLatency
  /** How long a clerk waits for one server before trying another. @default 1000 */
  readonly clerkRequestTimeoutMs?: number
  /**
   * Put every server's storage behind a simulated disk (see cluster/disk-harness.ts). The
   * runner turns it on for every simulated run. @default false
   */
  readonly diskModel?: boolean
  /**
   * Servers from this index on start as nodes joining the cluster (they know no member until a
   * leader adds them; the membership scenarios do). @default servers
   */
  readonly initialVoters?: number
}

/** Throws a RangeError for a server count, maxRaftState or initialVoters out of range. */
export function checkKvClusterOptions(options: KvClusterOptions): void {
  if (!Number.isSafeInteger(options.servers) || options.servers < 1)
    throw new RangeError(`servers must be a positive integer, got ${String(options.servers)}`)
  const m = options.maxRaftState
  if (m !== -1 && !(Number.isSafeInteger(m) && m > 0))
    throw new RangeError(`maxRaftState must be -1 or a positive integer, got ${String(m)}`)
  const iv = options.initialVoters
  if (iv !== undefined && !(Number.isSafeInteger(iv) && iv >= 1 && iv <= options.servers))
    throw new RangeError(`initialVoters must be an integer in 1..servers, got ${String(iv)}`)
}
