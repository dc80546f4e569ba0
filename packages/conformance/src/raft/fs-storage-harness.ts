/**
 * The cluster harness over @raftkit/storage-fs: every node gets its own temporary directory
 * with a real FileStorage in it. A crash closes the node's storage (which finishes the writes
 * already handed to it and releases the directory lock) and the restart reopens the same
 * directory, so the restarted node recovers from the files exactly as after a process crash:
 * what was written survives, and writes the killed node attempts afterwards are refused.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NodeId, PersistedState, Snapshot, Storage, StorageBatch } from '@raftkit/raft-core'
import { createFileStorage } from '@raftkit/storage-fs'
import type { FileStorage, FileStorageOptions, FileStorageStats } from '@raftkit/storage-fs'
import { IoSequencer } from './io-sequencer.js'
import type { StorageFactory, StorageHarness } from './storage-harness.js'

export interface FileStorageHarnessOptions {
  /** Where the per-node temporary directories are created. @default os.tmpdir() */
  readonly baseDir?: string
  /**
   * Log segment size. Small by default so that the scenarios also exercise segment rotation
   * and checkpoints (compaction of old segments after a snapshot). @default 16 KiB
   */
  readonly segmentBytes?: number
  /** FileStorage's fsync mode. @default 'always' */
  readonly sync?: FileStorageOptions['sync']
  /** Where FileStorage runs an append's fdatasync. @default FileStorage's ('when-idle') */
  readonly inlineSync?: FileStorageOptions['inlineSync']
  /** How far FileStorage zero-fills the log ahead. @default FileStorage's */
  readonly preallocateBytes?: FileStorageOptions['preallocateBytes']
}

/** The options every node's FileStorage is opened with (besides its directory). */
type OpenOptions = Omit<FileStorageOptions, 'dir' | 'logger'>

export const HARNESS_SEGMENT_BYTES = 16 * 1024

/** A Storage whose every operation goes through the sequencer (size() is synchronous). */
class SequencedStorage implements Storage {
  constructor(
    private readonly inner: Storage,
    private readonly io: IoSequencer,
  ) {}

  get capabilities(): Storage['capabilities'] {
    return this.inner.capabilities
  }

  load(): Promise<PersistedState> {
    return this.io.run(() => this.inner.load())
  }

  write(batch: StorageBatch): Promise<void> {
    return this.io.run(() => this.inner.write(batch))
  }

  compact(snapshot: Snapshot): Promise<void> {
    return this.io.run(() => this.inner.compact(snapshot))
  }

  size(): ReturnType<Storage['size']> {
    return this.inner.size()
  }

  close(): Promise<void> {
    return this.io.run(() => this.inner.close())
  }
}

/** One node's directory. */
export class FileStorageHarness implements StorageHarness {
  private current: FileStorage | undefined
  private destroyed = false

  constructor(
    readonly dir: string,
    private readonly options: OpenOptions,
    private readonly io: IoSequencer = new IoSequencer(),
  ) {}

  /** Opens the directory (recovering what is in it); a storage still open is closed first. */
  open(): Promise<Storage> {
    return this.io.run(async () => {
      if (this.destroyed) throw new Error(`the storage harness for ${this.dir} was destroyed`)
      await this.closeCurrent()
      this.current = await createFileStorage({ ...this.options, dir: this.dir })
      return new SequencedStorage(this.current, this.io)
    })
  }

  /** The open FileStorage's counters (undefined while none is open). */
  stats(): FileStorageStats | undefined {
    return this.current?.stats()
  }

  /** Closes the storage: the restarted node will find what reached the files. */
  crash(): Promise<void> {
    return this.io.run(() => this.closeCurrent())
  }

  destroy(): Promise<void> {
    return this.io.run(async () => {
      this.destroyed = true
      await this.closeCurrent()
      await rm(this.dir, { recursive: true, force: true })
    })
  }

  private async closeCurrent(): Promise<void> {
    const s = this.current
    this.current = undefined
    if (s) await s.close()
  }
}

/**
 * A StorageFactory giving each node a FileStorage in a fresh temporary directory (removed by
 * destroy()). Under a simulated clock the runner attaches the factory (simulate()) so file I/O
 * takes no simulated time; one simulated run at a time per factory.
 */
export function fileStorage(options: FileStorageHarnessOptions = {}): StorageFactory {
  const io = new IoSequencer()
  const base = options.baseDir ?? tmpdir()
  const resolved: OpenOptions = {
    segmentBytes: options.segmentBytes ?? HARNESS_SEGMENT_BYTES,
    sync: options.sync ?? 'always',
    ...(options.inlineSync !== undefined ? { inlineSync: options.inlineSync } : {}),
    ...(options.preallocateBytes !== undefined
      ? { preallocateBytes: options.preallocateBytes }
      : {}),
  }
  const create = (id: NodeId): Promise<StorageHarness> =>
    io.run(async () => {
      const safe = String(id).replace(/[^A-Za-z0-9_-]/g, '_')
      const dir = await mkdtemp(join(base, `raftkit-raft-${safe}-`))
      return new FileStorageHarness(dir, resolved, io)
    })
  return Object.assign(create, { simulate: () => io.attach() })
}
