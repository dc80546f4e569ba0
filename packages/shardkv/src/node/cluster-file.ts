/**
 * The sharded cluster file: a raftkit cluster file (nodes, secret, raft, server, limits, ...:
 * kv-service's format and parser) plus a `shard` section saying which nodes host the
 * controller group and which host each replica group:
 *
 * ```json
 * "shard": {
 *   "ctrler": ["n1", "n2", "n3"],
 *   "groups": [{ "gid": 100, "nodes": ["n1", "n2", "n3"] }, { "gid": 101, "nodes": ["n1", "n2", "n3"] }],
 *   "maxRaftState": 1048576,
 *   "maxMigrationBytes": 8388608
 * }
 * ```
 *
 * Every group listed runs on its nodes from `serve` on; it serves shards once it has joined
 * (`raftkit shard join GID`). A file with a `shard` section is what tells `raftkit serve` to
 * hand the node to `raftkit-shard`. Errors are KvConfigError naming the field.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { ClusterConfig } from '@raftkit/kv-service'
import {
  KvConfigError,
  applyOverrides,
  generateCertificates,
  localNodesFile,
  parseClusterConfig,
} from '@raftkit/kv-service'
import { isGid } from '../common.js'
import { DEFAULT_SHARD_SESSION_EXPIRY_ENTRIES } from '../kv/state-machine.js'
import { DEFAULT_MAX_RPC_REPLY_BYTES } from '../net/rpc-protocol.js'

export interface ShardGroupSpec {
  readonly gid: number
  readonly nodes: readonly string[]
}

export interface ShardLayout {
  readonly ctrler: readonly string[]
  readonly groups: readonly ShardGroupSpec[]
  /** Snapshot threshold of every group (bytes of Raft state). */
  readonly maxRaftState: number
  /** Largest shard (msgpack bytes) a migration message may carry. */
  readonly maxMigrationBytes: number
  /** Session expiry, in idle entries of the log: per shard in the groups, and in the controller. */
  readonly sessionExpiryEntries: number
}

export interface ShardCluster {
  readonly config: ClusterConfig
  readonly shard: ShardLayout
  readonly file: string
}

const MAX_GROUPS = 100

function fail(field: string, message: string): never {
  throw new KvConfigError(field, message)
}

function nodeList(field: string, v: unknown, known: ReadonlySet<string>): string[] {
  if (!Array.isArray(v) || v.length === 0) fail(field, 'expected a non-empty array of node ids')
  const out = v.map((n, i) => {
    if (typeof n !== 'string' || !known.has(n))
      fail(`${field}[${i}]`, `expected the id of a node of this file, got ${JSON.stringify(n)}`)
    return n
  })
  if (new Set(out).size !== out.length) fail(field, 'a node is listed twice')
  return out
}

function positive(field: string, v: unknown, fallback: number, min: number): number {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    fail(field, `expected an integer of at least ${min}, got ${JSON.stringify(v)}`)
  return v
}

/** Validates the `shard` section against the file's nodes. */
export function parseShardLayout(raw: unknown, config: ClusterConfig): ShardLayout {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail('shard', 'expected an object with "ctrler" and "groups"')
  const o = raw as Record<string, unknown>
  for (const k of Object.keys(o))
    if (
      !['ctrler', 'groups', 'maxRaftState', 'maxMigrationBytes', 'sessionExpiryEntries'].includes(k)
    )
      fail(`shard.${k}`, 'unknown field')
  const known = new Set(config.nodes.map((n) => n.id))
  const ctrler = nodeList('shard.ctrler', o.ctrler, known)
  if (!Array.isArray(o.groups) || o.groups.length > MAX_GROUPS)
    fail('shard.groups', `expected an array of at most ${MAX_GROUPS} groups`)
  const seen = new Set<number>()
  const groups = o.groups.map((g, i): ShardGroupSpec => {
    const field = `shard.groups[${i}]`
    if (typeof g !== 'object' || g === null) fail(field, 'expected { "gid", "nodes" }')
    const { gid, nodes, ...rest } = g as Record<string, unknown>
    for (const k of Object.keys(rest)) fail(`${field}.${k}`, 'unknown field')
    if (!isGid(gid)) fail(`${field}.gid`, `expected a positive integer, got ${JSON.stringify(gid)}`)
    if (seen.has(gid)) fail(`${field}.gid`, `gid ${gid} is listed twice`)
    seen.add(gid)
    return { gid, nodes: nodeList(`${field}.nodes`, nodes, known) }
  })
  const headroom = 1024 * 1024
  const maxMigrationBytes = positive(
    'shard.maxMigrationBytes',
    o.maxMigrationBytes,
    Math.min(DEFAULT_MAX_RPC_REPLY_BYTES, config.limits.maxMessageBytes - headroom),
    64 * 1024,
  )
  if (maxMigrationBytes > config.limits.maxMessageBytes - headroom)
    fail(
      'shard.maxMigrationBytes',
      `must leave 1 MiB below limits.maxMessageBytes (${config.limits.maxMessageBytes}): a shard is installed through one log entry`,
    )
  return {
    ctrler,
    groups,
    maxRaftState: positive('shard.maxRaftState', o.maxRaftState, 4 * 1024 * 1024, 4096),
    maxMigrationBytes,
    sessionExpiryEntries: positive(
      'shard.sessionExpiryEntries',
      o.sessionExpiryEntries,
      DEFAULT_SHARD_SESSION_EXPIRY_ENTRIES,
      1,
    ),
  }
}

/** Reads a sharded cluster file; `--set path=value` overrides apply to the whole file. */
export async function loadShardCluster(
  file: string,
  overrides: readonly string[] = [],
): Promise<ShardCluster> {
  const path = resolve(file)
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(path, 'utf8'))
  } catch (e) {
    throw new KvConfigError('--config', `cannot read ${path}: ${(e as Error).message}`)
  }
  const all = applyOverrides(raw, overrides) as Record<string, unknown>
  const { shard, ...rest } = all
  if (shard === undefined)
    fail('shard', `${path} has no "shard" section (make one with raftkit init --groups N)`)
  const config = parseClusterConfig(rest, { baseDir: dirname(path) })
  return { config, shard: parseShardLayout(shard, config), file: path }
}

/** True when the file at `path` parses as JSON with a `shard` section (no validation). */
export async function isShardClusterFile(path: string): Promise<boolean> {
  try {
    const raw = JSON.parse(await readFile(resolve(path), 'utf8')) as unknown
    return typeof raw === 'object' && raw !== null && 'shard' in raw
  } catch {
    return false
  }
}

export const FIRST_GID = 100
export const MAX_LOCAL_GROUPS = 16

/**
 * `raftkit init --groups G --nodes N`: a cluster file for N local nodes, each hosting a
 * controller replica and a replica of each of the G groups (gids 100, 101, ...). With `tls`, as
 * `raftkit init --tls`: a CA and a certificate per node in `<dir>/tls` (openssl), named in the
 * file's `tls` sections.
 */
export async function initShardCluster(options: {
  readonly nodes: number
  readonly groups: number
  readonly dir: string
  readonly host?: string
  readonly tls?: boolean
}): Promise<ShardCluster> {
  const g = options.groups
  if (!Number.isSafeInteger(g) || g < 1 || g > MAX_LOCAL_GROUPS)
    fail('--groups', `expected an integer in 1..${MAX_LOCAL_GROUPS}, got ${g}`)
  const local = await localNodesFile(options)
  const ids = local.nodes.map((node) => node.id)
  const raw = {
    ...local,
    shard: {
      ctrler: ids,
      groups: Array.from({ length: g }, (_, i) => ({ gid: FIRST_GID + i, nodes: ids })),
    },
  }
  const dir = resolve(options.dir)
  const { shard, ...rest } = raw
  const config = parseClusterConfig(rest, { baseDir: dir })
  const layout = parseShardLayout(shard, config)
  await mkdir(dir, { recursive: true })
  const file = join(dir, 'cluster.json')
  if (existsSync(file)) fail('--dir', `${file} exists already`)
  if (options.tls)
    await generateCertificates({
      dir: join(dir, 'tls'),
      nodeIds: ids,
      hosts: [options.host ?? '127.0.0.1'],
    })
  await writeFile(file, JSON.stringify(raw, null, 2) + '\n', { mode: 0o600, flag: 'wx' }).catch(
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'EEXIST') fail('--dir', `${file} exists already`)
      throw e
    },
  )
  return { config, shard: layout, file }
}
