/**
 * Holding requests across a leadership change (issue 13). A request this node cannot serve for
 * a moment — it is handing leadership over (proposals are refused meanwhile), it stepped down
 * and has not heard from its successor, or it takes part in an election (a candidate, or a
 * follower that voted in this term) — is held (at most `maxHeldRequests`; while the transfer
 * lasts, which raft-core bounds by two election timeouts, then `leaderWaitMs`, about one
 * election timeout, from the step-down or its arrival, whichever is later) until the node leads
 * (then KvServer serves it here: a transfer aborted, an election won) or knows the leader (then
 * WRONG_LEADER names it, and the clerk retries there at once), so a client is never told "no
 * leader" during a transfer. A pre-candidate (maybe cut off from the majority) does not hold.
 * A held write was never proposed.
 *
 * LeaderWait keeps only what deciding and waiting need (whether the node led when last told,
 * when it last stepped down, how many requests are held); KvServer decides what to do with the
 * news a hold ends with.
 */
import type { Clock, LeaderNews, Status } from '@raftkit/raft-core'
import type { KvRaft } from './raft-api.js'

export interface LeaderWaitOptions {
  readonly raft: Pick<KvRaft, 'status' | 'awaitLeader'>
  readonly clock: Clock
  /** See KvServerOptions.leaderWaitMs. */
  readonly leaderWaitMs: number
  /** See KvServerOptions.maxHeldRequests. */
  readonly maxHeldRequests: number
  /** True once the server is killed: nothing more is held. */
  readonly stopped: () => boolean
}

export class LeaderWait {
  private readonly options: LeaderWaitOptions
  /** Requests held now (see the module comment). */
  private held = 0
  /** Whether this node led when last told, and when it last stepped down. */
  private leading = false
  private steppedDownAt = -Infinity

  constructor(options: LeaderWaitOptions) {
    this.options = options
  }

  /** The node's leadership as last told (onStateChange): notes when it steps down. */
  noteLeadership(isLeader: boolean): void {
    if (this.leading && !isLeader) this.steppedDownAt = this.options.clock.now()
    this.leading = isLeader
  }

  /** True when a request this node cannot serve now should wait for the leader to be known. */
  mayHold(): boolean {
    if (this.options.stopped() || this.held >= this.options.maxHeldRequests) return false
    return this.holdUntil(this.options.clock.now()) !== undefined
  }

  /**
   * Waits until the leader is known: while a transfer is under way here (raft-core abandons
   * one within two election timeouts), then until leaderWaitMs after the step-down or the
   * arrival, whichever is later (holdUntil).
   */
  async hold(): Promise<LeaderNews> {
    this.held++
    const arrived = this.options.clock.now()
    try {
      let news = await this.options.raft.awaitLeader(this.options.leaderWaitMs)
      for (;;) {
        if (news.isLeader || news.leader !== null || this.options.stopped()) return news
        const until = this.holdUntil(arrived)
        if (until === undefined) return news
        news = await this.options.raft.awaitLeader(until - this.options.clock.now())
      }
    } finally {
      this.held--
    }
  }

  /**
   * Until when (clock time) a request that arrived at `arrived` may still wait for the leader
   * to be known: while this node hands leadership over (as long as that lasts); else, if it
   * arrived within leaderWaitMs of this node's step-down, until leaderWaitMs after the later of
   * the two; else, while an election this node takes part in is under way (it is a candidate,
   * or a follower that voted in this term and knows no leader yet: the winner will lead here or
   * be heard of soon), until leaderWaitMs after its arrival. undefined: no reason to wait (it
   * leads and accepts proposals, it knows the leader, or nothing under way here will name one).
   */
  private holdUntil(arrived: number): number | undefined {
    const { raft, clock, leaderWaitMs } = this.options
    let s: Status
    try {
      s = raft.status()
    } catch {
      return undefined
    }
    const now = clock.now()
    if (s.role === 'leader') return s.leadTransferee === undefined ? undefined : now + leaderWaitMs
    if (s.leader !== null) return undefined
    // `leading`: the node stepped down a moment ago and the pump has not told us yet.
    const steppedDownAt = this.leading ? now : this.steppedDownAt
    const until = Math.max(arrived, steppedDownAt) + leaderWaitMs
    if (arrived < steppedDownAt + leaderWaitMs && until > now) return until
    const voting = s.role === 'candidate' || (s.role === 'follower' && s.votedFor !== null)
    const electionUntil = arrived + leaderWaitMs
    return voting && electionUntil > now ? electionUntil : undefined
  }
}
