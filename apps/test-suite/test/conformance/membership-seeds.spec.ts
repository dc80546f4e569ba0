// A slice of the membership sweep (issue 13) in the default run: the Raft-level membership,
// learner and leadership-transfer scenarios and the key/value chaos scenarios with random
// membership changes, on a few more seeds than the suites' seed 1, over transport-memory +
// MemoryStorage on simulated disks. The full sweep: npm run sweep:membership -w @raftkit/conformance
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { memoryStorage, raftScenarios } from '@raftkit/conformance/raft'
import { kvScenarios } from '@raftkit/conformance/kv'

const grep = /Membership|Learner|LeadershipTransfer/
const createNetwork = (_ids: readonly string[], o: Parameters<typeof createMemoryNetwork>[0]) =>
  createMemoryNetwork(o)

for (const seed of [2, 3])
  raftScenarios({
    name: 'membership slice, transport-memory + MemoryStorage',
    clock: 'sim',
    seed,
    grep,
    quiet: true,
    createNetwork,
    createStorage: memoryStorage,
  })

kvScenarios({
  name: 'membership slice, transport-memory + MemoryStorage',
  clock: 'sim',
  seed: 2,
  grep,
  quiet: true,
  createNetwork,
  createStorage: memoryStorage,
})
