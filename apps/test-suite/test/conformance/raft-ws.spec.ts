// A representative subset of the Raft lab scenarios (2A, 2B agreement with a failed follower,
// 2C persistence across restarts) over transport-ws — real WebSocket connections on loopback,
// authenticated, with the fault controls acting on real sockets — + MemoryStorage on the real
// clock. The whole suite over ws: npm run conformance:ws -w @raftkit/conformance.
import { createWsNetwork } from '@raftkit/transport-ws'
import { memoryStorage, raftScenarios } from '@raftkit/conformance/raft'

raftScenarios({
  name: 'transport-ws (loopback) + MemoryStorage',
  clock: 'real',
  grep: /2A$|^TestBasicAgree2B$|^TestFailAgree2B$|^TestPersist12C$/,
  createNetwork: (ids, { seed, clock }) => createWsNetwork({ ids, seed, clock }),
  createStorage: memoryStorage,
})
