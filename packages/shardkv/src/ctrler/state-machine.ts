/**
 * The controller's replicated state: the history of configurations (configuration 0 empty)
 * and a session table for at-most-once Join/Leave/Move (kv-service's rules: a retry of the
 * last request is answered from the table, a different request under a used seq is a
 * conflict). Query is answered by the server with a ReadIndex read of `query()` (server.ts);
 * a query entry (written by older versions) is still applied, changing nothing.
 */
import type { Index, StateMachine } from '@raftkit/raft-core'
import { packValue, unpackValue } from '@raftkit/raft-core'
import type { Session } from '@raftkit/kv-service'
import { requestDigest, retryAnswer } from '@raftkit/kv-service'
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

export class CtrlerStateMachine implements StateMachine<CtrlerResult> {
  private configs: ShardConfig[] = [EMPTY_CONFIG]
  private sessions = new Map<string, Session>()

  latest(): ShardConfig {
    return this.configs[this.configs.length - 1] as ShardConfig
  }

  /** Configuration `num`, or the latest for -1 or a number past the end. */
  query(num: number): ShardConfig {
    if (num < 0 || num >= this.configs.length) return this.latest()
    return this.configs[num] as ShardConfig
  }

  apply(command: Uint8Array, index: Index): CtrlerResult {
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
    const session = this.sessions.get(cmd.clientId)
    if (session && cmd.seq <= session.seq) {
      const answer = retryAnswer(session, { clientId: cmd.clientId, seq: cmd.seq, key: '' }, digest)
      if (answer.status === 'ok') return { status: 'ok', config: null }
      return {
        status: 'conflict',
        message: `seq ${cmd.seq} of ${cmd.clientId} was used by another request (last ${session.seq})`,
      }
    }
    const result = this.execute(cmd)
    this.sessions.set(cmd.clientId, {
      seq: cmd.seq,
      result: '',
      lastIndex: index,
      digest,
      refusedLimit: 0,
    })
    return result
  }

  snapshot(): Uint8Array {
    const sessions = [...this.sessions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return packValue({ format: 'raftkit-shardctrler/1', configs: this.configs, sessions })
  }

  restore(snapshot: Uint8Array): void {
    const o = unpackValue(snapshot) as {
      format?: unknown
      configs: ShardConfig[]
      sessions: Array<[string, Session]>
    }
    if (o?.format !== 'raftkit-shardctrler/1' || !Array.isArray(o.configs))
      throw new Error('not a shard controller snapshot (raftkit-shardctrler/1)')
    this.configs = o.configs
    this.sessions = new Map(o.sessions)
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
