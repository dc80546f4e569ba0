/**
 * The replica groups' protocol: client requests (get/put/append), the group-to-group migration
 * requests (pull a shard's data, tell its old owner to delete it), their replies, and the
 * commands of a group's log. Everything decoded from the network or the log is validated field
 * by field (BadShardKvRequest), so a bad peer or a corrupt entry changes nothing.
 */
import type { Session } from '@raftkit/kv-service'
import { packValue, unpackValue } from '@raftkit/raft-core'
import type { ShardConfig } from '../common.js'
import { NSHARDS, isGid } from '../common.js'

export type OpRequest = {
  readonly type: 'op'
  readonly op: 'get' | 'put' | 'append'
  readonly key: string
  readonly value: string
  readonly clientId: string
  readonly seq: number
  /**
   * The session's issue stamp (the same on every request of a client id; 0 when absent): a
   * request of a dropped session stamped below the shard's horizon is refused (sessions.ts).
   */
  readonly since?: number
}
/** Asks the previous owner for the data and sessions of `shards` as of configuration `num`. */
export type PullRequest = { readonly type: 'pull'; readonly num: number; readonly shards: number[] }
/** Tells the previous owner that `shards` (of configuration `num`) arrived: it may delete them. */
export type DeleteRequest = {
  readonly type: 'delete'
  readonly num: number
  readonly shards: number[]
}
export type ShardKvRequest = OpRequest | PullRequest | DeleteRequest

/** A shard's at-most-once entry: kv-service's Session plus the session's issue stamp. */
export interface ShardSession extends Session {
  /** The highest `since` of the session's requests (raises the horizon when it expires). */
  readonly since: number
}

/** One shard in transit: its key/value pairs and its at-most-once session table. */
export interface ShardData {
  readonly shard: number
  readonly data: ReadonlyArray<readonly [string, string]>
  readonly sessions: ReadonlyArray<readonly [string, ShardSession]>
  /** The table's horizon (sessions.ts); 0 when absent (data of an older version). */
  readonly horizon?: number
}

export type ShardKvFailure =
  /** This group does not serve the key's shard now (not its shard, or its data has not arrived). */
  | 'WRONG_GROUP'
  | 'WRONG_LEADER'
  | 'TIMEOUT'
  | 'STOPPED'
  /** The group has not reached the configuration a migration request names. */
  | 'NOT_READY'
  /**
   * The write's session is unknown to the shard and stamped below its horizon: it may have
   * expired after this very write ran, so it was not run now; the outcome of earlier attempts
   * is unknown. Use a new session (a new client id) for the next requests.
   */
  | 'SESSION_EXPIRED'

export type ShardKvReply =
  | { readonly ok: true; readonly value?: string; readonly shards?: ShardData[] }
  | { readonly ok: false; readonly error: ShardKvFailure }
  | { readonly ok: false; readonly error: 'BAD_REQUEST' | 'CONFLICT'; readonly message: string }

export type ShardKvCommand =
  | {
      readonly t: 'op'
      readonly op: 'get' | 'put' | 'append'
      readonly key: string
      readonly value: string
      readonly clientId: string
      readonly seq: number
      readonly since?: number
    }
  | { readonly t: 'config'; readonly config: ShardConfig }
  | { readonly t: 'install'; readonly num: number; readonly shards: ShardData[] }
  | { readonly t: 'delete'; readonly num: number; readonly shards: number[] }
  | { readonly t: 'gcdone'; readonly num: number; readonly shards: number[] }
  /** Appended by a new leader so that entries of earlier terms commit. */
  | { readonly t: 'noop' }

export class BadShardKvRequest extends Error {
  override readonly name = 'BadShardKvRequest'
}

function fail(msg: string): never {
  throw new BadShardKvRequest(msg)
}

const MAX_KEY = 1024
const MAX_VALUE = 1024 * 1024

function str(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string' || v.length > max)
    fail(`${field} must be a string of at most ${max} characters`)
  return v
}

function count(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    fail(`${field} must be a non-negative integer`)
  return v
}

function shardList(v: unknown): number[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > NSHARDS)
    fail('shards must be a non-empty array')
  const out = v.map((s) => count(s, 'shard'))
  for (const s of out) if (s >= NSHARDS) fail(`a shard must be below ${NSHARDS}`)
  if (new Set(out).size !== out.length) fail('shards must not repeat')
  return out.sort((a, b) => a - b)
}

function op(o: Record<string, unknown>): Omit<OpRequest, 'type'> & { since: number } {
  if (o.op !== 'get' && o.op !== 'put' && o.op !== 'append') fail('op must be get, put or append')
  const clientId = str(o.clientId, 'clientId', 256)
  if (clientId.length === 0) fail('clientId must not be empty')
  const seq = count(o.seq, 'seq')
  if (seq < 1) fail('seq must be positive')
  return {
    op: o.op,
    key: str(o.key, 'key', MAX_KEY),
    value: str(o.value, 'value', MAX_VALUE),
    clientId,
    seq,
    since: o.since === undefined ? 0 : count(o.since, 'since'),
  }
}

export function validateShardKvRequest(raw: unknown): ShardKvRequest {
  if (typeof raw !== 'object' || raw === null) fail('not an object')
  const o = raw as Record<string, unknown>
  switch (o.type) {
    case 'op':
      return { type: 'op', ...op(o) }
    case 'pull':
    case 'delete':
      return { type: o.type, num: count(o.num, 'num'), shards: shardList(o.shards) }
    default:
      fail(`unknown request type ${String(o.type)}`)
  }
}

function session(v: unknown): ShardSession {
  if (typeof v !== 'object' || v === null) fail('a session must be an object')
  const s = v as Record<string, unknown>
  return {
    seq: count(s.seq, 'session.seq'),
    result: str(s.result, 'session.result', MAX_VALUE),
    lastIndex: count(s.lastIndex, 'session.lastIndex'),
    digest: str(s.digest, 'session.digest', 64),
    refusedLimit: count(s.refusedLimit, 'session.refusedLimit'),
    since: s.since === undefined ? 0 : count(s.since, 'session.since'),
  }
}

export function validateShardData(v: unknown): ShardData {
  if (typeof v !== 'object' || v === null) fail('shard data must be an object')
  const o = v as Record<string, unknown>
  const shard = count(o.shard, 'shard')
  if (shard >= NSHARDS) fail(`a shard must be below ${NSHARDS}`)
  if (!Array.isArray(o.data) || !Array.isArray(o.sessions)) fail('data and sessions must be arrays')
  const data = (o.data as unknown[]).map((kv) => {
    if (!Array.isArray(kv) || kv.length !== 2) fail('data entries must be [key, value]')
    return [str(kv[0], 'key', MAX_KEY), str(kv[1], 'value', Number.MAX_SAFE_INTEGER)] as const
  })
  const sessions = (o.sessions as unknown[]).map((e) => {
    if (!Array.isArray(e) || e.length !== 2) fail('session entries must be [clientId, session]')
    return [str(e[0], 'clientId', 256), session(e[1])] as const
  })
  const horizon = o.horizon === undefined ? 0 : count(o.horizon, 'horizon')
  return { shard, data, sessions, horizon }
}

export function validateConfig(v: unknown): ShardConfig {
  if (typeof v !== 'object' || v === null) fail('config must be an object')
  const o = v as Record<string, unknown>
  const num = count(o.num, 'config.num')
  if (!Array.isArray(o.shards) || o.shards.length !== NSHARDS)
    fail(`config.shards must have ${NSHARDS} entries`)
  const shards = (o.shards as unknown[]).map((g) => count(g, 'config.shards[]'))
  if (!Array.isArray(o.groups)) fail('config.groups must be an array')
  const groups = (o.groups as unknown[]).map((e) => {
    if (!Array.isArray(e) || e.length !== 2 || !isGid(e[0]) || !Array.isArray(e[1]))
      fail('config.groups entries must be [gid, servers]')
    return [e[0], (e[1] as unknown[]).map((s) => str(s, 'server', 256))] as const
  })
  return { num, shards, groups }
}

function validateCommand(raw: unknown): ShardKvCommand {
  if (typeof raw !== 'object' || raw === null) fail('not an object')
  const o = raw as Record<string, unknown>
  switch (o.t) {
    case 'op':
      return { t: 'op', ...op(o) }
    case 'config':
      return { t: 'config', config: validateConfig(o.config) }
    case 'install':
      if (!Array.isArray(o.shards)) fail('shards must be an array')
      return {
        t: 'install',
        num: count(o.num, 'num'),
        shards: (o.shards as unknown[]).map(validateShardData),
      }
    case 'delete':
    case 'gcdone':
      return { t: o.t, num: count(o.num, 'num'), shards: shardList(o.shards) }
    case 'noop':
      return { t: 'noop' }
    default:
      fail(`unknown command ${String(o.t)}`)
  }
}

export function encodeShardKvCommand(cmd: ShardKvCommand): Uint8Array {
  return packValue(cmd)
}

export function decodeShardKvCommand(bytes: Uint8Array): ShardKvCommand {
  return validateCommand(unpackValue(bytes))
}
