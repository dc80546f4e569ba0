/** The shard controller lab scenarios (4A) over transport-memory and MemoryStorage, simulated time. */
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { shardScenarios } from '../../src/shard/index.js'

shardScenarios({
  name: 'transport-memory + MemoryStorage',
  clock: 'sim',
  createNetwork: (_ids, o) => createMemoryNetwork(o),
  grep: '4A$',
  seeds: [1, 2],
  quiet: true,
})
