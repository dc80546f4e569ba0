/**
 * How a Cluster (harness.ts) is made — its options and the network factory it takes — and the
 * lab's time constants the scenarios and the other harnesses share.
 */
import type { Clock, Logger, Network, NodeId, RaftConfig } from '@raftkit/raft-core'
import type { NodeFactory } from './node.js'
import type { StorageFactory } from './storage-harness.js'
import type { TraceSink } from './trace.js'

/** The tester's allowance for one election (config.go RaftElectionTimeout). */
export const ELECTION_TIMEOUT_MS = 1000
/** applierSnap snapshots after every SNAPSHOT_INTERVAL-th index (9, 19, 29, ...). */
export const SNAPSHOT_INTERVAL = 10
/** A test that ran longer than this (clock time) fails in end(). */
export const TEST_TIME_LIMIT_MS = 120_000
/**
 * The most simulated disk time a scenario may add to TEST_TIME_LIMIT_MS (KvCluster.allowDiskTime):
 * the limit was set for storage that takes no time.
 */
export const MAX_DISK_ALLOWANCE_MS = 120_000

export type NetworkFactory = (
  ids: readonly NodeId[],
  options: { readonly seed: number; readonly clock: Clock },
) => Network | Promise<Network>

export interface ClusterOptions {
  readonly servers: number
  /** Servers from this index on start as joining nodes (membership scenarios). @default servers */
  readonly initialVoters?: number
  /** Drop and delay messages (the lab's reliable=false). */
  readonly unreliable?: boolean
  /** Use the applierSnap checker, which makes the service snapshot every 10 entries. */
  readonly snapshot?: boolean
  readonly seed: number
  /** SimulatedClock or SystemClock; the harness wraps it to observe every timer. */
  readonly clock: Clock
  readonly createNetwork: NetworkFactory
  readonly createStorage: StorageFactory
  /** @default Raft.create from raft-core */
  readonly createNode?: NodeFactory
  readonly raftConfig?: Partial<RaftConfig>
  readonly logger?: Logger
  /** Receives role changes, applies and fault actions. */
  readonly trace?: TraceSink
  /** Receives the begin/end lines ("Test (2A): ... / ... Passed --"). */
  readonly log?: (line: string) => void
  /** Clock time between two log-matching checks (the other invariants run on every step). @default 100 */
  readonly invariantIntervalMs?: number
  /** Check Raft's safety invariants after every timer (the lab's checks run regardless). @default true */
  readonly invariants?: boolean
  /**
   * Put every node's storage behind a simulated disk (see disk-harness.ts): writes take clock
   * time drawn from the seed and crashes cut power mid-write. The runners turn it on for every
   * simulated run. @default false
   */
  readonly diskModel?: boolean
}
