/**
 * ReadIndex bookkeeping on the leader (thesis §6.4). A read goes through three stages:
 * 1. waiting:    the leader has not committed an entry of its own term yet, so its commit index
 *                may be stale (bug #2); the read waits for that commit.
 * 2. unsent:     its read index (the commit index) is known; it needs a heartbeat round.
 * 3. confirming: a heartbeat round with a fresh id was sent; once a majority acknowledged a round
 *                at least that recent, leadership at the time of the request is confirmed.
 * Round ids are never reused (bug #3): a delayed ack of an old round cannot confirm a new read.
 */
import type { ReadState } from './ready.js'
import type { Index } from './types.js'

interface PendingRead {
  readonly requestId: number
  readonly index: Index
  readonly round: number
}

export class ReadIndexQueue {
  private waiting: number[] = []
  private unsent: Array<{ readonly requestId: number; readonly index: Index }> = []
  private confirming: PendingRead[] = []
  /** Last heartbeat round id handed out; monotonic for the life of the node. */
  private round = 0

  nextRound(): number {
    return ++this.round
  }

  /** A read that must wait until the leader commits an entry of its term. */
  wait(requestId: number): void {
    this.waiting.push(requestId)
  }

  /** A read whose read index is known; it goes out with the next heartbeat round. */
  add(requestId: number, index: Index): void {
    this.unsent.push({ requestId, index })
  }

  /** The leader committed an entry of its term at `commit`: waiting reads get that index. */
  releaseWaiting(commit: Index): void {
    for (const requestId of this.waiting) this.unsent.push({ requestId, index: commit })
    this.waiting = []
  }

  hasUnsent(): boolean {
    return this.unsent.length > 0
  }

  /** Attaches the unsent reads to heartbeat round `round` (the caller sends that round). */
  markSent(round: number): void {
    for (const r of this.unsent) this.confirming.push({ ...r, round })
    this.unsent = []
  }

  /** Pops the reads whose round a quorum acknowledged (rounds are in increasing order). */
  confirmed(quorumAcked: (round: number) => boolean): ReadState[] {
    const out: ReadState[] = []
    for (let head = this.confirming[0]; head !== undefined; head = this.confirming[0]) {
      if (!quorumAcked(head.round)) break
      this.confirming.shift()
      out.push({ requestId: head.requestId, index: head.index })
    }
    return out
  }

  /** Leadership was lost: pending reads are dropped (the runtime rejects them). */
  clear(): void {
    this.waiting = []
    this.unsent = []
    this.confirming = []
  }
}
