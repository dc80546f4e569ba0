/**
 * The part of raft-core's `Raft` runtime the service uses. `Raft` satisfies it structurally;
 * naming the subset keeps the server honest about its dependencies and lets tests drive the
 * server with a scripted stand-in.
 */
import type { ApplyMsg, Index, LeaderNews, Status, Term } from '@raftkit/raft-core'

export interface KvRaft {
  start(command: Uint8Array): { index: Index; term: Term; isLeader: boolean }
  getState(): { term: Term; isLeader: boolean }
  /** Called whenever the term or leadership changes (pending writes of older terms may be lost). */
  onStateChange(listener: (state: { term: Term; isLeader: boolean }) => void): void
  onApply(handler: (msg: ApplyMsg) => void | Promise<void>): void
  snapshot(index: Index, data: Uint8Array): Promise<void>
  /** Resolves once leadership is confirmed by a fresh heartbeat quorum; rejects NotLeaderError. */
  readIndex(): Promise<Index>
  /**
   * Resolves once the node leads with no leadership transfer under way, or knows the leader,
   * or after `timeoutMs` with what it knows (Raft.awaitLeader); never rejects.
   */
  awaitLeader(timeoutMs: number): Promise<LeaderNews>
  /** The node's status; may throw once the node is killed. */
  status(): Status
  kill(): Promise<void>
}
