/**
 * FakeRaft: a scripted stand-in for the Raft node under KvServer (the KvRaft contract), so
 * tests control exactly what is applied when, who leads, and when awaitLeader settles.
 */
import type { ApplyMsg, Index, LeaderNews, SimulatedClock, Status } from '@raftkit/raft-core'
import type { KvRaft, KvReply } from '../src/index.js'

export class FakeRaft implements KvRaft {
  term = 1
  isLeader = true
  leader: string | null = 's0'
  /** Role when not leading (a candidate campaigns); the vote cast in this term. */
  followerRole: 'follower' | 'pre-candidate' | 'candidate' = 'follower'
  votedFor: string | null = null
  nextIndex = 1
  readonly started: Array<{ index: Index; term: number; command: Uint8Array }> = []
  readonly snapshots: Array<{ index: Index; data: Uint8Array }> = []
  readIndexImpl: () => Promise<Index> = () => Promise.resolve(0)
  /** Set while this node hands leadership over (proposals refused, as Raft.start does). */
  leadTransferee: string | undefined = undefined
  /** awaitLeader callers, settled by notify() or their timeout. */
  private leaderWaiters: Array<(news: LeaderNews) => void> = []
  clock: SimulatedClock | undefined
  killed = false
  private handler: ((msg: ApplyMsg) => void | Promise<void>) | undefined
  private stateListener: ((state: { term: number; isLeader: boolean }) => void) | undefined

  start(command: Uint8Array): { index: Index; term: number; isLeader: boolean } {
    if (!this.isLeader || this.leadTransferee !== undefined)
      return { index: -1, term: this.term, isLeader: false }
    const entry = { index: this.nextIndex++, term: this.term, command }
    this.started.push(entry)
    return { ...entry, isLeader: true }
  }
  getState(): { term: number; isLeader: boolean } {
    return { term: this.term, isLeader: this.isLeader }
  }
  onApply(handler: (msg: ApplyMsg) => void | Promise<void>): void {
    this.handler = handler
  }
  onStateChange(listener: (state: { term: number; isLeader: boolean }) => void): void {
    this.stateListener = listener
  }
  /** What the runtime does when its term or leadership changes. */
  changeState(term: number, isLeader: boolean): void {
    this.term = term
    this.isLeader = isLeader
    this.stateListener?.({ term, isLeader })
  }
  async snapshot(index: Index, data: Uint8Array): Promise<void> {
    this.snapshots.push({ index, data })
  }
  readIndex(): Promise<Index> {
    return this.readIndexImpl()
  }
  status(): Status {
    // Only the fields the server reads.
    return {
      id: 's0',
      leader: this.leader,
      role: this.isLeader ? 'leader' : this.followerRole,
      votedFor: this.votedFor,
      ...(this.leadTransferee === undefined ? {} : { leadTransferee: this.leadTransferee }),
    } as Status
  }
  /** Raft.awaitLeader: at once when settled, else on notify() or after timeoutMs. */
  awaitLeader(timeoutMs: number): Promise<LeaderNews> {
    const now = this.settled()
    if (now) return Promise.resolve(now)
    return new Promise<LeaderNews>((resolve) => {
      const timer = this.clock?.setTimeout(() => {
        this.leaderWaiters = this.leaderWaiters.filter((w) => w !== waiter)
        resolve({ isLeader: false, leader: null })
      }, timeoutMs)
      const waiter = (news: LeaderNews): void => {
        this.clock?.clearTimeout(timer)
        resolve(news)
      }
      this.leaderWaiters.push(waiter)
    })
  }
  /** What the runtime's pump does after a turn: settles awaitLeader callers if it can. */
  notify(): void {
    const news = this.settled()
    if (!news) return
    for (const w of this.leaderWaiters.splice(0)) w(news)
  }
  private settled(): LeaderNews | undefined {
    if (this.isLeader) return this.leadTransferee ? undefined : { isLeader: true, leader: 's0' }
    return this.leader === null ? undefined : { isLeader: false, leader: this.leader }
  }
  async kill(): Promise<void> {
    this.killed = true
    for (const w of this.leaderWaiters.splice(0)) w({ isLeader: false, leader: null })
  }
  deliver(msg: ApplyMsg): void {
    void this.handler?.(msg)
  }
  /** Commits and applies what this node started, in order. */
  applyStarted(): void {
    for (const e of this.started.splice(0)) this.deliver({ kind: 'command', ...e })
  }
}

/**
 * Starts a request and lets the server reach its waiting point (one simulated instant): the
 * reply, once it comes, is in `reply`; `done` is the request itself.
 */
export async function startRequest(
  clock: SimulatedClock,
  p: Promise<KvReply>,
): Promise<{ reply: KvReply | undefined; done: Promise<KvReply> }> {
  const box: { reply: KvReply | undefined; done: Promise<KvReply> } = { reply: undefined, done: p }
  void p.then((r) => (box.reply = r))
  await clock.advance(0)
  return box
}
