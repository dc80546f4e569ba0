/**
 * The runtime's side of membership changes and leadership transfer: the promises that
 * `Raft.changeMembership` (and addLearner / promote / removeNode), `Raft.transferLeadership`
 * and `Raft.awaitLeader` (leader-watch.ts) return, settled by looking at the core after every turn of the pump (`check()`), and the
 * membership listeners. No timers of its own and no I/O: the pump drives it.
 *
 * A change settles when the configuration it leads to is committed and not joint (for a voter
 * change: C_new, which the leader appends by itself after C_old,new). It fails with
 * NotLeaderError when this node loses leadership first: its outcome is then unknown (ask the
 * new leader's membership()), even when a new leader has already overwritten the change's entry
 * here, since another node may still hold that entry and commit it as a later leader
 * (membership-overwritten.spec.ts). Only a different entry committed at its index would show it
 * dropped, and this node cannot know of one before the check() that sees it a follower.
 */
import type { MembershipTarget } from './confchange.js'
import { ChangeInProgressError, LeadershipTransferError, NotLeaderError } from './errors.js'
import { LeaderWatch } from './leader-watch.js'
import type { Logger } from './logger.js'
import { isJoint, isVoter, sameMembership } from './membership.js'
import type { RawNode } from './raw-node.js'
import type { Index, Membership, NodeId, Term } from './types.js'

interface PendingChange {
  readonly target: () => MembershipTarget
  /** Term of the leadership the change was asked of. */
  readonly term: Term
  /** Where its first entry went, once proposed. */
  proposed: { index: Index; term: Term } | undefined
  readonly resolve: (m: Membership) => void
  readonly reject: (e: Error) => void
}

interface PendingTransfer {
  readonly to: NodeId
  readonly term: Term
  /** Ticks left before the transfer is given up if no outcome is known. */
  ticksLeft: number
  readonly resolve: () => void
  readonly reject: (e: Error) => void
}

export class MembershipWaiters {
  private changes: PendingChange[] = []
  private transfers: PendingTransfer[] = []
  private readonly listeners: Array<(m: Membership) => void> = []
  private stopped = false
  private last: Membership
  /** The core's configuration object `last` was copied from (unchanged while it is the same). */
  private lastSeen: Membership
  /** The core's latest committed configuration object at the last check(). */
  private lastCommitted: Membership
  /** Requests held until this node leads (no transfer under way) or knows the leader. */
  readonly leaders: LeaderWatch

  constructor(
    private readonly node: RawNode,
    private readonly logger: Logger,
    /** How long a transfer may stay without an outcome (two maximum election timeouts). */
    private readonly transferTicks: number,
  ) {
    this.lastSeen = node.currentMembership()
    this.lastCommitted = node.committedMembership()
    this.last = node.membership().current
    this.leaders = new LeaderWatch(node)
  }

  /** Starts a change now (or once the leader has committed an entry of its term). */
  change(target: () => MembershipTarget): Promise<Membership> {
    const { term, isLeader } = this.node.getState()
    if (!isLeader) return Promise.reject(new NotLeaderError(this.node.status().leader))
    return new Promise<Membership>((resolve, reject) => {
      const pending: PendingChange = { target, term, proposed: undefined, resolve, reject }
      if (this.tryPropose(pending)) this.changes.push(pending)
    })
  }

  /** Hands leadership to `to`; settles once `to` leads in a later term. */
  transfer(to: NodeId): Promise<void> {
    const { term } = this.node.getState()
    try {
      this.node.transferLeadership(to)
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
    if (to === this.node.id) return Promise.resolve()
    return new Promise<void>((resolve, reject) =>
      this.transfers.push({ to, term, ticksLeft: this.transferTicks, resolve, reject }),
    )
  }

  onChange(listener: (m: Membership) => void): void {
    this.listeners.push(listener)
  }

  /**
   * Settles what the core's state now decides; then tells listeners of a new configuration in
   * effect, or of a new committed one (e.g. a removal that committed: the removed node may go
   * now). Settling first: a change that committed resolves even when a listener, hearing of it,
   * kills the node; and a listener that does ends the round (stop()): the rest are not told.
   * The pump calls this only while the node runs.
   */
  check(): void {
    const seen = this.node.currentMembership()
    const now = seen === this.lastSeen ? this.last : this.node.membership().current
    this.lastSeen = seen
    const committed = this.node.committedMembership()
    const committedMoved =
      committed !== this.lastCommitted && !sameMembership(committed, this.lastCommitted)
    this.lastCommitted = committed
    const moved = now !== this.last && !sameMembership(now, this.last)
    if (this.changes.length > 0) this.changes = this.changes.filter((c) => !this.settleChange(c))
    if (this.transfers.length > 0)
      this.transfers = this.transfers.filter((t) => !this.settleTransfer(t))
    this.leaders.check()
    if (!moved && !committedMoved) return
    this.last = now
    for (const listener of this.listeners) {
      try {
        listener(now)
      } catch (error) {
        this.logger.error('a membership listener threw', { error: String(error) })
      }
      if (this.stopped) return
    }
  }

  /** True while a change, a transfer or an awaitLeader waits to be settled by check(). */
  get waiting(): boolean {
    return this.changes.length > 0 || this.transfers.length > 0 || this.leaders.waiting
  }

  /** One clock tick: transfers that found no outcome in time are given up. */
  tick(): void {
    for (const t of this.transfers) t.ticksLeft--
    this.leaders.tick()
  }

  /**
   * The node stopped: every waiting change and transfer rejects with `reason`, awaitLeader's
   * waits end, and a round of listeners under way tells no one more.
   */
  stop(reason: Error): void {
    this.stopped = true
    for (const c of this.changes) c.reject(reason)
    for (const t of this.transfers) t.reject(reason)
    this.changes = []
    this.transfers = []
    this.leaders.end()
  }

  /** Proposes `c` if the leader is ready; false once `c` is settled (rejected). */
  private tryPropose(c: PendingChange): boolean {
    try {
      c.proposed = this.node.proposeMembership(c.target())
      return true
    } catch (error) {
      if (error instanceof ChangeInProgressError && error.reason === 'leader-not-ready') return true
      c.reject(error as Error)
      return false
    }
  }

  /** True when `c` is settled. */
  private settleChange(c: PendingChange): boolean {
    const { term, isLeader } = this.node.getState()
    const p = c.proposed
    if (p === undefined) {
      if (!isLeader || term !== c.term) {
        c.reject(new NotLeaderError(this.node.status().leader))
        return true
      }
      return !this.tryPropose(c) ? true : false
    }
    const m = this.node.membership()
    if (m.committedIndex >= p.index && !isJoint(m.committed)) {
      c.resolve(m.committed)
      return true
    }
    if (!isLeader || term !== c.term) {
      c.reject(
        new NotLeaderError(
          this.node.status().leader,
          'leadership changed before the membership change committed: its outcome is unknown; check membership() on the leader',
        ),
      )
      return true
    }
    return false
  }

  private settleTransfer(t: PendingTransfer): boolean {
    const st = this.node.status()
    if (st.term > t.term && st.leader === t.to) {
      t.resolve()
      return true
    }
    if (st.role === 'leader' && st.term === t.term && st.leadTransferee !== t.to) {
      const removed = st.membership !== undefined && !isVoter(st.membership, t.to)
      t.reject(
        new LeadershipTransferError(
          t.to,
          removed
            ? 'it is no longer a voter (a membership change removed or demoted it)'
            : 'it did not take over within an election timeout',
        ),
      )
      return true
    }
    if (st.term > t.term && st.leader !== null) {
      t.reject(new LeadershipTransferError(t.to, `"${st.leader}" became leader instead`))
      return true
    }
    if (st.term === t.term && st.role !== 'leader') {
      t.reject(new LeadershipTransferError(t.to, 'this node lost leadership before it completed'))
      return true
    }
    if (t.ticksLeft <= 0) {
      t.reject(new LeadershipTransferError(t.to, 'no leader emerged within two election timeouts'))
      return true
    }
    return false
  }
}
