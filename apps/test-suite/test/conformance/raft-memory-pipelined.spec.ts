// The Raft lab scenarios (2A–2D) with pipelineLeaderAppends on (leaders replicate while their
// own write is in flight; what `raftkit serve` runs with), in simulated time.
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { memoryStorage, raftScenarios } from '@raftkit/conformance/raft'

raftScenarios({
  name: 'transport-memory + MemoryStorage, pipelineLeaderAppends',
  clock: 'sim',
  seed: 2,
  raftConfig: { pipelineLeaderAppends: true },
  createNetwork: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
  createStorage: memoryStorage,
})
