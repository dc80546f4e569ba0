/**
 * @packageDocumentation
 * The shard lab scenarios (4A: shard controller, 4B: sharded key/value) over any Raft Network
 * and Storage: the `ShardCluster` harness (controller and replica groups on three
 * MultiRaftNodes, clerks over MemoryShardRpc), the scenarios, a runner, and `shardScenarios()`
 * to register them with mocha. Needs the optional peers @raftkit/shardkv and @raftkit/multiraft.
 *
 * @example
 * ```ts
 * import { shardScenarios } from '@raftkit/conformance/shard'
 * import { createMemoryNetwork } from '@raftkit/transport-memory'
 *
 * shardScenarios({
 *   name: 'transport-memory + MemoryStorage',
 *   clock: 'sim',
 *   createNetwork: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
 * })
 * ```
 */
export { ShardCluster, checkConfig, NODES, CTRLER_GROUP } from './harness.js'
export type { ShardClusterOptions } from './harness.js'
export { shardScenario } from './scenario.js'
export type { ShardPart, ShardScenario } from './scenario.js'
export * from './scenarios/index.js'
export { runShardScenario, describeShardFailure } from './runner.js'
export type { ShardRunOptions } from './runner.js'
export { shardScenarios } from './register.js'
export type { ShardScenariosOptions } from './register.js'
