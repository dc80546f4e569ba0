// The shard lab scenarios (4A/4B) over transport-memory + storage-fs FileStorage (real files in
// a temporary directory per replica, behind the simulated disks: a shut-down replica's disk
// loses power mid-write and the restart reopens its directory), simulated clock. A slice in
// `npm test`: every 4A scenario and the 4B scenarios that shut groups down and restart them
// from their files, seed 1. The whole set: `raftkit-conformance --grep '4[AB]$' --storage fs`
// (TESTING.md lists the seeds run and one open problem).
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { fileStorage } from '@raftkit/conformance/storage-fs'
import { shardScenarios } from '@raftkit/conformance/shard'

shardScenarios({
  name: 'transport-memory + FileStorage',
  clock: 'sim',
  grep: /4A$|^TestStaticShards4B$|^TestJoinLeave4B$|^TestSnapshot4B$/,
  seeds: [1],
  quiet: true,
  createNetwork: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
  createStorage: fileStorage(),
})
