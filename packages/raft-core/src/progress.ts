/**
 * The leader's view of one follower (etcd's tracker.Progress), as a small state machine:
 * - probe:     we do not know where the follower's log matches ours. Send one AppendEntries at a
 *              time and wait for its answer (or the next heartbeat reply) before sending another.
 * - replicate: the follower matched; stream entries optimistically, advancing `next` on send,
 *              with at most maxInflightAppends unacknowledged appends.
 * - snapshot:  the entries the follower needs are compacted; send the snapshot in chunks (one in
 *              flight) and send no entries until it reports the snapshot installed.
 */
import type { ProgressState } from './status.js'
import type { Index, Snapshot } from './types.js'

/** A snapshot being streamed to one follower. */
export interface SnapshotTransfer {
  readonly snapshot: Snapshot
  /** Bytes the follower acknowledged holding; the next chunk starts here. */
  offset: number
  /** Ticks since the last chunk was sent (a chunk is resent after a heartbeat interval). */
  ticksSinceSend: number
}

export class Progress {
  match: Index = 0
  next: Index
  state: ProgressState = 'probe'
  /** Probe state: an append is outstanding; wait for an answer before sending another. */
  probeSent = false
  /** The last heartbeat round sent to this follower (broadcastHeartbeat's readContext). */
  heartbeatRound = 0
  /**
   * The heartbeat round last sent when the outstanding probe went out: a reply to a later round
   * shows the probe or its answer was lost (the probe is retried then, not on every reply).
   */
  probeRound = 0
  /** Replicate state: last index of each unacknowledged append, oldest first. */
  inflights: Index[] = []
  /**
   * Heard from since the last checkQuorum round. A new Progress starts active: a new member
   * gets an election timeout to answer, and a new leader's first window passes on the quorum
   * that just voted for it, as a later window counts replies to messages sent before it began
   * (otherwise a leader whose first replies are delayed steps down: TESTING.md, "A new
   * leader's first CheckQuorum window").
   */
  recentActive = true
  /** Highest ReadIndex round this follower acknowledged in the current term. */
  readAck = 0
  transfer: SnapshotTransfer | undefined

  constructor(next: Index) {
    this.next = next
  }

  becomeProbe(next: Index): void {
    this.state = 'probe'
    this.next = Math.max(next, this.match + 1)
    this.probeSent = false
    this.inflights = []
    this.transfer = undefined
  }

  becomeReplicate(): void {
    this.state = 'replicate'
    this.next = this.match + 1
    this.probeSent = false
    this.inflights = []
    this.transfer = undefined
  }

  /** Starts streaming `snapshot`; returns the new transfer. */
  becomeSnapshot(snapshot: Snapshot): SnapshotTransfer {
    this.state = 'snapshot'
    this.probeSent = false
    this.inflights = []
    this.transfer = { snapshot, offset: 0, ticksSinceSend: 0 }
    return this.transfer
  }

  /**
   * Records an acknowledged match; returns true if it moved forward (which also ends an
   * outstanding probe: an older acknowledgement does not, or every answer a restarted follower
   * gives to what queued up for it would resend the same batch).
   */
  maybeUpdate(match: Index): boolean {
    if (match <= this.match) return false
    this.probeSent = false
    this.match = match
    this.next = Math.max(this.next, match + 1)
    // Acknowledged appends are the oldest ones (inflights is in sending order).
    let acked = 0
    while (acked < this.inflights.length && (this.inflights[acked] as Index) <= match) acked++
    if (acked > 0) this.inflights.splice(0, acked)
    return true
  }

  /** True when no more appends may be sent now. */
  isPaused(maxInflight: number): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent
      case 'replicate':
        return this.inflights.length >= maxInflight
      case 'snapshot':
        return true
    }
  }

  /** Bookkeeping after sending an append whose last entry is `last` (or an empty probe). */
  sentAppend(last: Index, entryCount: number): void {
    if (this.state === 'replicate' && entryCount > 0) {
      this.next = last + 1
      this.inflights.push(last)
    } else if (this.state === 'probe') {
      this.probeSent = true
      this.probeRound = this.heartbeatRound
    }
  }
}
