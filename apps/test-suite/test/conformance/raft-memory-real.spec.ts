// A representative subset of the Raft lab scenarios (2A, and 2B agreement, rejoin and RPC
// counts) over transport-memory + MemoryStorage on the real clock: the same code paths with
// real timers, in about 25 s.
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { memoryStorage, raftScenarios } from '../../src/cluster/index.js'

raftScenarios({
  name: 'transport-memory + MemoryStorage',
  clock: 'real',
  grep: /2A$|^TestBasicAgree2B$|^TestFailAgree2B$|^TestConcurrentStarts2B$|^TestRejoin2B$|^TestCount2B$/,
  createNetwork: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
  createStorage: memoryStorage,
})
