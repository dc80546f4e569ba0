/**
 * ApplyStream: where one KvServer's Raft apply stream goes. Each ApplyMsg, in log order, first
 * reaches the state machine (a command is applied, a snapshot restored, a no-op only moves the
 * applied index), then the parts that wait on the applied index: PendingWrites (the writes
 * placed at or below it), ReadIndexWait (reads waiting for it) and Snapshotter (which may now
 * snapshot). It owns the applied index and the term of the entry there. A message at or below
 * that index is ignored with a warning; a snapshot that cannot be restored is skipped, keeping
 * the current state.
 */
import type { ApplyMsg, Index, Logger, Term } from '@raftkit/raft-core'
import type { PendingWrites } from './pending-writes.js'
import type { ReadIndexWait } from './read-index.js'
import type { Snapshotter } from './snapshotter.js'
import type { KvStateMachine } from './state-machine.js'

export interface ApplyStreamOptions {
  readonly stateMachine: Pick<KvStateMachine, 'apply' | 'restore'>
  readonly writes: Pick<PendingWrites, 'applied' | 'settleUpTo'>
  readonly reads: Pick<ReadIndexWait, 'onApplied'>
  readonly snapshots: Pick<Snapshotter, 'maybeSnapshot' | 'restored'>
  readonly logger: Logger
  /** True once the server is killed: from then on nothing is applied. */
  readonly stopped: () => boolean
}

export class ApplyStream {
  private readonly stateMachine: ApplyStreamOptions['stateMachine']
  private readonly writes: ApplyStreamOptions['writes']
  private readonly reads: ApplyStreamOptions['reads']
  private readonly snapshots: ApplyStreamOptions['snapshots']
  private readonly logger: Logger
  private readonly stopped: () => boolean
  private appliedIndex: Index = 0
  private appliedIndexTerm: Term = 0

  constructor(options: ApplyStreamOptions) {
    this.stateMachine = options.stateMachine
    this.writes = options.writes
    this.reads = options.reads
    this.snapshots = options.snapshots
    this.logger = options.logger
    this.stopped = options.stopped
  }

  /** Highest log index reflected in the state machine. */
  get applied(): Index {
    return this.appliedIndex
  }

  /** The term of the entry at `applied` (of the snapshot's last entry after a restore). */
  get appliedTerm(): Term {
    return this.appliedIndexTerm
  }

  /** Takes the next message of the apply stream (Raft's onApply handler). */
  onApply(msg: ApplyMsg): void {
    if (this.stopped()) return
    if (msg.index <= this.appliedIndex) {
      this.logger.warn('ignoring an apply message at or below the applied index', {
        kind: msg.kind,
        index: msg.index,
        applied: this.appliedIndex,
      })
      return
    }
    switch (msg.kind) {
      case 'snapshot':
        if (!this.restore(msg.snapshot, msg.index)) return
        this.appliedIndexTerm = msg.term
        break
      case 'noop':
        this.appliedIndex = msg.index
        this.appliedIndexTerm = msg.term
        break
      case 'command':
        this.applyCommand(msg.command, msg.index, msg.term)
        break
    }
    this.writes.settleUpTo(msg)
    this.reads.onApplied()
    this.snapshots.maybeSnapshot(this.appliedIndex)
  }

  private applyCommand(command: Uint8Array, index: Index, term: Term): void {
    const result = this.stateMachine.apply(command, index)
    this.appliedIndex = index
    this.appliedIndexTerm = term
    if (result.status === 'malformed')
      this.logger.warn('skipped a malformed log entry', { index, error: result.error.message })
    this.writes.applied(index, term, command, result)
  }

  private restore(snapshot: Uint8Array, index: Index): boolean {
    try {
      this.stateMachine.restore(snapshot)
    } catch (e) {
      this.logger.error('cannot restore a snapshot; keeping the current state', {
        index,
        error: String(e),
      })
      return false
    }
    this.appliedIndex = index
    this.snapshots.restored(index)
    return true
  }
}
