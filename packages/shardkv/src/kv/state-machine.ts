/**
 * A replica group's replicated state: its current configuration (and the one before, whose
 * owners it pulls from), and per shard a status, the key/value pairs and the session table.
 *
 * Shard statuses:
 * - `serving`: ours in the current configuration, data here;
 * - `pulling`: ours, data not here yet (its previous owner has it);
 * - `leaving`: no longer ours, data kept (frozen) until the new owner says it has it;
 * - `gc`: ours, data installed and served, the previous owner not yet told to delete it;
 * - `absent`: not ours, nothing kept (a moved-away shard is garbage-collected).
 *
 * Configurations are applied one at a time, in order, and only when every shard is `serving`
 * or `absent`. A key is served only in `serving` or `gc` (shards received early are served at
 * once; shards not involved in a stuck migration stay available). At-most-once is per shard:
 * each shard carries its own session table (kv-service's rules via retryAnswer), and the table
 * travels with the shard, so a write retried at the new owner after a migration is answered
 * from the table instead of running twice. Tables are bounded by expiry decided in the log
 * (`sessionExpiryEntries`, sessions.ts): a write of a dropped session is refused, never re-run.
 */
import type { Index, StateMachine } from '@raftkit/raft-core'
import { packValue, unpackValue } from '@raftkit/raft-core'
import { KvConfigError, requestDigest, retryAnswer } from '@raftkit/kv-service'
import type { Gid, ShardConfig } from '../common.js'
import { EMPTY_CONFIG, NSHARDS, key2shard } from '../common.js'
import type { ShardData, ShardKvCommand } from './commands.js'
import { decodeShardKvCommand, validateConfig, validateShardData } from './commands.js'
import { SessionTable } from './sessions.js'

export type ShardStatus = 'serving' | 'pulling' | 'leaving' | 'gc' | 'absent'

interface ShardState {
  status: ShardStatus
  data: Map<string, string>
  sessions: SessionTable
}

export type ShardKvResult =
  | { readonly status: 'ok'; readonly value: string }
  | { readonly status: 'wrong-group' }
  | { readonly status: 'conflict'; readonly message: string }
  /** The write's session is unknown and stamped below the shard's horizon: not run. */
  | { readonly status: 'session-expired' }
  /** A configuration/migration command that did not apply (stale or early): nothing changed. */
  | { readonly status: 'ignored' }
  | { readonly status: 'malformed'; readonly message: string }

const SNAPSHOT_FORMAT = 'raftkit-shardkv/1'

/** Sessions unused for this many entries of the group's log are dropped (sessions.ts). */
export const DEFAULT_SHARD_SESSION_EXPIRY_ENTRIES = 10_000

export interface ShardKvStateMachineOptions {
  /** @default DEFAULT_SHARD_SESSION_EXPIRY_ENTRIES */
  readonly sessionExpiryEntries?: number
}

function emptyShard(status: ShardStatus): ShardState {
  return { status, data: new Map(), sessions: new SessionTable() }
}

export class ShardKvStateMachine implements StateMachine<ShardKvResult> {
  readonly sessionExpiryEntries: number
  private cur: ShardConfig = EMPTY_CONFIG
  private prev: ShardConfig = EMPTY_CONFIG
  private shards: ShardState[] = Array.from({ length: NSHARDS }, () => emptyShard('absent'))

  constructor(
    readonly gid: Gid,
    options: ShardKvStateMachineOptions = {},
  ) {
    const n = options.sessionExpiryEntries ?? DEFAULT_SHARD_SESSION_EXPIRY_ENTRIES
    if (!Number.isSafeInteger(n) || n < 1)
      throw new KvConfigError(
        'sessionExpiryEntries',
        `must be a positive integer, got ${String(n)}`,
      )
    this.sessionExpiryEntries = n
  }

  get config(): ShardConfig {
    return this.cur
  }

  get previous(): ShardConfig {
    return this.prev
  }

  status(shard: number): ShardStatus {
    return (this.shards[shard] as ShardState).status
  }

  /** True when the key's shard is served here now. */
  serves(key: string): boolean {
    const s = this.status(key2shard(key))
    return s === 'serving' || s === 'gc'
  }

  /** Every shard is serving or absent: the next configuration may be applied. */
  steady(): boolean {
    return this.shards.every((s) => s.status === 'serving' || s.status === 'absent')
  }

  /** Shards in `status`, ascending. */
  shardsIn(status: ShardStatus): number[] {
    const out: number[] = []
    this.shards.forEach((s, i) => {
      if (s.status === status) out.push(i)
    })
    return out
  }

  /** Keys stored across all shards (for tests and metrics). */
  keyCount(): number {
    return this.shards.reduce((n, s) => n + s.data.size, 0)
  }

  /** Session entries held across all shards (for tests and metrics). */
  sessionCount(): number {
    return this.shards.reduce((n, s) => n + s.sessions.size, 0)
  }

  /** The frozen data of `shards` for their new owner, if all are `leaving` at configuration `num`. */
  export(num: number, shards: readonly number[]): ShardData[] | null {
    if (this.cur.num !== num) return null
    const out: ShardData[] = []
    for (const s of shards) {
      const st = this.shards[s] as ShardState
      if (st.status !== 'leaving') return null
      out.push(shardData(s, st))
    }
    return out
  }

  apply(command: Uint8Array, index: Index): ShardKvResult {
    let cmd: ShardKvCommand
    try {
      cmd = decodeShardKvCommand(command)
    } catch (e) {
      return { status: 'malformed', message: e instanceof Error ? e.message : String(e) }
    }
    for (const st of this.shards)
      if (st.status === 'serving' || st.status === 'gc')
        st.sessions.expire(index, this.sessionExpiryEntries)
    switch (cmd.t) {
      case 'op':
        return this.op(cmd, index)
      case 'config':
        return this.applyConfig(cmd.config)
      case 'install':
        return this.install(cmd.num, cmd.shards, index)
      case 'delete':
        return this.transition(cmd.num, cmd.shards, 'leaving', 'absent')
      case 'gcdone':
        return this.transition(cmd.num, cmd.shards, 'gc', 'serving')
      case 'noop':
        return { status: 'ignored' }
    }
  }

  snapshot(): Uint8Array {
    return packValue({
      format: SNAPSHOT_FORMAT,
      gid: this.gid,
      config: this.cur,
      prev: this.prev,
      shards: this.shards.map((s, i) => ({ status: s.status, ...shardData(i, s) })),
    })
  }

  restore(snapshot: Uint8Array): void {
    const o = unpackValue(snapshot) as Record<string, unknown>
    if (o?.format !== SNAPSHOT_FORMAT || !Array.isArray(o.shards) || o.shards.length !== NSHARDS)
      throw new Error(`not a shard group snapshot (${SNAPSHOT_FORMAT})`)
    const cur = validateConfig(o.config)
    const prev = validateConfig(o.prev)
    const shards = (o.shards as Array<Record<string, unknown>>).map((s, i) => {
      const status = s.status as ShardStatus
      if (!['serving', 'pulling', 'leaving', 'gc', 'absent'].includes(status))
        throw new Error(`bad shard status in snapshot: ${String(status)}`)
      const d = validateShardData({ ...s, shard: i })
      return { status, data: new Map(d.data), sessions: new SessionTable(d.sessions, d.horizon) }
    })
    this.cur = cur
    this.prev = prev
    this.shards = shards
  }

  private op(cmd: Extract<ShardKvCommand, { t: 'op' }>, index: Index): ShardKvResult {
    if (!this.serves(cmd.key)) return { status: 'wrong-group' }
    const st = this.shards[key2shard(cmd.key)] as ShardState
    if (cmd.op === 'get') return { status: 'ok', value: st.data.get(cmd.key) ?? '' }
    const digest = requestDigest({ op: cmd.op, key: cmd.key, value: cmd.value })
    const since = cmd.since ?? 0
    const session = st.sessions.get(cmd.clientId)
    if (!session && since < st.sessions.horizon) return { status: 'session-expired' }
    if (session && cmd.seq <= session.seq) {
      const answer = retryAnswer(session, cmd, digest)
      if (answer.status === 'ok') {
        st.sessions.touch(cmd.clientId, session, index)
        return { status: 'ok', value: '' }
      }
      return {
        status: 'conflict',
        message: `seq ${cmd.seq} of ${cmd.clientId} was used by another request (last ${session.seq})`,
      }
    }
    const old = st.data.get(cmd.key) ?? ''
    st.data.set(cmd.key, cmd.op === 'put' ? cmd.value : old + cmd.value)
    st.sessions.touch(
      cmd.clientId,
      {
        seq: cmd.seq,
        result: '',
        lastIndex: index,
        digest,
        refusedLimit: 0,
        since: Math.max(since, session?.since ?? 0),
      },
      index,
    )
    return { status: 'ok', value: '' }
  }

  private applyConfig(next: ShardConfig): ShardKvResult {
    if (next.num !== this.cur.num + 1 || !this.steady()) return { status: 'ignored' }
    for (let s = 0; s < NSHARDS; s++) {
      const st = this.shards[s] as ShardState
      const mineNow = this.cur.shards[s] === this.gid
      const mineNext = next.shards[s] === this.gid
      if (mineNext && !mineNow)
        this.shards[s] = emptyShard(this.cur.shards[s] === 0 ? 'serving' : 'pulling')
      else if (!mineNext && mineNow) st.status = 'leaving'
    }
    this.prev = this.cur
    this.cur = next
    return { status: 'ok', value: '' }
  }

  private install(num: number, shards: readonly ShardData[], index: Index): ShardKvResult {
    if (num !== this.cur.num) return { status: 'ignored' }
    let any = false
    for (const d of shards) {
      const st = this.shards[d.shard] as ShardState
      if (st.status !== 'pulling') continue
      this.shards[d.shard] = {
        status: 'gc',
        data: new Map(d.data),
        sessions: SessionTable.installed(d.sessions, d.horizon ?? 0, index),
      }
      any = true
    }
    return any ? { status: 'ok', value: '' } : { status: 'ignored' }
  }

  private transition(
    num: number,
    shards: readonly number[],
    from: ShardStatus,
    to: ShardStatus,
  ): ShardKvResult {
    if (num !== this.cur.num) return { status: 'ignored' }
    let any = false
    for (const s of shards) {
      const st = this.shards[s] as ShardState
      if (st.status !== from) continue
      this.shards[s] = to === 'absent' ? emptyShard('absent') : { ...st, status: to }
      any = true
    }
    return any ? { status: 'ok', value: '' } : { status: 'ignored' }
  }
}

function shardData(shard: number, st: ShardState): ShardData {
  return {
    shard,
    data: [...st.data],
    sessions: st.sessions.entries(),
    horizon: st.sessions.horizon,
  }
}
