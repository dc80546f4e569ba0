/** A shard lab scenario (4A: shard controller, 4B: sharded key/value): name, cluster, steps. */
import type { ShardCluster } from './harness.js'

export type ShardPart = '4A' | '4B'

export interface ShardScenario {
  /** The lab's test name with its part appended, e.g. "TestBasic4A", "TestJoinLeave4B". */
  readonly name: string
  readonly part: ShardPart
  /** The lab's title. */
  readonly description: string
  /** Replica groups (3 servers each) besides the 3 controller replicas; 0 for 4A. */
  readonly groups: number
  readonly unreliable: boolean
  /** Snapshot threshold of the replica groups in bytes of persisted Raft state; -1: none. */
  readonly maxRaftState: number
  /**
   * Session expiry of the replica groups and the controller, in idle entries of their logs
   * (`sessionExpiryEntries` of ShardKvServer and ShardCtrlerServer); absent: their default.
   */
  readonly sessionExpiryEntries?: number
  run(cluster: ShardCluster): Promise<void>
}

export function shardScenario(
  spec: Pick<ShardScenario, 'name' | 'part' | 'description' | 'run'> &
    Partial<Pick<ShardScenario, 'groups' | 'unreliable' | 'maxRaftState' | 'sessionExpiryEntries'>>,
): ShardScenario {
  return Object.freeze({
    groups: spec.part === '4A' ? 0 : 3,
    unreliable: false,
    maxRaftState: -1,
    ...spec,
  })
}
