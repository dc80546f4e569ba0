/**
 * What the chaos monkey needs to run against a sharded cluster (a cluster file with a `shard`
 * section, or `raftkit chaos --groups G`), declared here and implemented by @raftkit/shardkv
 * (`shardChaos` in `@raftkit/shardkv/cli`), which this package loads at run time the way the
 * `raftkit` bin loads the sharded commands (cli/extension.ts): shardkv depends on this package,
 * so no static import here.
 *
 * The monkey treats a sharded cluster like a single group for its processes, partitions and
 * workload (every node answers `/v1/kv/<key>` and forwards to the key's group), and asks the
 * plugin for what differs: which node leads which group (faults aimed at "the leader" pick a
 * group's leader), the `migrate` fault (a seeded join, leave or move of replica groups through
 * the controller) and, after the repair, waiting until every shard has settled on its group.
 */
import type { ClusterConfig } from '../index.js'
import type { LeaderInfo } from './admin.js'
import type { FaultStep } from './schedule.js'

/** A sharded cluster as the monkey drives it. */
export interface ShardedChaosCluster {
  /** The cluster file's nodes, secret, limits (the part the workload and processes use). */
  readonly config: ClusterConfig
  /** Raft groups by name ("ctrler", "g100", ...) and the node leading each (highest term). */
  leaders(timeoutMs?: number): Promise<Map<string, LeaderInfo>>
  /** Before the workload: joins the first groups and waits until their shards are served. */
  prepare(say: (line: string) => void, signal?: AbortSignal): Promise<void>
  /**
   * One migration drawn from the step: join a group not serving, leave a serving group (never
   * the last one) or move one shard. Returns the line to print; configurations that changed
   * are counted in `migrations`.
   */
  migrate(step: FaultStep): Promise<string>
  /** Configuration changes made by migrate() that the controller accepted. */
  readonly migrations: number
  /**
   * After the repair: waits (bounded) until every replica of every serving group has applied
   * the latest configuration with no shard in transit. Returns undefined when settled, else
   * what is still moving.
   */
  settle(timeoutMs: number): Promise<string | undefined>
  close(): void
}

/** The plugin @raftkit/shardkv/cli exports as `shardChaos`. */
export interface ShardedChaosPlugin {
  /**
   * Makes a sharded cluster file in `dir` (`raftkit init --groups G --nodes N`, with `tls`:
   * `--tls`, a CA and node certificates made with openssl).
   */
  init(
    dir: string,
    nodes: number,
    groups: number,
    options?: { readonly tls?: boolean },
  ): Promise<string>
  /** Opens the sharded cluster of `configFile` (its nodes need not be running yet). */
  open(configFile: string): Promise<ShardedChaosCluster>
}

/** Kept out of a literal so bundlers and dependency checkers do not take it for a dependency. */
const SHARD_CLI = ['@raftkit', 'shardkv/cli'].join('/')

/** Loads the plugin; a clear error when @raftkit/shardkv is not installed. */
export async function loadShardedChaos(): Promise<ShardedChaosPlugin> {
  let mod: { shardChaos?: ShardedChaosPlugin }
  try {
    // import.meta.resolve is missing where this module is loaded as CommonJS (some test
    // loaders): then a plain dynamic import resolves the same package.
    const target =
      typeof import.meta.resolve === 'function' ? import.meta.resolve(SHARD_CLI) : SHARD_CLI
    mod = (await import(target)) as { shardChaos?: ShardedChaosPlugin }
  } catch (e) {
    throw new Error(
      `a sharded cluster needs @raftkit/shardkv (npm install @raftkit/shardkv): ${(e as Error).message}`,
    )
  }
  if (!mod.shardChaos) throw new Error('the installed @raftkit/shardkv has no chaos support')
  return mod.shardChaos
}
