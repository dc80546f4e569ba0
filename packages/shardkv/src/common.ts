/**
 * What every part of the sharded service shares: the number of shards, the key → shard map,
 * and configurations (which replica group serves which shard, and the servers of each group).
 * Configuration 0 has no groups and every shard on gid 0 ("nobody").
 */
export const NSHARDS = 10

/** The lab's key2shard: the first UTF-16 code unit of the key, mod NSHARDS ("" → shard 0). */
export function key2shard(key: string): number {
  return key.length === 0 ? 0 : key.charCodeAt(0) % NSHARDS
}

export type Gid = number

/** One configuration of the shard controller. Immutable once built. */
export interface ShardConfig {
  /** 0, 1, 2, ... in the controller's history. */
  readonly num: number
  /** shards[s]: the gid that serves shard s (0: none). Length NSHARDS. */
  readonly shards: readonly Gid[]
  /** gid → its servers, sorted by gid (no dependence on object key order). */
  readonly groups: ReadonlyArray<readonly [Gid, readonly string[]]>
}

export const EMPTY_CONFIG: ShardConfig = Object.freeze({
  num: 0,
  shards: Object.freeze(new Array<Gid>(NSHARDS).fill(0)),
  groups: Object.freeze([]),
})

/** The servers of `gid` in `config` (empty when it is not a member). */
export function serversOf(config: ShardConfig, gid: Gid): readonly string[] {
  for (const [g, servers] of config.groups) if (g === gid) return servers
  return []
}

export function gidsOf(config: ShardConfig): Gid[] {
  return config.groups.map(([g]) => g)
}

/** True for a gid the controller accepts: a positive safe integer. */
export function isGid(v: unknown): v is Gid {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0
}

export function sameConfig(a: ShardConfig, b: ShardConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
