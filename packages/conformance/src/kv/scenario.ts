/** A key/value lab scenario (3A/3B): its name, the cluster it needs, and its steps. */
import type { KvCluster } from './harness.js'

export type KvPart = '3A' | '3B'

export interface KvScenario {
  /** The lab's test name, e.g. "TestBasic3A". */
  readonly name: string
  readonly part: KvPart
  /** The lab's title, e.g. "Test: one client (3A)". */
  readonly description: string
  readonly servers: number
  readonly unreliable: boolean
  /** Snapshot threshold in bytes of persisted Raft state; -1: no snapshots. */
  readonly maxRaftState: number
  /** Servers from this index on start as joining nodes (membership scenarios). @default servers */
  readonly initialVoters?: number
  run(cluster: KvCluster): Promise<void>
}

/** Builds a scenario (reliable and without snapshots unless said otherwise). */
export function kvScenario(
  spec: Pick<KvScenario, 'name' | 'part' | 'description' | 'servers' | 'run'> &
    Partial<Pick<KvScenario, 'unreliable' | 'maxRaftState' | 'initialVoters'>>,
): KvScenario {
  return Object.freeze({ unreliable: false, maxRaftState: -1, ...spec })
}
