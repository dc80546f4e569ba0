/**
 * A replicated state machine on one Raft replica: what the controller and every shard group
 * server share. `submit(command)` proposes an encoded command and resolves with the state
 * machine's result once that entry is applied here — or with WRONG_LEADER when this replica is
 * not the leader or the entry at that index turned out to be another one (leadership lost), or
 * TIMEOUT. `read()` is a linearizable read point without a log entry (ReadIndex, Raft §8, as
 * kv-service's reads): it resolves once the leader has confirmed with a heartbeat round that it
 * still leads and this replica has applied everything committed before the call. Snapshots: once the persisted Raft state reaches `maxRaftState` bytes the replica
 * snapshots the state machine; a snapshot from the leader (or on restart) restores it.
 */
import type {
  ApplyMsg,
  Clock,
  Index,
  Logger,
  StateMachine,
  StorageSize,
  TimerHandle,
} from '@raftkit/raft-core'
import { silentLogger } from '@raftkit/raft-core'

/** The part of raft-core's Raft a replica uses. */
export interface ReplicaRaft {
  start(command: Uint8Array): { index: Index; term: number; isLeader: boolean }
  getState(): { term: number; isLeader: boolean }
  onApply(handler: (msg: ApplyMsg) => void | Promise<void>): void
  snapshot(index: Index, data: Uint8Array): Promise<void>
  kill(): Promise<void>
}

/** A ReplicaRaft that can also serve reads without a log entry (raft-core's `Raft`). */
export interface ReadableReplicaRaft extends ReplicaRaft {
  /** A commit index safe to read once applied; rejects when this node does not lead. */
  readIndex(): Promise<Index>
}

export type SubmitOutcome<R> =
  | { readonly ok: true; readonly result: R }
  | { readonly ok: false; readonly error: 'WRONG_LEADER' | 'TIMEOUT' | 'STOPPED' }

export type ReadOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: 'WRONG_LEADER' | 'TIMEOUT' | 'STOPPED' }

export interface ReplicaOptions<R> {
  readonly raft: ReplicaRaft
  readonly stateMachine: StateMachine<R>
  readonly clock: Clock
  /** Snapshot threshold in bytes of persisted Raft state; -1: never. */
  readonly maxRaftState: number
  readonly storageSize: () => StorageSize
  /** How long submit() waits for its entry to apply. @default 800 ms */
  readonly timeoutMs?: number
  /** Called after each entry or snapshot is applied. */
  readonly onApplied?: () => void
  readonly logger?: Logger
}

interface Waiter<R> {
  readonly term: number
  readonly resolve: (o: SubmitOutcome<R>) => void
}

export class Replica<R> {
  private readonly raft: ReplicaRaft
  private readonly sm: StateMachine<R>
  private readonly clock: Clock
  private readonly maxRaftState: number
  private readonly storageSize: () => StorageSize
  private readonly timeoutMs: number
  private readonly onApplied: (() => void) | undefined
  private readonly logger: Logger
  private readonly waiters = new Map<Index, Waiter<R>[]>()
  /** read() calls waiting for their index to be applied. */
  private readonly readers = new Set<{ index: Index; wake: (applied: boolean) => void }>()
  private applied: Index = 0
  private lastSnapshot: Index = 0
  private snapshotting = false
  private stopped = false

  constructor(options: ReplicaOptions<R>) {
    this.raft = options.raft
    this.sm = options.stateMachine
    this.clock = options.clock
    this.maxRaftState = options.maxRaftState
    this.storageSize = options.storageSize
    this.timeoutMs = options.timeoutMs ?? 800
    this.onApplied = options.onApplied
    this.logger = options.logger ?? silentLogger
    this.raft.onApply((msg) => this.apply(msg))
  }

  isLeader(): boolean {
    return !this.stopped && this.raft.getState().isLeader
  }

  appliedIndex(): Index {
    return this.applied
  }

  submit(command: Uint8Array): Promise<SubmitOutcome<R>> {
    if (this.stopped) return Promise.resolve({ ok: false, error: 'STOPPED' })
    const { index, term, isLeader } = this.raft.start(command)
    if (!isLeader) return Promise.resolve({ ok: false, error: 'WRONG_LEADER' })
    return new Promise((resolve) => {
      let done = false
      const finish = (o: SubmitOutcome<R>): void => {
        if (done) return
        done = true
        this.clock.clearTimeout(timer)
        resolve(o)
      }
      const timer = this.clock.setTimeout(() => {
        const list = this.waiters.get(index)
        if (list) {
          const rest = list.filter((w) => w.resolve !== finish)
          if (rest.length === 0) this.waiters.delete(index)
          else this.waiters.set(index, rest)
        }
        finish({ ok: false, error: 'TIMEOUT' })
      }, this.timeoutMs)
      const list = this.waiters.get(index) ?? []
      list.push({ term, resolve: finish })
      this.waiters.set(index, list)
    })
  }

  /**
   * Resolves `{ ok: true }` when the state machine may be read linearizably here: this replica
   * is the leader, confirmed by a heartbeat round after the call (ReadIndex), and has applied
   * the commit index of that moment. WRONG_LEADER when it does not lead (a deposed leader never
   * confirms), TIMEOUT, STOPPED. Nothing is appended to the log.
   */
  async read(): Promise<ReadOutcome> {
    const raft = this.raft as Partial<ReadableReplicaRaft>
    if (this.stopped) return { ok: false, error: 'STOPPED' }
    if (typeof raft.readIndex !== 'function') throw new Error('this Raft has no readIndex()')
    if (!this.raft.getState().isLeader) return { ok: false, error: 'WRONG_LEADER' }
    const started = this.clock.now()
    let timer: TimerHandle | undefined
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = this.clock.setTimeout(() => resolve('timeout'), this.timeoutMs)),
    )
    let index: Index | 'timeout'
    try {
      index = await Promise.race([raft.readIndex.call(this.raft), timeout])
    } catch {
      return { ok: false, error: this.stopped ? 'STOPPED' : 'WRONG_LEADER' }
    } finally {
      this.clock.clearTimeout(timer)
    }
    if (index === 'timeout') return { ok: false, error: 'TIMEOUT' }
    if (this.applied >= index) return { ok: true }
    const left = Math.max(0, this.timeoutMs - (this.clock.now() - started))
    const applied = await new Promise<boolean>((resolve) => {
      const reader = {
        index,
        wake: (ok: boolean): void => {
          this.readers.delete(reader)
          this.clock.clearTimeout(t)
          resolve(ok)
        },
      }
      const t = this.clock.setTimeout(() => reader.wake(false), left)
      this.readers.add(reader)
    })
    if (applied) return { ok: true }
    return { ok: false, error: this.stopped ? 'STOPPED' : 'TIMEOUT' }
  }

  async kill(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    for (const r of [...this.readers]) r.wake(false)
    for (const list of this.waiters.values())
      for (const w of list) w.resolve({ ok: false, error: 'STOPPED' })
    this.waiters.clear()
    await this.raft.kill()
  }

  private apply(msg: ApplyMsg): void {
    if (this.stopped) return
    if (msg.kind === 'snapshot') {
      this.sm.restore(msg.snapshot)
      this.applied = msg.index
      this.lastSnapshot = Math.max(this.lastSnapshot, msg.index)
      for (const [i, list] of [...this.waiters]) {
        if (i > msg.index) continue
        this.waiters.delete(i)
        for (const w of list) w.resolve({ ok: false, error: 'WRONG_LEADER' })
      }
    } else {
      const result = msg.kind === 'command' ? this.sm.apply(msg.command, msg.index) : undefined
      this.applied = msg.index
      const list = this.waiters.get(msg.index)
      if (list) {
        this.waiters.delete(msg.index)
        for (const w of list)
          w.resolve(
            msg.kind === 'command' && w.term === msg.term
              ? { ok: true, result: result as R }
              : { ok: false, error: 'WRONG_LEADER' },
          )
      }
    }
    for (const r of [...this.readers]) if (r.index <= this.applied) r.wake(true)
    this.maybeSnapshot()
    this.onApplied?.()
  }

  private maybeSnapshot(): void {
    if (this.maxRaftState <= 0 || this.snapshotting || this.applied <= this.lastSnapshot) return
    if (this.storageSize().raftStateBytes < this.maxRaftState) return
    const index = this.applied
    this.snapshotting = true
    // After a snapshot, entries applied meanwhile may call for the next one at once; after a
    // failure, the next applied entry retries (retrying at once would spin on microtasks when
    // the Raft has stopped under this replica, and every snapshot() rejects immediately).
    this.raft.snapshot(index, this.sm.snapshot()).then(
      () => {
        this.snapshotting = false
        this.lastSnapshot = Math.max(this.lastSnapshot, index)
        if (!this.stopped) this.maybeSnapshot()
      },
      (e: unknown) => {
        this.snapshotting = false
        if (!this.stopped) this.logger.warn('snapshot failed', { index, error: String(e) })
      },
    )
  }
}
