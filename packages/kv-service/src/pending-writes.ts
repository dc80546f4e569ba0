/**
 * Writes waiting for their entry. A write (or session open) that `raft.start` placed at
 * (index, term) waits until that index is applied. If the entry applied there is not the one
 * it proposed (another term: a new leader overwrote it), if a snapshot jumps over it, or if the
 * node's term moves on before it applies, the write may be lost: it is answered WRONG_LEADER
 * and the clerk retries elsewhere with the same (clientId, seq), which the session table
 * deduplicates (a retry of it at the new leader runs at most once).
 *
 * A write whose entry was in flight when the term moved on is answered once another leader is
 * known (or earlier, when its entry applies here; if this node leads again, when its index
 * applies). Each waits at most `requestTimeoutMs`, then is answered TIMEOUT.
 */
import type { ApplyMsg, Clock, Index, TimerHandle, Term } from '@raftkit/raft-core'
import type { KvRaft } from './raft-api.js'
import { STOPPED, TIMEOUT, toReply, wrongLeaderOf } from './replies.js'
import type { KvReply } from './rpc.js'
import type { KvApplyResult } from './state-machine.js'

export interface PendingWritesOptions {
  readonly raft: Pick<KvRaft, 'awaitLeader'>
  readonly clock: Clock
  /** How long a write waits for its entry before it is answered TIMEOUT. */
  readonly requestTimeoutMs: number
  /** How long writes of an older term wait for the leader to be known (see onTermChange). */
  readonly leaderWaitMs: number
  /** True once the server is killed. */
  readonly stopped: () => boolean
  /** The WRONG_LEADER reply (naming the leader this node knows) for a write that lost its entry. */
  readonly wrongLeader: () => KvReply
}

interface PendingWrite {
  readonly index: Index
  readonly term: Term
  readonly command: Uint8Array
  /** clock.now() past which it is answered TIMEOUT. */
  readonly deadline: number
  readonly settle: (reply: KvReply) => void
}

export class PendingWrites {
  private readonly options: PendingWritesOptions
  /**
   * Writes waiting for their entry, in the order they were proposed, which is also the order of
   * their deadlines (each is requestTimeoutMs after its proposal): one timer, armed for the
   * oldest deadline, answers every overdue write (no timer per write).
   */
  private readonly pending = new Map<Index, PendingWrite>()
  private deadlineTimer: TimerHandle | undefined

  constructor(options: PendingWritesOptions) {
    this.options = options
  }

  /** Waits for the entry proposed at `placed` to apply (or be lost, or time out). */
  awaitApplied(placed: { index: Index; term: Term }, command: Uint8Array): Promise<KvReply> {
    const { index, term } = placed
    return new Promise<KvReply>((resolve) => {
      // A leader that was deposed and re-elected may reuse an index: the older proposal there
      // is certainly gone from its log.
      const previous = this.pending.get(index)
      if (previous) this.finish(previous, this.options.wrongLeader())
      const deadline = this.options.clock.now() + this.options.requestTimeoutMs
      // After finish(previous): a new key, so it goes last, behind every earlier deadline.
      this.pending.set(index, { index, term, command, deadline, settle: resolve })
      if (this.deadlineTimer === undefined) this.armDeadline(deadline)
    })
  }

  /** The command at (index, term) applied with `result`: answers the write that proposed it. */
  applied(index: Index, term: Term, command: Uint8Array, result: KvApplyResult): void {
    const p = this.pending.get(index)
    if (p && p.term === term && sameBytes(p.command, command)) this.finish(p, toReply(result))
  }

  /**
   * Pending writes at or below the applied index that were not answered lost their entry. A
   * write is pending only above the applied index (its entry was appended after everything
   * applied), and every index above it reaches onApply once (a command or a no-op) unless a
   * snapshot jumps over it: so after a command or no-op only a write at that very index can be
   * left, and only a snapshot needs the scan of every pending write.
   */
  settleUpTo(msg: ApplyMsg): void {
    if (this.pending.size === 0) return
    if (msg.kind !== 'snapshot') {
      const p = this.pending.get(msg.index)
      if (p) this.finish(p, this.options.wrongLeader())
      return
    }
    // Deleting the current entry while iterating a Map is safe (finish deletes it).
    for (const p of this.pending.values())
      if (p.index <= msg.index) this.finish(p, this.options.wrongLeader())
  }

  /**
   * The term moved on: writes proposed in older terms may be gone from the log. They are
   * answered WRONG_LEADER once another leader is known (at once, usually), naming it — unless
   * their entry applies here first, which answers them, or this node leads again (then they
   * wait for their index to apply).
   */
  onTermChange(term: Term): void {
    if (this.options.stopped() || this.pending.size === 0) return
    const orphans = [...this.pending.values()].filter((p) => p.term < term)
    if (orphans.length === 0) return
    void this.options.raft.awaitLeader(this.options.leaderWaitMs).then((news) => {
      // Leading again: the entries may still be in this node's log and commit in its term,
      // which answers them; one overwritten meanwhile is answered when its index applies.
      if (this.options.stopped() || news.isLeader) return
      const reply = wrongLeaderOf(news)
      for (const p of orphans) if (this.pending.get(p.index) === p) this.finish(p, reply)
    })
  }

  /** Answers every pending write STOPPED (kill) and clears the deadline timer. */
  stop(): void {
    for (const p of [...this.pending.values()]) this.finish(p, STOPPED)
  }

  private armDeadline(at: number): void {
    this.deadlineTimer = this.options.clock.setTimeout(
      () => {
        this.deadlineTimer = undefined
        this.expireWrites()
      },
      Math.max(0, at - this.options.clock.now()),
    )
  }

  /** Answers TIMEOUT to every write past its deadline; re-arms for the oldest one left. */
  private expireWrites(): void {
    const now = this.options.clock.now()
    // Deleting the current entry while iterating a Map is safe (finish deletes it).
    for (const p of this.pending.values()) {
      if (p.deadline > now) {
        this.armDeadline(p.deadline)
        return
      }
      this.finish(p, TIMEOUT)
    }
  }

  private finish(p: PendingWrite, reply: KvReply): void {
    if (this.pending.get(p.index) === p) this.pending.delete(p.index)
    if (this.pending.size === 0 && this.deadlineTimer !== undefined) {
      this.options.clock.clearTimeout(this.deadlineTimer)
      this.deadlineTimer = undefined
    }
    p.settle(reply)
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
