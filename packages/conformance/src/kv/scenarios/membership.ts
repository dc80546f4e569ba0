/**
 * The key/value chaos scenarios with random membership changes mixed in (issue 13): the lab's
 * GenericTest (unreliable network, restarts, partitions, snapshots) on 7 servers of which 5
 * start as voters and 2 as joining nodes, while the churner (churn.ts) adds learners, promotes
 * them, removes voters (the leader too), replaces a voter by a spare and transfers leadership.
 * Each ends, like its twin, with the per-client append checks and the linearizability check
 * of the whole history. Names contain Membership or LeadershipTransfer, so
 * `--grep 'Membership|Learner|LeadershipTransfer'` selects them with the Raft-level ones.
 */
import type { KvScenario } from '../scenario.js'
import { MAX_RAFT_STATE_3B } from './3b.js'
import { CHURN_KINDS } from './churn.js'
import { genericScenario } from './generic.js'
import type { GenericParams } from './generic.js'
import { TestLeadershipTransferUnderLoadNoUnavailable3A } from './transfer.js'

const base: GenericParams = {
  nclients: 5,
  servers: 7,
  initialVoters: 5,
  unreliable: true,
  crash: false,
  partitions: false,
  maxRaftState: -1,
  randomKeys: false,
  churn: CHURN_KINDS,
}

export const TestMembershipChurnUnreliable3A = genericScenario(
  'TestMembershipChurnUnreliable3A',
  '3A',
  base,
)

export const TestMembershipChurnPersistPartitionUnreliable3A = genericScenario(
  'TestMembershipChurnPersistPartitionUnreliable3A',
  '3A',
  { ...base, crash: true, partitions: true },
)

export const TestMembershipChurnPartitionUnreliableLinearizable3A = genericScenario(
  'TestMembershipChurnPartitionUnreliableLinearizable3A',
  '3A',
  { ...base, nclients: 15, partitions: true, randomKeys: true },
)

/** Only leadership transfers, under partitions and restarts. */
export const TestLeadershipTransferChurnPersistPartitionUnreliable3A = genericScenario(
  'TestLeadershipTransferChurnPersistPartitionUnreliable3A',
  '3A',
  { ...base, servers: 5, crash: true, partitions: true, churn: ['transfer'] },
)

/** Joining nodes catch up by InstallSnapshot; a restart recovers membership from a snapshot. */
export const TestMembershipChurnSnapshotUnreliableRecoverPartition3B = genericScenario(
  'TestMembershipChurnSnapshotUnreliableRecoverPartition3B',
  '3B',
  { ...base, crash: true, partitions: true, maxRaftState: MAX_RAFT_STATE_3B },
)

export const scenariosKvMembership: readonly KvScenario[] = Object.freeze([
  TestMembershipChurnUnreliable3A,
  TestMembershipChurnPersistPartitionUnreliable3A,
  TestMembershipChurnPartitionUnreliableLinearizable3A,
  TestLeadershipTransferChurnPersistPartitionUnreliable3A,
  TestMembershipChurnSnapshotUnreliableRecoverPartition3B,
  TestLeadershipTransferUnderLoadNoUnavailable3A,
])
