/**
 * When the service snapshots: after each applied entry, when the persisted Raft state has
 * reached `maxRaftState` bytes, the state machine (map + sessions) is snapshotted and handed to
 * `raft.snapshot()` — one snapshot at a time, never twice at the same index. Restoring one (on
 * restart, or when the leader sends one as a 'snapshot' ApplyMsg) is ApplyStream's
 * (apply-stream.ts); it tells the Snapshotter which index that covered.
 */
import type { Index, Logger, StorageSize } from '@raftkit/raft-core'
import type { KvRaft } from './raft-api.js'

export interface SnapshotterOptions {
  readonly raft: Pick<KvRaft, 'snapshot'>
  /** Persisted Raft state size; set whenever maxRaftState is. */
  readonly storageSize: (() => StorageSize) | undefined
  /** Snapshot at this many bytes of persisted Raft state; -1: never. */
  readonly maxRaftState: number
  /** The state machine's snapshot. */
  readonly stateSnapshot: () => Uint8Array
  /** True once the server is killed (a failure then is not worth a warning). */
  readonly stopped: () => boolean
  readonly logger: Logger
}

export class Snapshotter {
  private readonly options: SnapshotterOptions
  private snapshotting: Promise<void> | undefined
  private lastSnapshotIndex: Index = 0

  constructor(options: SnapshotterOptions) {
    this.options = options
  }

  /** The snapshot being taken, if any (kill waits for it); never rejects. */
  get inFlight(): Promise<void> | undefined {
    return this.snapshotting
  }

  /** A snapshot covering `index` was restored: no need to take one there. */
  restored(index: Index): void {
    this.lastSnapshotIndex = Math.max(this.lastSnapshotIndex, index)
  }

  /** Called after each apply with the applied index: snapshots there when the state is large. */
  maybeSnapshot(applied: Index): void {
    const { maxRaftState, storageSize, raft, logger } = this.options
    if (maxRaftState <= 0 || this.snapshotting || !storageSize) return
    if (applied <= this.lastSnapshotIndex) return
    if (storageSize().raftStateBytes < maxRaftState) return
    const index = applied
    this.snapshotting = raft
      .snapshot(index, this.options.stateSnapshot())
      .then(
        () => {
          this.lastSnapshotIndex = Math.max(this.lastSnapshotIndex, index)
        },
        (e: unknown) => {
          if (!this.options.stopped()) logger.warn('snapshot failed', { index, error: String(e) })
        },
      )
      .finally(() => {
        this.snapshotting = undefined
      })
  }
}
