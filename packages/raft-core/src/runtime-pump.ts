/**
 * The runtime's Ready pump: the ticks and inbound messages that drive the core, and one serial
 * loop that turns each of the core's Readys into effects, always in this order: persist, then
 * send, then hand committed entries to the service, then advance. Messages of a Ready never
 * leave before that Ready's write resolved, so nothing is acknowledged that is not durable —
 * except, with `pipelineLeaderAppends`, a leader's replication messages, which depend on no
 * new term or vote and may overlap the leader's own disk write (the core counts the leader
 * toward a commit only for durable entries).
 * All time goes through the injected Clock, so a run under a SimulatedClock replays exactly.
 * Stopping is the runtime's (runtime.ts): the pump asks `stopReason()` before each Ready, after
 * telling the state listeners (one may have killed the node) and after each write, and reports
 * failures to `fail`.
 */
import type { ApplyMsg } from './apply.js'
import type { ApplyQueue } from './apply-queue.js'
import type { Clock, ClockSlot, TimerHandle } from './clock.js'
import type { Logger } from './logger.js'
import type { MembershipWaiters } from './membership-runtime.js'
import type { Message } from './messages.js'
import type { RawNode } from './raw-node.js'
import type { Ready } from './ready.js'
import type { ReadRequests } from './runtime-reads.js'
import type { RuntimeStorage } from './runtime-storage.js'
import type { Transport } from './transport.js'
import type { Entry, Snapshot } from './types.js'

/** What the pump drives and hands out to. */
export interface PumpParts {
  readonly node: RawNode
  readonly transport: Pick<Transport, 'send' | 'listen'>
  readonly storage: RuntimeStorage
  readonly clock: Clock
  readonly logger: Logger
  readonly tickMs: number
  readonly pipelineLeaderAppends: boolean
  readonly applyQueue: ApplyQueue
  readonly reads: ReadRequests
  readonly changes: MembershipWaiters
  /** Tells the onStateChange listeners (after a Ready with a new role, leader, term or vote). */
  readonly notifyState: () => void
  /** Why the node stopped, or null while it runs. */
  readonly stopReason: () => Error | null
  /** Stops the node after a failure. */
  readonly fail: (error: unknown) => void
}

/**
 * The apply messages of committed entries: a command entry's bytes (a view, not a copy), a
 * noop for noop and configuration entries. Exported for offline tools that replay a stored log
 * into a service as a running node does. (A function of its own: a long loop inside a larger
 * method gets optimized on-stack before the code after it has run, then deoptimizes each time.)
 */
export function toApplyMsgs(committed: readonly Entry[]): ApplyMsg[] {
  const msgs = new Array<ApplyMsg>(committed.length)
  for (let i = 0; i < committed.length; i++) {
    const e = committed[i] as Entry
    msgs[i] =
      e.kind === 'command'
        ? { kind: 'command', index: e.index, term: e.term, command: e.data }
        : { kind: 'noop', index: e.index, term: e.term }
  }
  return msgs
}

export class ReadyPump {
  private tickTimer: TimerHandle | undefined
  private pumpScheduled = false
  private pumping = false
  private pumpTimer: TimerHandle | undefined
  /** Where an idle tick's pump would have fired (see reservePump). */
  private pumpSlot: ClockSlot | undefined
  /**
   * True while a Ready's write is in flight and that Ready had no snapshot for the service:
   * entries committed meanwhile (durable on a majority) and confirmed reads are handed out as
   * the messages that make them so arrive, without waiting for the write.
   */
  private earlyHandOut = false

  constructor(private readonly parts: PumpParts) {}

  /** The node stopped: no more ticks, and a pump not yet started never runs. */
  cancelTimers(): void {
    this.parts.clock.clearTimeout(this.tickTimer)
    this.tickTimer = undefined
    this.parts.clock.clearTimeout(this.pumpTimer)
    this.pumpTimer = undefined
  }

  // --- inputs -------------------------------------------------------------------------------

  /**
   * Starts the node: a snapshot restored from storage goes to the service first (through the
   * same stream as everything else), then it listens on the transport, ticks, and pumps once.
   */
  start(restored: Snapshot | undefined): void {
    if (restored) this.pushSnapshot(restored)
    this.parts.transport.listen((message) => this.receive(message))
    this.armTick()
    this.schedulePump()
  }

  private armTick(): void {
    this.tickTimer = this.parts.clock.setTimeout(() => {
      this.tickTimer = undefined
      if (this.parts.stopReason()) return
      this.parts.node.tick()
      this.parts.changes.tick()
      if (this.parts.changes.waiting || this.parts.node.hasReady()) this.schedulePump()
      else this.reservePump()
      this.armTick()
    }, this.parts.tickMs)
  }

  /**
   * Inbound messages. The core validates each one and drops (with a warning) anything malformed
   * or not addressed to this cluster member, so a bad peer cannot change any state.
   */
  private receive(message: Message): void {
    if (this.parts.stopReason()) return
    try {
      this.parts.node.step(message)
    } catch (error) {
      this.parts.logger.error('the core failed to handle a message', {
        type: String(message?.type),
        error: String(error),
      })
      return
    }
    if (this.earlyHandOut) {
      try {
        this.handOutApplicable()
      } catch (error) {
        this.parts.fail(error)
        return
      }
    }
    this.schedulePump()
  }

  // --- the pump -----------------------------------------------------------------------------

  /**
   * An idle tick (no election or heartbeat due, nothing waiting to settle) would give the pump
   * nothing to do: instead of a 0-ms timer that fires to find no Ready, take its place in the
   * clock's order (a deterministic clock's reserveSlot), so that a pump asked for later in the
   * same instant runs where this tick's pump would have run. A seeded simulation then replays
   * exactly as with the timer, one empty step fewer per idle tick. Clocks without slots get
   * the timer.
   */
  private reservePump(): void {
    if (this.pumpScheduled || this.pumping || this.parts.stopReason()) return
    const slot = this.parts.clock.reserveSlot?.()
    if (slot === undefined) this.schedulePump()
    else this.pumpSlot = slot
  }

  /** Asks for a turn of the pump (see below); none while one is due or running, or once stopped. */
  schedulePump(): void {
    if (this.pumpScheduled || this.pumping || this.parts.stopReason()) return
    this.pumpScheduled = true
    const slot = this.pumpSlot
    this.pumpSlot = undefined
    // After the I/O callbacks of this event-loop turn, not after the first one: every request,
    // proposal, read and message that arrived together goes into one Ready (one batch of
    // appends, one write, one heartbeat round for all the reads). A 0-ms timer of the clock:
    // SystemClock runs it after this turn's I/O; SimulatedClock at the same simulated time.
    const fire = (): void => {
      this.pumpTimer = undefined
      this.pumpScheduled = false
      void this.pump()
    }
    this.pumpTimer =
      slot !== undefined && this.parts.clock.setTimeoutInSlot
        ? this.parts.clock.setTimeoutInSlot(slot, fire)
        : this.parts.clock.setTimeout(fire, 0)
  }

  /** Handles Readys one at a time until the core has nothing more. Never rejects. */
  private async pump(): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      for (;;) {
        if (this.parts.stopReason()) break
        this.parts.reads.submit()
        if (!this.parts.node.hasReady()) break
        const rd = this.parts.node.ready()
        if (rd.softState || rd.hardState) this.parts.notifyState()
        // A listener may have killed the node: nothing of this Ready goes out then.
        if (this.parts.stopReason()) break
        // Committed entries are on a majority's disks already (a commit counts only durable
        // copies) and read states depend on nothing this Ready writes: both go to the service
        // before the write (a snapshot from the leader must be stored before the service sees
        // it), and so does whatever becomes applicable while the write is in flight.
        const applyFirst = rd.snapshot === undefined
        if (applyFirst) this.handOut(rd)
        // Messages wait for the write only when they depend on it: a new term, vote or entries.
        const sendFirst =
          !rd.mustSync || (this.parts.pipelineLeaderAppends && this.mayOverlapWrite(rd))
        if (sendFirst) this.send(rd.messages)
        this.earlyHandOut = applyFirst
        try {
          await this.parts.storage.write(rd)
        } finally {
          this.earlyHandOut = false
        }
        if (this.parts.stopReason()) return
        if (!sendFirst) this.send(rd.messages)
        if (!applyFirst) this.handOut(rd)
        this.parts.node.advance(rd)
        this.parts.changes.check()
      }
    } catch (error) {
      this.parts.fail(error)
    } finally {
      this.pumping = false
      if (!this.parts.stopReason()) this.parts.changes.check()
    }
  }

  /**
   * True when this Ready's messages depend on nothing its write makes durable: the node is
   * leader, and the Ready carries no snapshot and no new term or vote.
   */
  private mayOverlapWrite(rd: Ready): boolean {
    if (rd.snapshot || !this.parts.node.getState().isLeader) return false
    return this.parts.storage.keepsTermAndVote(rd.hardState)
  }

  private send(messages: readonly Message[]): void {
    for (const message of messages) {
      try {
        this.parts.transport.send(message)
      } catch (error) {
        this.parts.logger.error('transport refused a message', {
          type: message.type,
          to: message.to,
          error: String(error),
        })
      }
    }
  }

  /** What became applicable while a write is in flight (see earlyHandOut). */
  private handOutApplicable(): void {
    const { committed, readStates } = this.parts.node.takeApplicable()
    if (committed.length > 0) this.parts.applyQueue.pushAll(toApplyMsgs(committed))
    this.parts.reads.confirm(readStates)
  }

  /** Committed entries (and a snapshot) to the apply stream, read states to their callers. */
  private handOut(rd: Ready): void {
    this.deliver(rd)
    this.parts.node.advanceApplied(rd)
    this.parts.reads.settle(rd)
  }

  private deliver(rd: Ready): void {
    if (rd.softState)
      this.parts.logger.info('role changed', {
        ...rd.softState,
        term: this.parts.node.getState().term,
      })
    if (rd.snapshot) this.pushSnapshot(rd.snapshot)
    if (rd.committed.length === 0) return
    // One array per Ready: the queue hands it to the service without a promise per entry.
    this.parts.applyQueue.pushAll(toApplyMsgs(rd.committed))
  }

  private pushSnapshot(snap: Snapshot): void {
    this.parts.applyQueue.push({
      kind: 'snapshot',
      index: snap.meta.index,
      term: snap.meta.term,
      snapshot: snap.data,
    })
  }
}
