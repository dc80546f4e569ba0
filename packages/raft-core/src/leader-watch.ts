/**
 * Waiting until this node can tell a client where to go: it leads with no leadership transfer
 * under way (a proposal is accepted here), or it knows another node as the leader. For a
 * service that holds the requests it cannot serve for a moment — during a leadership transfer,
 * and right after this node stepped down before it heard from its successor — instead of
 * refusing them without a leader to name (issue 13: no 503 window during a transfer).
 * Driven like MembershipWaiters: looked at after every turn of the pump, deadlines in ticks.
 */
import type { RawNode } from './raw-node.js'
import type { NodeId } from './types.js'

/** Where requests should go, as far as this node knows. */
export interface LeaderNews {
  /** This node leads and accepts proposals (no leadership transfer under way). */
  readonly isLeader: boolean
  /** The leader this node knows of (itself when isLeader), or null. */
  readonly leader: NodeId | null
}

interface Waiter {
  ticksLeft: number
  readonly resolve: (news: LeaderNews) => void
}

export class LeaderWatch {
  private waiters: Waiter[] = []

  constructor(private readonly node: RawNode) {}

  /** Resolves once settled (see the module comment), or with what is known after `ticks`. */
  wait(ticks: number): Promise<LeaderNews> {
    const now = this.settled()
    if (now !== undefined || ticks <= 0) return Promise.resolve(now ?? this.known())
    return new Promise<LeaderNews>((resolve) => this.waiters.push({ ticksLeft: ticks, resolve }))
  }

  /** True while someone waits. */
  get waiting(): boolean {
    return this.waiters.length > 0
  }

  /** After a turn of the pump: settles every waiter once the node knows where to send them. */
  check(): void {
    if (this.waiters.length === 0) return
    const news = this.settled()
    if (news !== undefined) return this.resolveAll(news)
    if (this.waiters.some((w) => w.ticksLeft <= 0)) {
      const known = this.known()
      this.waiters = this.waiters.filter((w) => {
        if (w.ticksLeft > 0) return true
        w.resolve(known)
        return false
      })
    }
  }

  tick(): void {
    for (const w of this.waiters) w.ticksLeft--
  }

  /** The node stopped: every waiter learns that it does not lead. */
  end(): void {
    this.resolveAll({ isLeader: false, leader: null })
  }

  private resolveAll(news: LeaderNews): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w.resolve(news)
  }

  private settled(): LeaderNews | undefined {
    const s = this.node.status()
    if (s.role === 'leader')
      return s.leadTransferee === undefined ? { isLeader: true, leader: s.id } : undefined
    return s.leader === null ? undefined : { isLeader: false, leader: s.leader }
  }

  /** What is known now (a leader still transferring names nobody: it does not accept). */
  private known(): LeaderNews {
    const s = this.node.status()
    if (s.role === 'leader')
      return {
        isLeader: s.leadTransferee === undefined,
        leader: s.leadTransferee === undefined ? s.id : null,
      }
    return { isLeader: false, leader: s.leader }
  }
}
