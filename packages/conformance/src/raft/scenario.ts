/** A lab scenario: its name, the cluster it needs, and its steps. */
import type { Cluster } from './harness.js'

/** The lab's parts, and 'M': membership changes, learners and leadership transfer (issue 13). */
export type Part = '2A' | '2B' | '2C' | '2D' | 'M'

/**
 * What a scenario needs from the adapters under test. An adapter that lacks one declares it
 * false in its capabilities, and the scenarios that need it are registered as pending.
 */
export interface ClusterCapabilities {
  /** The Raft implementation supports service snapshots (2D). @default true */
  readonly snapshots: boolean
  /** The network counts requests delivered per node (TestCount2B). @default true */
  readonly rpcCounts: boolean
  /** The network counts bytes (TestRPCBytes2B). @default true */
  readonly byteCounts: boolean
  /**
   * The Raft implementation changes membership and transfers leadership (RaftNode's optional
   * membership methods), and the network serves endpoints of nodes that join later. @default true
   */
  readonly membership: boolean
}

export const DEFAULT_CAPABILITIES: ClusterCapabilities = Object.freeze({
  snapshots: true,
  rpcCounts: true,
  byteCounts: true,
  membership: true,
})

export interface Scenario {
  /** The lab's test name, e.g. "TestInitialElection2A". */
  readonly name: string
  readonly part: Part
  /** The lab's description, printed by begin(): "Test (2A): initial election". */
  readonly description: string
  readonly servers: number
  /**
   * Servers 0..initialVoters-1 form the initial cluster; the others start empty as joining
   * nodes (Raft.create's `join`), to be added by the scenario. @default servers
   */
  readonly initialVoters?: number
  readonly unreliable: boolean
  /** Use the applierSnap checker (2D). */
  readonly snapshot: boolean
  readonly requires: ReadonlyArray<keyof ClusterCapabilities>
  run(cluster: Cluster): Promise<void>
}

/** Builds a scenario with the defaults most tests use (reliable, no snapshots). */
export function scenario(
  spec: Pick<Scenario, 'name' | 'part' | 'description' | 'servers' | 'run'> &
    Partial<Pick<Scenario, 'unreliable' | 'snapshot' | 'requires' | 'initialVoters'>>,
): Scenario {
  return Object.freeze({ unreliable: false, snapshot: false, requires: [], ...spec })
}
