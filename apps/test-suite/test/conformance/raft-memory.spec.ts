// The Raft lab scenarios (2A–2D) over transport-memory + raft-core's MemoryStorage, in
// simulated time with a fixed seed (override with RAFTKIT_SEED).
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { memoryStorage, raftScenarios } from '@raftkit/conformance/raft'

raftScenarios({
  name: 'transport-memory + MemoryStorage',
  clock: 'sim',
  createNetwork: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
  createStorage: memoryStorage,
})
