// A representative subset of the Raft lab scenarios (2A; 2B agreement, rejoin and RPC counts;
// 2D basic snapshots, InstallSnapshot to a lagging peer, restarts from a snapshot) over
// transport-memory + MemoryStorage on the real clock: the same code paths with real timers,
// in about 70 s.
// Every scenario on the real clock: npm run conformance -w @raftkit/conformance -- --clock real --seeds 1
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { memoryStorage, raftScenarios } from '@raftkit/conformance/raft'

raftScenarios({
  name: 'transport-memory + MemoryStorage',
  clock: 'real',
  grep: /2A$|^TestBasicAgree2B$|^TestFailAgree2B$|^TestConcurrentStarts2B$|^TestRejoin2B$|^TestCount2B$|^TestSnapshotBasic2D$|^TestSnapshotInstall2D$|^TestSnapshotAllCrash2D$|^TestSnapshotInit2D$/,
  createNetwork: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
  createStorage: memoryStorage,
})
