/**
 * The Raft paper's leader-election experiment (Ongaro & Ousterhout 2014, §9.3, Figure 16) in
 * simulated time, on raft-core's own deterministic core: N `RawNode`s, a network that delivers
 * every message after a uniformly random one-way delay, and a synchronous discrete-event loop
 * (simulated milliseconds; nothing waits on the real clock, so 1 000 trials take seconds).
 *
 * One trial, as in the paper: the cluster has a stable leader with every log caught up; right
 * after one of its heartbeat broadcasts the leader appends a new entry and sends it to every
 * follower, but only a random subset receives the entry (the others get the same AppendEntries
 * without it, i.e. a heartbeat), so the surviving logs differ in length and not every server
 * can win; the leader is then crashed at a uniformly random point of its heartbeat interval.
 * Measured: simulated time from the crash until some server becomes leader. The crashed
 * server then restarts from its persisted state, the cluster settles, and the next trial
 * starts. A Ready's messages leave after its durable write (if any) and a network delay; a
 * crashed server's messages that had not left yet are lost with it.
 *
 * Why not raft-core's SimulatedClock: it lets async work settle (a setImmediate) between two
 * timers, which the async `Raft` runtime needs and ~30 000 timer events per trial cannot
 * afford; RawNode is synchronous, so a plain event queue is exact.
 */
import {
  RawNode,
  EMPTY_HARD_STATE,
  createRng,
  type Entry,
  type HardState,
  type Message,
  type Rng,
  type Ready,
} from '@raftkit/raft-core'
import { EventQueue } from './event-queue.js'

export interface ElectionSimOptions {
  /** Cluster size (the paper: 5). */
  readonly servers: number
  /** Election timeout range in ms; the core draws from [min, max) in whole ticks. */
  readonly electionMinMs: number
  readonly electionMaxMs: number
  /** Length of one core tick in simulated ms (0.1 expresses 150–151 ms as 1 500–1 510 ticks). */
  readonly tickMs: number
  /**
   * Heartbeat interval in ms. The paper used half the minimum election timeout; raft-core
   * requires the minimum timeout to be at least 3 heartbeats, so the default is min / 3.
   */
  readonly heartbeatMs?: number
  /** One-way network delay, uniform in [min, max] ms. */
  readonly delayMinMs: number
  readonly delayMaxMs: number
  /**
   * Time of one durable write (a Ready with `mustSync`: new term, vote or entries), uniform in
   * [min, max] ms. A Ready's messages leave only once its write is done (persist, then send),
   * and a node's writes queue behind each other. The paper's "broadcast time" is a request and
   * its reply including such writes: 2 × write + 2 × network delay.
   */
  readonly diskMinMs: number
  readonly diskMaxMs: number
  readonly preVote: boolean
  readonly checkQuorum: boolean
  readonly trials: number
  readonly seed: number
  /** A trial with no leader after this many simulated ms is recorded as censored. */
  readonly maxTrialMs: number
}

export interface ElectionSimResult {
  /** Per trial: ms from the crash to a new leader (Infinity when censored). */
  readonly downtimeMs: readonly number[]
  /** Per trial: terms the new leader is ahead of the crashed one (1 = no split vote). */
  readonly termsUsed: readonly number[]
  readonly censored: number
  /** Simulated ms in total and events processed (a cost measure). */
  readonly simulatedMs: number
  readonly events: number
}

interface SimNode {
  node: RawNode | undefined
  /** Durable state as the node persisted it (for restarts). */
  hard: HardState
  log: Entry[]
  nextTickAt: number
  phase: number
  /** When this node's last queued write completes. */
  diskFreeAt: number
  epoch: number
  /** Crash time of each past epoch. */
  readonly crashedAt: number[]
}

interface Delivery {
  readonly to: number
  readonly message: Message
  readonly from: number
  /** The sender's boot count and the time the message left it. */
  readonly epoch: number
  readonly leftAt: number
}

/** Runs `options.trials` crash-the-leader trials; deterministic for a seed. */
export function simulateLeaderElections(options: ElectionSimOptions): ElectionSimResult {
  return new ElectionSim(options).run()
}

class ElectionSim {
  private readonly rng: Rng
  private readonly ids: string[]
  private readonly nodes: SimNode[]
  private readonly queue = new EventQueue<Delivery>()
  private now = 0
  private events = 0
  private readonly tick: number
  private readonly electionTicks: readonly [number, number]
  private readonly heartbeatTicks: number
  /** Set by the Ready handler when a node becomes leader. */
  private leaderSince: { index: number; at: number; term: number } | undefined
  /** Set when the current leader broadcasts a heartbeat (time of the broadcast). */
  private heartbeatAt: number | undefined

  constructor(private readonly o: ElectionSimOptions) {
    this.rng = createRng(o.seed)
    this.tick = o.tickMs
    const min = Math.round(o.electionMinMs / o.tickMs)
    // [min, max) in ticks; "150–150 ms" (no randomness) is [min, min + 1).
    const max = Math.max(min + 1, Math.round(o.electionMaxMs / o.tickMs))
    this.electionTicks = [min, max]
    this.heartbeatTicks = Math.max(
      1,
      Math.floor((o.heartbeatMs ?? o.electionMinMs / 3) / o.tickMs + 1e-9),
    )
    this.ids = Array.from({ length: o.servers }, (_, i) => `n${i + 1}`)
    this.nodes = this.ids.map(() => {
      // Every server's ticker starts at its own moment, as separate processes' timers do.
      const phase = this.rng.next() * this.tick
      return {
        node: undefined,
        hard: EMPTY_HARD_STATE,
        log: [],
        nextTickAt: phase,
        phase,
        diskFreeAt: 0,
        epoch: -1,
        crashedAt: [],
      }
    })
    for (let i = 0; i < this.nodes.length; i++) this.boot(i)
  }

  run(): ElectionSimResult {
    const downtimeMs: number[] = []
    const termsUsed: number[] = []
    let censored = 0
    for (let t = 0; t < this.o.trials; t++) {
      const leader = this.settle()
      // Wait for the leader's next heartbeat broadcast, then replicate one entry unevenly.
      this.heartbeatAt = undefined
      this.runUntil(() => this.heartbeatAt !== undefined, Infinity)
      this.unevenAppend(leader.index)
      const crashAt = this.now + this.rng.next() * this.heartbeatTicks * this.tick
      this.runUntil(() => false, crashAt)
      const crashedTerm = this.nodes[leader.index]!.node!.getState().term
      this.crash(leader.index)
      const t0 = this.now
      this.leaderSince = undefined
      this.runUntil(() => this.leaderSince !== undefined, t0 + this.o.maxTrialMs)
      const elected = this.leaderSince as { at: number; term: number } | undefined
      if (elected) {
        downtimeMs.push(elected.at - t0)
        termsUsed.push(elected.term - crashedTerm)
      } else {
        downtimeMs.push(Infinity)
        termsUsed.push(NaN)
        censored++
      }
      this.boot(leader.index)
    }
    return { downtimeMs, termsUsed, censored, simulatedMs: this.now, events: this.events }
  }

  /**
   * Runs until one leader is known to every server and every log matches the leader's,
   * with no election for two maximum timeouts; returns that leader.
   */
  private settle(): { index: number } {
    for (let round = 0; ; round++) {
      if (round > 1_000)
        throw new Error(
          `no stable leader after ${round} settling rounds (seed ${this.o.seed}): the settings cannot keep a leader`,
        )
      // Settling is not measured: without randomness (150–150 ms) the servers may stay in step
      // for a long time, so after a while one of them is told to campaign out of step.
      if (round >= 5 && !this.nodes.some((n) => n.node?.getState().isLeader)) {
        const i = this.rng.int(this.nodes.length)
        this.nodes[i]!.node!.campaign()
        this.handleReady(i)
      }
      const quietUntil = this.now + this.electionTicks[1] * this.tick * 2
      const term0 = this.maxTerm()
      this.runUntil(() => false, quietUntil)
      const leader = this.nodes.findIndex((n) => n.node?.getState().isLeader === true)
      if (leader < 0 || this.maxTerm() !== term0) continue
      const status = this.nodes[leader]!.node!.status()
      const caughtUp = this.nodes.every((n) => {
        const s = n.node?.status()
        return s !== undefined && s.leader === this.ids[leader] && s.lastIndex === status.lastIndex
      })
      if (caughtUp) return { index: leader }
      // A new leader does not append a no-op: a client write brings every log to its own.
      this.nodes[leader]!.node!.propose(new Uint8Array([0]))
      this.handleReady(leader)
    }
  }

  private maxTerm(): number {
    let term = 0
    for (const n of this.nodes) term = Math.max(term, n.node?.getState().term ?? 0)
    return term
  }

  /** Events in time order until `done()` holds (checked after every event) or time `until`. */
  private runUntil(done: () => boolean, until: number): void {
    for (;;) {
      const tickIndex = this.nextTicker()
      const tickAt = tickIndex < 0 ? Infinity : this.nodes[tickIndex]!.nextTickAt
      const msgAt = this.queue.peekTime()
      const at = Math.min(tickAt, msgAt)
      if (at > until) {
        this.now = Math.max(this.now, until)
        return
      }
      this.now = at
      this.events++
      if (msgAt <= tickAt) {
        const { to, message, from, epoch, leftAt } = this.queue.pop()!
        const target = this.nodes[to]!
        const senderCrash = this.nodes[from]!.crashedAt[epoch]
        if (target.node && !(senderCrash !== undefined && leftAt > senderCrash)) {
          target.node.step(message)
          this.handleReady(to)
        }
      } else {
        const n = this.nodes[tickIndex]!
        n.nextTickAt += this.tick
        n.node!.tick()
        this.handleReady(tickIndex)
      }
      if (done()) return
    }
  }

  private nextTicker(): number {
    let best = -1
    let bestAt = Infinity
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i]!
      if (n.node && n.nextTickAt < bestAt) {
        bestAt = n.nextTickAt
        best = i
      }
    }
    return best
  }

  private handleReady(i: number): void {
    const n = this.nodes[i]!
    const node = n.node
    if (!node || !node.hasReady()) return
    const rd = node.ready()
    this.persist(n, rd)
    if (rd.softState?.role === 'leader' && this.leaderSince === undefined)
      this.leaderSince = { index: i, at: this.now, term: node.getState().term }
    const sendAt = this.write(n, rd)
    let heartbeat = false
    for (const m of rd.messages) {
      if (m.type === 'AppendEntries' && m.readContext !== undefined) heartbeat = true
      this.send(i, m, sendAt)
    }
    if (heartbeat && node.getState().isLeader) this.heartbeatAt ??= this.now
    node.advance(rd)
  }

  private persist(n: SimNode, rd: Ready): void {
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index
      n.log.length = first - 1
      for (const e of rd.entries) n.log.push(e)
    }
    if (rd.hardState) n.hard = rd.hardState
  }

  /** Queues the Ready's write (if it must be durable); returns when its messages may leave. */
  private write(n: SimNode, rd: Ready): number {
    const start = Math.max(this.now, n.diskFreeAt)
    if (!rd.mustSync) return start
    n.diskFreeAt = start + this.uniform(this.o.diskMinMs, this.o.diskMaxMs)
    return n.diskFreeAt
  }

  private send(from: number, m: Message, leftAt: number): void {
    const to = this.ids.indexOf(m.to)
    const at = leftAt + this.uniform(this.o.delayMinMs, this.o.delayMaxMs)
    this.queue.push(at, { to, message: m, from, epoch: this.nodes[from]!.epoch, leftAt })
  }

  private uniform(min: number, max: number): number {
    return min + this.rng.next() * (max - min)
  }

  /**
   * The leader appends one entry and sends it to every follower; each follower independently
   * receives it with probability 1/2 (the others get the same AppendEntries without it).
   */
  private unevenAppend(leader: number): void {
    const n = this.nodes[leader]!
    const node = n.node!
    node.propose(new Uint8Array([1]))
    const rd = node.ready()
    this.persist(n, rd)
    const sendAt = this.write(n, rd)
    for (const m of rd.messages) {
      const drop = m.type === 'AppendEntries' && m.entries.length > 0 && this.rng.next() < 0.5
      this.send(leader, drop ? { ...m, entries: [] } : m, sendAt)
    }
    node.advance(rd)
  }

  private crash(i: number): void {
    const n = this.nodes[i]!
    n.node = undefined
    n.crashedAt[n.epoch] = this.now
  }

  private boot(i: number): void {
    const n = this.nodes[i]!
    n.node = new RawNode({
      id: this.ids[i]!,
      peers: this.ids,
      config: {
        electionTicksMin: this.electionTicks[0],
        electionTicksMax: this.electionTicks[1],
        heartbeatTicks: this.heartbeatTicks,
        maxBytesPerAppend: 1 << 20,
        maxInflightAppends: 64,
        snapshotChunkBytes: 1 << 16,
        preVote: this.o.preVote,
        checkQuorum: this.o.checkQuorum,
      },
      restored: { hardState: n.hard, entries: [...n.log] },
      rng: this.rng.fork(),
    })
    n.diskFreeAt = this.now
    n.epoch++
    // The ticker keeps its phase across the restart.
    n.nextTickAt = n.phase + Math.ceil((this.now - n.phase) / this.tick + 1e-9) * this.tick
  }
}
