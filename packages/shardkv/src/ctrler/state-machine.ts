/**
 * The controller's replicated state: the history of configurations (configuration 0 empty)
 * and a session table for at-most-once Join/Leave/Move (kv-service's rules: a retry of the
 * last request is answered from the table, a different request under a used seq is a
 * conflict). Query is answered by the server with a ReadIndex read of `query()` (server.ts);
 * a query entry (written by older versions) is still applied, changing nothing.
 *
 * The session table is bounded the way a shard's is (kv/sessions.ts, the same SessionTable):
 * a session not used for `sessionExpiryEntries` entries of the controller's log is dropped at
 * the same entry on every replica, and the table's horizon rises past its stamp (`since`,
 * which `CtrlerClient` takes from its clock at creation). A request of an unknown session
 * stamped below the horizon may be the retry of one that ran before the drop: it is refused
 * (`session-expired`), never run. Each entry creates at most one session, so the table holds at
 * most about `sessionExpiryEntries` sessions whatever the number of admin clients.
 */
import type { Index, StateMachine } from '@raftkit/raft-core'
import { packValue, unpackValue } from '@raftkit/raft-core'
import type { Session } from '@raftkit/kv-service'
import { requestDigest, retryAnswer } from '@raftkit/kv-service'
import type { ShardSession } from '../kv/commands.js'
import { SessionTable } from '../kv/sessions.js'
import type { Gid, ShardConfig } from '../common.js'
import { EMPTY_CONFIG, NSHARDS, gidsOf } from '../common.js'
import { rebalance } from '../rebalance.js'
import type { CtrlerCommand } from './commands.js'
import { BadCtrlerRequest, ctrlerDigestInput, decodeCtrlerCommand } from './commands.js'

export type CtrlerResult =
  | { readonly status: 'ok'; readonly config: ShardConfig | null }
  | { readonly status: 'conflict'; readonly message: string }
  | { readonly status: 'unknown-group'; readonly message: string }
  | { readonly status: 'malformed'; readonly message: string }
  /** The request's session is unknown and stamped below the horizon: not run. */
  | { readonly status: 'session-expired' }

/** Controller sessions unused for this many entries of its log are dropped. */
export const DEFAULT_CTRLER_SESSION_EXPIRY_ENTRIES = 10_000

export interface CtrlerStateMachineOptions {
  /** @default DEFAULT_CTRLER_SESSION_EXPIRY_ENTRIES */
  readonly sessionExpiryEntries?: number
}

const FORMAT = 'raftkit-shardctrler/2'

export class CtrlerStateMachine implements StateMachine<CtrlerResult> {
  private configs: ShardConfig[] = [EMPTY_CONFIG]
  private sessions = new SessionTable()
  private readonly sessionExpiryEntries: number

  constructor(options: CtrlerStateMachineOptions = {}) {
    const n = options.sessionExpiryEntries ?? DEFAULT_CTRLER_SESSION_EXPIRY_ENTRIES
    if (!Number.isSafeInteger(n) || n < 1)
      throw new RangeError(`sessionExpiryEntries must be a positive integer, got ${n}`)
    this.sessionExpiryEntries = n
  }

  /** Sessions in the table now. */
  get sessionCount(): number {
    return this.sessions.size
  }

  latest(): ShardConfig {
    return this.configs[this.configs.length - 1] as ShardConfig
  }

  /** Configuration `num`, or the latest for -1 or a number past the end. */
  query(num: number): ShardConfig {
    if (num < 0 || num >= this.configs.length) return this.latest()
    return this.configs[num] as ShardConfig
  }

  apply(command: Uint8Array, index: Index): CtrlerResult {
    this.sessions.expire(index, this.sessionExpiryEntries)
    let cmd: CtrlerCommand
    try {
      cmd = decodeCtrlerCommand(command)
    } catch (e) {
      if (e instanceof BadCtrlerRequest || e instanceof Error)
        return { status: 'malformed', message: e.message }
      throw e
    }
    if (cmd.op === 'query') return { status: 'ok', config: this.query(cmd.num) }
    const digest = requestDigest(ctrlerDigestInput(cmd))
    const since = cmd.since ?? 0
    const session = this.sessions.get(cmd.clientId)
    if (!session && since < this.sessions.horizon) return { status: 'session-expired' }
    if (session && cmd.seq <= session.seq) {
      const answer = retryAnswer(session, { clientId: cmd.clientId, seq: cmd.seq, key: '' }, digest)
      if (answer.status === 'ok') return { status: 'ok', config: null }
      return {
        status: 'conflict',
        message: `seq ${cmd.seq} of ${cmd.clientId} was used by another request (last ${session.seq})`,
      }
    }
    const result = this.execute(cmd)
    const next: ShardSession = {
      seq: cmd.seq,
      result: '',
      lastIndex: index,
      digest,
      refusedLimit: 0,
      since: Math.max(since, session?.since ?? 0),
    }
    this.sessions.touch(cmd.clientId, next, index)
    return result
  }

  /** Format /2 (sessions with stamps, in expiry order, and the horizon); /1 is still read. */
  snapshot(): Uint8Array {
    return packValue({
      format: FORMAT,
      configs: this.configs,
      sessions: this.sessions.entries(),
      horizon: this.sessions.horizon,
    })
  }

  restore(snapshot: Uint8Array): void {
    const o = unpackValue(snapshot) as {
      format?: unknown
      configs: ShardConfig[]
      sessions: Array<[string, Session & { since?: number }]>
      horizon?: number
    }
    const known = o?.format === FORMAT || o?.format === 'raftkit-shardctrler/1'
    if (!known || !Array.isArray(o.configs) || !Array.isArray(o.sessions))
      throw new Error(`not a shard controller snapshot (${FORMAT} or /1)`)
    this.configs = o.configs
    this.sessions = new SessionTable(
      o.sessions.map(([id, s]): [string, ShardSession] => [id, { ...s, since: s.since ?? 0 }]),
      typeof o.horizon === 'number' ? o.horizon : 0,
    )
  }

  private execute(cmd: Exclude<CtrlerCommand, { op: 'query' }>): CtrlerResult {
    const cur = this.latest()
    const groups = new Map<Gid, readonly string[]>(cur.groups)
    let shards: Gid[]
    switch (cmd.op) {
      case 'join':
        for (const [gid, servers] of cmd.groups) groups.set(gid, servers)
        shards = rebalance(cur.shards, [...groups.keys()])
        break
      case 'leave':
        for (const gid of cmd.gids) groups.delete(gid)
        shards = rebalance(cur.shards, [...groups.keys()])
        break
      case 'move':
        if (!groups.has(cmd.gid))
          return {
            status: 'unknown-group',
            message: `gid ${cmd.gid} is not in configuration ${cur.num} (${gidsOf(cur).join(', ')})`,
          }
        shards = [...cur.shards]
        shards[cmd.shard] = cmd.gid
        break
    }
    const next: ShardConfig = {
      num: cur.num + 1,
      shards: shards.slice(0, NSHARDS),
      groups: [...groups].sort((a, b) => a[0] - b[0]),
    }
    this.configs.push(next)
    return { status: 'ok', config: null }
  }
}
