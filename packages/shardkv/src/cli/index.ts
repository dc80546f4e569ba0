/**
 * @packageDocumentation
 * The sharded cluster's command line as a library (`@raftkit/shardkv/cli`): `runShardCli`, which
 * kv-service's `raftkit` bin loads to run `init --groups`, `shard ...` and the node and client
 * commands of a cluster file with a `shard` section, and `shardChaos`, the sharded part of
 * `raftkit chaos`.
 */
export { runShardCli, SHARD_USAGE } from './commands.js'
export type { ShardIo } from './commands.js'
export { shardChaos } from './chaos.js'
