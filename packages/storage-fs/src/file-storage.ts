/**
 * FileStorage: raftkit's Storage on a directory (see README for the on-disk layout and the
 * durability guarantees).
 *
 * Group commit: write() validates the batch, applies it to the in-memory view and queues its
 * record. One flush loop drains the queue: every batch queued while the previous fdatasync was
 * running is written with one write() call and made durable by one shared fdatasync.
 */
import { mkdir, readdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import type {
  Logger,
  PersistedState,
  Snapshot,
  Storage,
  StorageBatch,
  StorageCapabilities,
  StorageSize,
} from '@raftkit/raft-core'
import { StorageError, StorageLockedError, StoppedError, silentLogger } from '@raftkit/raft-core'
import type { DirLock } from './lock.js'
import { lockDir } from './lock.js'
import { opRecord } from './op-record.js'
import type { LogOp, LogState } from './log-state.js'
import { recover } from './recovery.js'
import { removeFiles, snapshotName } from './segments.js'
import { writeSnapshotFile } from './snapshot-file.js'
import { validateBatch } from './validate.js'
import { SyncPlacement } from './sync-placement.js'
import { Wal } from './wal.js'

export interface FileStorageOptions {
  /** The node's data directory (created if missing). One process at a time may open it. */
  readonly dir: string
  /** A segment is sealed and a new one started past this size. Default 64 MiB. */
  readonly segmentBytes?: number
  /**
   * After a snapshot, once the log's segments hold at least this many bytes, they are replaced by
   * one checkpoint segment (the state after the snapshot) and deleted. What a restart replays is
   * about this much plus the log written since the last snapshot. Default the smaller of 8 MiB
   * and `segmentBytes`; an integer >= 1024.
   */
  readonly checkpointBytes?: number
  /**
   * Keep the active segment zero-filled this many bytes ahead of the end of the log (written
   * and fdatasync'ed in the background), so an append's fdatasync need not also write the
   * inode for a new file size. Costs up to this much disk space past the log. 0 turns it off;
   * other values 4096 to 64 MiB. Default 1 MiB with `sync: 'always'`, 0 with `sync: 'never'`.
   */
  readonly preallocateBytes?: number
  /**
   * `always` (default): a `sync: true` batch resolves after fdatasync (survives power loss).
   * `never`: no fdatasync on appends; data survives a process crash, not an OS crash.
   */
  readonly sync?: 'always' | 'never'
  /**
   * Where an append's fdatasync runs. `when-idle` (default): on the main thread when the log
   * has been idle at least as long as its last fdatasync took (light load: saves the thread
   * pool's two wake-ups per commit), else on libuv's thread pool (see sync-placement.ts).
   * `never`: always on the thread pool, so the event loop never waits for the disk.
   */
  readonly inlineSync?: 'when-idle' | 'never'
  readonly logger?: Logger
}

interface Pending {
  readonly op: LogOp
  readonly record: Buffer
  readonly snapshot?: Snapshot
  readonly sync: boolean
  readonly resolve: () => void
  readonly reject: (e: Error) => void
}

/** Counters for tests and benchmarks: how well group commit is batching. */
export interface FileStorageStats {
  /** Batches accepted by write()/compact(). */
  readonly writes: number
  /** Groups flushed (one write() system call each). */
  readonly groups: number
  /** fdatasync calls on the log. */
  readonly syncs: number
  /** Of those, the ones run on the main thread (`inlineSync`). */
  readonly inlineSyncs: number
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024
/** `checkpointBytes` when not given (capped at `segmentBytes`). */
export const DEFAULT_CHECKPOINT_BYTES = 8 * 1024 * 1024
export const DEFAULT_PREALLOCATE_BYTES = 1024 * 1024
/** The `preallocateBytes` accepted besides 0: MIN_PREALLOCATE_BYTES to MAX_PREALLOCATE_BYTES. */
export const MIN_PREALLOCATE_BYTES = 4096
export const MAX_PREALLOCATE_BYTES = 64 * 1024 * 1024

export class FileStorage implements Storage {
  readonly capabilities: StorageCapabilities = { durable: true, atomicBatch: true }
  readonly dir: string
  /** State including every accepted write (what the next write is validated against). */
  private readonly projected: LogState
  /** State as far as records have reached the file (what a checkpoint writes out). */
  private readonly written: LogState
  private snapshot: Snapshot | undefined
  private queue: Pending[] = []
  private flushing: Promise<void> | undefined
  private failure: Error | undefined
  private closing: Promise<void> | undefined
  private counters = { writes: 0, groups: 0, syncs: 0, inlineSyncs: 0 }

  private constructor(
    dir: string,
    state: LogState,
    snapshot: Snapshot | undefined,
    private readonly wal: Wal,
    private readonly lock: DirLock,
    private readonly syncMode: 'always' | 'never',
    /** A snapshot checkpoints the log once its segments hold this many bytes. */
    private readonly checkpointBytes: number,
    private readonly logger: Logger,
    /** Decides where each fdatasync runs; undefined: always on the thread pool. */
    private readonly placement: SyncPlacement | undefined,
  ) {
    this.dir = dir
    this.projected = state
    this.written = state.clone()
    this.snapshot = snapshot
  }

  /** Locks `dir`, recovers it (creating it if needed) and returns the open storage. */
  static async open(options: FileStorageOptions): Promise<FileStorage> {
    const dir = resolve(options.dir)
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1024) {
      throw new StorageError(
        `segmentBytes must be an integer >= 1024, got ${String(options.segmentBytes)}`,
      )
    }
    const checkpointBytes =
      options.checkpointBytes ?? Math.min(DEFAULT_CHECKPOINT_BYTES, segmentBytes)
    if (!Number.isSafeInteger(checkpointBytes) || checkpointBytes < 1024) {
      throw new StorageError(
        `checkpointBytes must be an integer >= 1024, got ${String(options.checkpointBytes)}`,
      )
    }
    const syncMode = options.sync ?? 'always'
    if (syncMode !== 'always' && syncMode !== 'never') {
      throw new StorageError(`sync must be 'always' or 'never', got ${String(syncMode)}`)
    }
    // Without fdatasync on appends there is nothing to speed up: no zeros by default.
    const preallocateBytes =
      options.preallocateBytes ?? (syncMode === 'always' ? DEFAULT_PREALLOCATE_BYTES : 0)
    if (
      !Number.isSafeInteger(preallocateBytes) ||
      (preallocateBytes !== 0 &&
        (preallocateBytes < MIN_PREALLOCATE_BYTES || preallocateBytes > MAX_PREALLOCATE_BYTES))
    ) {
      throw new StorageError(
        `preallocateBytes must be 0 or an integer from ${MIN_PREALLOCATE_BYTES} to ${MAX_PREALLOCATE_BYTES}, got ${String(options.preallocateBytes)}`,
      )
    }
    const inlineSync = options.inlineSync ?? 'when-idle'
    if (inlineSync !== 'when-idle' && inlineSync !== 'never') {
      throw new StorageError(
        `inlineSync must be 'when-idle' or 'never', got ${String(options.inlineSync)}`,
      )
    }
    const logger = options.logger ?? silentLogger
    await mkdir(dir, { recursive: true })
    let storage: FileStorage | undefined
    const lock = await lockDir(dir, (err) => storage?.lockLost(err))
    try {
      const rec = await recover(dir, logger)
      const onFillError = (e: Error): void =>
        logger.warn('storage: preallocating the log failed; appends grow the file instead', {
          dir,
          error: e.message,
        })
      const wal = await Wal.open(dir, { segmentBytes, preallocateBytes, onFillError }, rec.segments)
      storage = new FileStorage(
        dir,
        rec.state,
        rec.snapshot,
        wal,
        lock,
        syncMode,
        checkpointBytes,
        logger,
        inlineSync === 'when-idle' ? new SyncPlacement() : undefined,
      )
      return storage
    } catch (e) {
      await lock.release()
      throw e
    }
  }

  async load(): Promise<PersistedState> {
    this.assertOpen()
    const s = this.projected
    return {
      hardState: s.hardState,
      entries: s.entries.slice(),
      ...(this.snapshot ? { snapshot: this.snapshot } : {}),
    }
  }

  write(batch: StorageBatch): Promise<void> {
    try {
      this.assertOpen()
      validateBatch(batch)
      const op: LogOp = {
        ...(batch.snapshot ? { snapshot: batch.snapshot.meta } : {}),
        ...(batch.entries ? { entries: batch.entries } : {}),
        ...(batch.hardState ? { hardState: batch.hardState } : {}),
      }
      this.projected.check(op)
      const record = opRecord(op)
      this.projected.apply(op)
      this.counters.writes++
      if (batch.snapshot) this.snapshot = batch.snapshot
      return new Promise<void>((resolve, reject) => {
        const snapshot = batch.snapshot
        this.queue.push({
          op,
          record,
          sync: batch.sync,
          resolve,
          reject,
          ...(snapshot ? { snapshot } : {}),
        })
        this.flushing ??= this.flushLoop()
      })
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new StorageError(String(e)))
    }
  }

  /** Like write({ snapshot, sync: true }), but the snapshot must not go past the log's end. */
  compact(snapshot: Snapshot): Promise<void> {
    const index = (snapshot as Partial<Snapshot> | null)?.meta?.index
    if (typeof index === 'number' && index > this.projected.lastIndex) {
      return Promise.reject(
        new StorageError(`cannot compact at ${index}: the log ends at ${this.projected.lastIndex}`),
      )
    }
    return this.write({ snapshot, sync: true })
  }

  size(): StorageSize {
    const hs = this.projected.hardState
    return {
      raftStateBytes: this.projected.entryBytes + 24 + (hs.votedFor?.length ?? 0),
      snapshotBytes: this.snapshot?.data.length ?? 0,
    }
  }

  stats(): FileStorageStats {
    return { ...this.counters }
  }

  /** Waits for queued writes, then releases the files and the directory lock. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    await this.flushing
    await this.wal.close()
    await this.lock.release().catch((e: unknown) => {
      this.logger.warn('storage: releasing the directory lock failed', {
        dir: this.dir,
        error: String(e),
      })
    })
  }

  private assertOpen(): void {
    if (this.closing) throw new StoppedError('storage is closed')
    if (this.failure) throw this.failure
  }

  private lockLost(err: Error): void {
    this.logger.error('storage: lost the directory lock; refusing further writes', {
      dir: this.dir,
      error: err.message,
    })
    this.failure ??= new StorageLockedError(this.dir, `the lock was lost: ${err.message}`)
  }

  private async flushLoop(): Promise<void> {
    // Yield once: the caller's `this.flushing ??= ...` must be assigned before the loop can end
    // (and clear it), and writes issued in the same tick join the first group.
    await Promise.resolve()
    while (this.queue.length > 0) {
      const group = this.queue
      this.queue = []
      if (this.failure) {
        for (const p of group) p.reject(this.failure)
        continue
      }
      try {
        await this.flushGroup(group)
        for (const p of group) p.resolve()
      } catch (e) {
        this.failure ??= new StorageError(
          `storage write failed in ${this.dir}: ${(e as Error).message}`,
          { cause: e },
        )
        this.logger.error('storage: write failed; the storage refuses further writes', {
          error: String(e),
        })
        for (const p of group) p.reject(this.failure)
      }
    }
    this.flushing = undefined
  }

  /** Snapshot files first, then all records in one write, then one fdatasync for the group. */
  private async flushGroup(group: readonly Pending[]): Promise<void> {
    if (this.wal.needsRotation) await this.wal.rotate()
    const snapshots = group.flatMap((p) => (p.snapshot ? [p.snapshot] : []))
    for (const s of snapshots) await writeSnapshotFile(this.dir, s)
    const only = group.length === 1 ? group[0] : undefined
    const bytes = only ? only.record : Buffer.concat(group.map((p) => p.record))
    const room = this.wal.room(bytes.length)
    if (room) await room
    this.wal.append(bytes)
    for (const p of group) this.written.apply(p.op)
    // A snapshot record is always synced: only then may the old snapshot file go.
    const sync = this.syncMode === 'always' ? group.some((p) => p.sync) : false
    this.counters.groups++
    if (sync || snapshots.length > 0) await this.syncLog()
    if (snapshots.length > 0) await this.compactFiles()
  }

  /** fdatasync of the log, on the main thread or the thread pool as `placement` decides. */
  private async syncLog(): Promise<void> {
    const start = performance.now()
    if (this.placement?.inline(start)) {
      this.wal.syncNow()
      this.counters.inlineSyncs++
    } else {
      await this.wal.sync()
    }
    this.placement?.done(start, performance.now())
    this.counters.syncs++
  }

  /** After a durable snapshot record: drop older snapshot files, and old segments if worth it. */
  private async compactFiles(): Promise<void> {
    if (this.wal.totalBytes >= this.checkpointBytes) await this.wal.checkpoint(this.written)
    const meta = this.written.snapshot
    if (!meta) return
    const current = snapshotName(meta.index, meta.term)
    const stale = (await readdir(this.dir)).filter((n) => n.endsWith('.snap') && n !== current)
    await removeFiles(this.dir, stale)
  }
}

/** Opens (creating if needed) a FileStorage on `options.dir`. */
export function createFileStorage(options: FileStorageOptions): Promise<FileStorage> {
  return FileStorage.open(options)
}
