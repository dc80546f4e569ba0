/** Lab 3B: the key/value service with snapshots (kvraft test_test.go, 6.5840 Spring 2023). */
import { check } from '../checks.js'
import { KV_ELECTION_TIMEOUT_MS } from '../harness.js'
import type { KvCluster } from '../harness.js'
import { kvScenario } from '../scenario.js'
import type { KvScenario } from '../scenario.js'
import { genericScenario, speedScenario } from './generic.js'
import type { GenericParams } from './generic.js'

/** maxraftstate of the 3B tests. */
export const MAX_RAFT_STATE_3B = 1000
/** TestSnapshotSize3B: the largest snapshot allowed. */
export const MAX_SNAPSHOT_STATE = 500

function checkLogTrimmed(c: KvCluster, maxraftstate: number): void {
  const sz = c.logSize()
  if (sz > 8 * maxraftstate) throw c.fail(`logs were not trimmed (${sz} > 8*${maxraftstate})`)
}

/** A server cut off while the majority snapshots must be caught up (by InstallSnapshot). */
async function snapshotRPC(c: KvCluster): Promise<void> {
  const maxraftstate = MAX_RAFT_STATE_3B
  const ck = c.makeClient(c.all())
  c.begin('Test: InstallSnapshot RPC (3B)')
  await ck.put('a', 'A', null)
  await check(c, ck, 'a', 'A')

  // a bunch of puts into the majority partition.
  c.partition([0, 1], [2])
  {
    const ck1 = c.makeClient([0, 1])
    for (let i = 0; i < 50; i++) await ck1.put(String(i), String(i), null)
    await c.sleep(KV_ELECTION_TIMEOUT_MS)
    await ck1.put('b', 'B', null)
  }

  // check that the majority partition has thrown away most of its log entries.
  checkLogTrimmed(c, maxraftstate)

  // now make group that requires participation of lagging server, so that it has to catch up.
  c.partition([0, 2], [1])
  {
    const ck1 = c.makeClient([0, 2])
    await ck1.put('c', 'C', null)
    await ck1.put('d', 'D', null)
    await check(c, ck1, 'a', 'A')
    await check(c, ck1, 'b', 'B')
    await check(c, ck1, '1', '1')
    await check(c, ck1, '49', '49')
  }

  // now everybody
  c.partition([0, 1, 2], [])
  await ck.put('e', 'E', null)
  await check(c, ck, 'c', 'C')
  await check(c, ck, 'e', 'E')
  await check(c, ck, '1', '1')
  c.end()
}

export const TestSnapshotRPC3B = kvScenario({
  name: 'TestSnapshotRPC3B',
  part: '3B',
  description: 'Test: InstallSnapshot RPC (3B)',
  servers: 3,
  maxRaftState: MAX_RAFT_STATE_3B,
  run: snapshotRPC,
})

/** 800 operations on one key: the log stays trimmed and the snapshot stays small. */
async function snapshotSize(c: KvCluster): Promise<void> {
  const maxraftstate = MAX_RAFT_STATE_3B
  const ck = c.makeClient(c.all())
  c.begin('Test: snapshot size is reasonable (3B)')
  for (let i = 0; i < 200; i++) {
    await ck.put('x', '0', null)
    await check(c, ck, 'x', '0')
    await ck.put('x', '1', null)
    await check(c, ck, 'x', '1')
  }
  // check that servers have thrown away most of their log entries
  checkLogTrimmed(c, maxraftstate)
  // check that the snapshots are not unreasonably large
  const ssz = c.snapshotSize()
  if (ssz > MAX_SNAPSHOT_STATE) throw c.fail(`snapshot too large (${ssz} > ${MAX_SNAPSHOT_STATE})`)
  c.end()
}

export const TestSnapshotSize3B = kvScenario({
  name: 'TestSnapshotSize3B',
  part: '3B',
  description: 'Test: snapshot size is reasonable (3B)',
  servers: 3,
  maxRaftState: MAX_RAFT_STATE_3B,
  run: snapshotSize,
})

export const TestSpeed3B = speedScenario('TestSpeed3B', '3B', MAX_RAFT_STATE_3B)

const base: GenericParams = {
  nclients: 1,
  servers: 5,
  unreliable: false,
  crash: true,
  partitions: false,
  maxRaftState: MAX_RAFT_STATE_3B,
  randomKeys: false,
}

export const TestSnapshotRecover3B = genericScenario('TestSnapshotRecover3B', '3B', base)

export const TestSnapshotRecoverManyClients3B = genericScenario(
  'TestSnapshotRecoverManyClients3B',
  '3B',
  { ...base, nclients: 20 },
)

export const TestSnapshotUnreliable3B = genericScenario('TestSnapshotUnreliable3B', '3B', {
  ...base,
  nclients: 5,
  unreliable: true,
  crash: false,
})

export const TestSnapshotUnreliableRecover3B = genericScenario(
  'TestSnapshotUnreliableRecover3B',
  '3B',
  { ...base, nclients: 5, unreliable: true },
)

export const TestSnapshotUnreliableRecoverConcurrentPartition3B = genericScenario(
  'TestSnapshotUnreliableRecoverConcurrentPartition3B',
  '3B',
  { ...base, nclients: 5, unreliable: true, partitions: true },
)

export const TestSnapshotUnreliableRecoverConcurrentPartitionLinearizable3B = genericScenario(
  'TestSnapshotUnreliableRecoverConcurrentPartitionLinearizable3B',
  '3B',
  { ...base, nclients: 15, servers: 7, unreliable: true, partitions: true, randomKeys: true },
)

export const scenarios3B: readonly KvScenario[] = Object.freeze([
  TestSnapshotRPC3B,
  TestSnapshotSize3B,
  TestSpeed3B,
  TestSnapshotRecover3B,
  TestSnapshotRecoverManyClients3B,
  TestSnapshotUnreliable3B,
  TestSnapshotUnreliableRecover3B,
  TestSnapshotUnreliableRecoverConcurrentPartition3B,
  TestSnapshotUnreliableRecoverConcurrentPartitionLinearizable3B,
])
