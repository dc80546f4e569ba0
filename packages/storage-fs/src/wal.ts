/**
 * The write-ahead log: numbered segment files in one directory, appended to at the end of the
 * newest ("active") segment. Each segment starts with a header record; new segments are created
 * with the atomic temp/fsync/rename/fsync-dir pattern, so a segment on disk always has a complete
 * header and only the active segment can have a torn tail.
 *
 * The active segment is kept zero-filled ahead of the append position (preallocation.ts), so a
 * steady-state append does not grow the file. Rotation seals the active segment once it reaches
 * `segmentBytes`: it cuts the zeros off (ftruncate to the valid size), fdatasyncs, and starts the
 * next one, so only the active segment has a zero tail. A checkpoint (after a snapshot) starts a segment whose header holds the whole
 * logical state, then deletes every older segment: that is how compaction frees disk space.
 */
import { fdatasyncSync, writeSync } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { fsyncDir, writeFileAtomic } from './atomic-file.js'
import type { LogState } from './log-state.js'
import { ZeroFill } from './preallocation.js'
import { frameRecord } from './record.js'
import { removeFiles, segmentName } from './segments.js'
import type { SegmentHeader } from './wal-codec.js'
import { encodeHeader } from './wal-codec.js'

export interface WalOptions {
  readonly segmentBytes: number
  /** Zero-fill chunk of the active segment; 0: no preallocation. */
  readonly preallocateBytes: number
  /** Told when a background zero fill fails (preallocation then stops for that segment). */
  readonly onFillError: (e: Error) => void
}

export class Wal {
  private constructor(
    private readonly dir: string,
    private readonly options: WalOptions,
    /** Oldest segment still on disk. */
    private firstSeq: number,
    private activeSeq: number,
    private fh: FileHandle,
    /** Bytes in the active segment (where the next record goes). */
    private activeSize: number,
    /** Bytes in the sealed segments. */
    private sealedSize: number,
    private fill: ZeroFill,
  ) {}

  /** Creates the first segment of an empty directory: a checkpoint of the empty state. */
  static async createSegment(dir: string, header: SegmentHeader): Promise<void> {
    await writeFileAtomic(join(dir, segmentName(header.seq)), frameRecord(encodeHeader(header)))
  }

  /**
   * Opens the active segment for appending at `activeSize`. Whatever the file holds past it must
   * be zeros (recovery checked that, or cut it): it is used as preallocated space.
   */
  static async open(
    dir: string,
    options: WalOptions,
    segments: { firstSeq: number; activeSeq: number; activeSize: number; sealedSize: number },
  ): Promise<Wal> {
    const { firstSeq, activeSeq, activeSize, sealedSize } = segments
    const fh = await open(join(dir, segmentName(activeSeq)), 'r+')
    try {
      const fill = await Wal.zeroFill(dir, options, activeSeq, (await fh.stat()).size)
      const wal = new Wal(dir, options, firstSeq, activeSeq, fh, activeSize, sealedSize, fill)
      fill.appended(activeSize)
      return wal
    } catch (e) {
      await fh.close()
      throw e
    }
  }

  private static zeroFill(
    dir: string,
    options: WalOptions,
    seq: number,
    fileSize: number,
  ): Promise<ZeroFill> {
    const { preallocateBytes, segmentBytes, onFillError } = options
    const path = join(dir, segmentName(seq))
    return ZeroFill.open(path, preallocateBytes, segmentBytes, fileSize, onFillError)
  }

  /** Total bytes of all segments. */
  get totalBytes(): number {
    return this.sealedSize + this.activeSize
  }

  get needsRotation(): boolean {
    return this.activeSize >= this.options.segmentBytes
  }

  /**
   * Call before append(bytes): a promise when the append must first wait for a zero write in
   * flight over the bytes it would write (rare: after open or rotation, or when appends outrun
   * the fills).
   */
  room(bytes: number): Promise<void> | undefined {
    return this.fill.room(this.activeSize, bytes)
  }

  /**
   * Writes `bytes` at the end of the active segment (not yet durable). The write is synchronous:
   * copying a batch into the page cache takes microseconds, while an asynchronous write costs a
   * round trip through libuv's thread pool on every group, on the path of every commit. Only
   * fdatasync (sync()), which waits for the disk, goes to the thread pool.
   */
  append(bytes: Buffer): void {
    if (this.fill.room(this.activeSize, bytes.length)) {
      throw new Error('internal: append over a zero fill in flight (await room() first)')
    }
    let done = 0
    while (done < bytes.length) {
      done += writeSync(this.fh.fd, bytes, done, bytes.length - done, this.activeSize + done)
    }
    this.activeSize += bytes.length
    this.fill.appended(this.activeSize)
  }

  /** Makes everything appended so far durable (fdatasync on libuv's thread pool). */
  async sync(): Promise<void> {
    await this.fh.datasync()
  }

  /** Like sync(), but on the calling thread: blocks the event loop while the disk works. */
  syncNow(): void {
    fdatasyncSync(this.fh.fd)
  }

  /** Seals the active segment (cut to its valid size, fdatasync'ed) and continues in a new one. */
  async rotate(): Promise<void> {
    await this.fill.close()
    if (this.fill.fileEnd > this.activeSize) await this.fh.truncate(this.activeSize)
    await this.fh.datasync()
    this.sealedSize += await this.switchTo({ seq: this.activeSeq + 1 })
  }

  /**
   * Starts a checkpoint segment holding `state` and deletes all older segments. Everything
   * appended so far must already be reflected in `state`.
   */
  async checkpoint(state: LogState): Promise<void> {
    const oldest = this.firstSeq
    await this.switchTo({
      seq: this.activeSeq + 1,
      reset: { snapshot: state.snapshot, entries: state.entries, hardState: state.hardState },
    })
    const names: string[] = []
    for (let seq = oldest; seq < this.activeSeq; seq++) names.push(segmentName(seq))
    await removeFiles(this.dir, names)
    await fsyncDir(this.dir)
    this.firstSeq = this.activeSeq
    this.sealedSize = 0
  }

  /** Creates the segment `header` describes and makes it active; returns the old one's size. */
  private async switchTo(header: SegmentHeader): Promise<number> {
    await Wal.createSegment(this.dir, header)
    const fh = await open(join(this.dir, segmentName(header.seq)), 'r+')
    const size = (await fh.stat()).size
    await this.fill.close()
    await this.fh.close()
    this.fh = fh
    this.fill = await Wal.zeroFill(this.dir, this.options, header.seq, size)
    this.fill.appended(size)
    const previousSize = this.activeSize
    this.activeSeq = header.seq
    this.activeSize = size
    return previousSize
  }

  async close(): Promise<void> {
    await this.fill.close()
    await this.fh.close()
  }
}
