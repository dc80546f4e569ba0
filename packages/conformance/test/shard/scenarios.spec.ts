/**
 * The shard lab scenarios over transport-memory and MemoryStorage in simulated time: every 4A
 * scenario on seeds 1 and 2, every 4B scenario on seed 1 (about 40 s). The full seeded sweep
 * is `npm run sweep:shard -w @raftkit/conformance` (see scripts/sweep-shard.ts).
 */
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { shardScenarios } from '../../src/shard/index.js'

const createNetwork = (_ids: readonly string[], o: Parameters<typeof createMemoryNetwork>[0]) =>
  createMemoryNetwork(o)

shardScenarios({
  name: 'transport-memory + MemoryStorage',
  clock: 'sim',
  createNetwork,
  grep: '4A$',
  seeds: [1, 2],
  quiet: true,
})

shardScenarios({
  name: 'transport-memory + MemoryStorage',
  clock: 'sim',
  createNetwork,
  grep: '4B$',
  seeds: [1],
  quiet: true,
})
