/**
 * @packageDocumentation
 * The key/value lab scenarios (3A, 3B) over any Raft Network and Storage: the `KvCluster`
 * harness (the lab's kvraft config.go: KvServers on raftkit, clerks over MemoryKvRpc, the
 * lab's fault controls on both networks), the 23 lab scenarios and 5 with random membership changes, a runner, and `kvScenarios()` to
 * register them with mocha.
 *
 * @example
 * ```ts
 * import { kvScenarios } from '@raftkit/conformance/kv'
 * import { memoryStorage } from '@raftkit/conformance/raft'
 * import { createMemoryNetwork } from '@raftkit/transport-memory'
 *
 * kvScenarios({
 *   name: 'transport-memory + MemoryStorage',
 *   clock: 'sim',
 *   createNetwork: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
 *   createStorage: memoryStorage,
 * })
 * ```
 */
export {
  KvCluster,
  TestClerk,
  KV_ELECTION_TIMEOUT_MS,
  LINEARIZABILITY_CHECK_TIMEOUT_MS,
  DEFAULT_SIM_RPC_LATENCY,
} from './harness.js'
export type { KvClusterOptions } from './harness.js'
export { DelayedKvRpc, NO_LATENCY } from './delayed-rpc.js'
export type { RpcLatency } from './delayed-rpc.js'
export {
  check,
  checkClntAppends,
  checkConcurrentAppends,
  checkLinearizable,
  clntAppendsProblem,
  element,
} from './checks.js'
export { kvScenario } from './scenario.js'
export type { KvPart, KvScenario } from './scenario.js'
export * from './scenarios/index.js'
export { runKvScenario, describeKvFailure } from './runner.js'
export type { KvRunOptions } from './runner.js'
export { kvScenarios } from './register.js'
export type { KvScenariosOptions } from './register.js'
