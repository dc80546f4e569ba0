/**
 * One shard's at-most-once session table, bounded by expiry decided in the log.
 *
 * kv-service's rules (retryAnswer) per shard, with one difference: a shard has no explicit
 * `open` (a client may write to any of the shards, whichever group serves them), so a session
 * is created by its first write. Every request carries `since`, its session's issue stamp
 * (constant for a client id: `ShardKvClient` takes its clock at creation; a node's HTTP API
 * signs the stamp into the ids it issues). When a session has not been used for more than
 * `window` entries of the group's log it is dropped, and the table's `horizon` is raised past
 * its stamp. A request of an unknown session whose stamp is below the horizon may be a retry
 * of a write that ran before its session was dropped: it is refused (`session-expired`), never
 * run. Fresh sessions (stamped after every dropped one) are created as before.
 *
 * The clock is the log index of the entry being applied, so every replica drops the same
 * sessions at the same point. Only shards that execute writes expire (serving, gc): a frozen
 * `leaving` shard exports the same table from every replica. The table travels with its shard
 * (entries and horizon); the receiver restarts the entries' idle count at the install entry.
 * Each applied entry creates at most one session, so a group holds at most about `window`
 * sessions created here plus those that arrived with shards (bounded the same way there).
 */
import type { Index } from '@raftkit/raft-core'
import type { ShardSession } from './commands.js'

export class SessionTable {
  /** Requests of unknown sessions stamped below this are refused (a dropped one may be theirs). */
  horizon: number
  /** Ascending `lastIndex` (a touched session moves to the end), so expiry stops early. */
  private readonly map = new Map<string, ShardSession>()

  constructor(entries: ReadonlyArray<readonly [string, ShardSession]> = [], horizon = 0) {
    this.horizon = horizon
    const sorted = [...entries].sort((a, b) => a[1].lastIndex - b[1].lastIndex)
    for (const [id, s] of sorted) this.map.set(id, s)
  }

  /** The entries of an arriving shard, their idle count restarted at `index`. */
  static installed(
    entries: ReadonlyArray<readonly [string, ShardSession]>,
    horizon: number,
    index: Index,
  ): SessionTable {
    const t = new SessionTable(entries, horizon)
    for (const [id, s] of t.map) t.map.set(id, { ...s, lastIndex: index })
    return t
  }

  get size(): number {
    return this.map.size
  }

  get(clientId: string): ShardSession | undefined {
    return this.map.get(clientId)
  }

  touch(clientId: string, session: ShardSession, index: Index): void {
    this.map.delete(clientId)
    this.map.set(clientId, { ...session, lastIndex: index })
  }

  /** Drops sessions idle for more than `window` entries at `index`, raising the horizon. */
  expire(index: Index, window: number): void {
    for (const [clientId, s] of this.map) {
      if (index - s.lastIndex <= window) return
      this.map.delete(clientId)
      if (s.since >= this.horizon) this.horizon = s.since + 1
    }
  }

  entries(): Array<[string, ShardSession]> {
    return [...this.map]
  }
}
