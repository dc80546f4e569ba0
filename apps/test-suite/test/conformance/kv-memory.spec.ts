// The key/value lab scenarios (3A, 3B) over transport-memory + raft-core's MemoryStorage (Raft
// traffic) and MemoryKvRpc (clerk traffic), in simulated time with a fixed seed (override with
// RAFTKIT_SEED). The whole set in real time: npm run conformance -- --grep '3[AB]' --clock real
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { memoryStorage } from '@raftkit/conformance/raft'
import { kvScenarios } from '@raftkit/conformance/kv'

kvScenarios({
  name: 'transport-memory + MemoryStorage',
  clock: 'sim',
  createNetwork: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
  createStorage: memoryStorage,
})
