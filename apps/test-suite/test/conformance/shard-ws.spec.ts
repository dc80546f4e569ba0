// The shard lab scenarios over transport-ws — every node's MultiRaftNode on real WebSocket
// connections on loopback, authenticated, with the fault controls acting on real sockets — +
// MemoryStorage, real clock. A slice in `npm test` (two 4B scenarios that move shards between
// groups and restart them); the whole set: `raftkit-conformance --grep '4[AB]$' --transport ws
// --clock real` (TESTING.md lists the seeds run).
import { createWsNetwork } from '@raftkit/transport-ws'
import { memoryStorage } from '@raftkit/conformance/raft'
import { shardScenarios } from '@raftkit/conformance/shard'

shardScenarios({
  name: 'transport-ws (loopback) + MemoryStorage',
  clock: 'real',
  grep: /^TestStaticShards4B$|^TestJoinLeave4B$/,
  seeds: [1],
  quiet: true,
  createNetwork: (ids, { seed, clock }) => createWsNetwork({ ids, seed, clock }),
  createStorage: memoryStorage,
})
