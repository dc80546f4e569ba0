// A short subset of the key/value lab scenarios on the real clock (TestBasic3A, TestSpeed3A,
// TestOnePartition3A): the same code paths with real timers, in about 20 s.
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { memoryStorage } from '@raftkit/conformance/raft'
import { kvScenarios } from '@raftkit/conformance/kv'

kvScenarios({
  name: 'transport-memory + MemoryStorage',
  clock: 'real',
  grep: /^(TestBasic3A|TestSpeed3A|TestOnePartition3A)$/,
  createNetwork: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
  createStorage: memoryStorage,
})
