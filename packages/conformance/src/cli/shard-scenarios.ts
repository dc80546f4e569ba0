/** The shard scenarios for the runner: loaded on demand (they import @raftkit/shardkv and @raftkit/multiraft). */
export { runShardScenario } from '../shard/runner.js'
export { selectShardScenarios } from '../shard/scenarios/index.js'
