/**
 * The write-ahead log: numbered segment files in one directory, appended to at the end of the
 * newest ("active") segment. Each segment starts with a header record; new segments are created
 * with the atomic temp/fsync/rename/fsync-dir pattern, so a segment on disk always has a complete
 * header and only the active segment can have a torn tail.
 *
 * Rotation seals the active segment (fdatasync) once it reaches `segmentBytes` and starts the
 * next one. A checkpoint (after a snapshot) starts a segment whose header holds the whole
 * logical state, then deletes every older segment: that is how compaction frees disk space.
 */
import { writeSync } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { fsyncDir, writeFileAtomic } from './atomic-file.js'
import type { LogState } from './log-state.js'
import { frameRecord } from './record.js'
import { removeFiles, segmentName } from './segments.js'
import type { SegmentHeader } from './wal-codec.js'
import { encodeHeader } from './wal-codec.js'

export class Wal {
  private constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
    /** Oldest segment still on disk. */
    private firstSeq: number,
    private activeSeq: number,
    private fh: FileHandle,
    /** Bytes in the active segment (where the next record goes). */
    private activeSize: number,
    /** Bytes in the sealed segments. */
    private sealedSize: number,
  ) {}

  /** Creates the first segment of an empty directory: a checkpoint of the empty state. */
  static async createSegment(dir: string, header: SegmentHeader): Promise<void> {
    await writeFileAtomic(join(dir, segmentName(header.seq)), frameRecord(encodeHeader(header)))
  }

  static async open(
    dir: string,
    segmentBytes: number,
    segments: { firstSeq: number; activeSeq: number; activeSize: number; sealedSize: number },
  ): Promise<Wal> {
    const fh = await open(join(dir, segmentName(segments.activeSeq)), 'r+')
    const { firstSeq, activeSeq, activeSize, sealedSize } = segments
    return new Wal(dir, segmentBytes, firstSeq, activeSeq, fh, activeSize, sealedSize)
  }

  /** Total bytes of all segments. */
  get totalBytes(): number {
    return this.sealedSize + this.activeSize
  }

  get needsRotation(): boolean {
    return this.activeSize >= this.segmentBytes
  }

  /**
   * Writes `bytes` at the end of the active segment (not yet durable). The write is synchronous:
   * copying a batch into the page cache takes microseconds, while an asynchronous write costs a
   * round trip through libuv's thread pool on every group, on the path of every commit. Only
   * fdatasync (sync()), which waits for the disk, goes to the thread pool.
   */
  append(bytes: Buffer): void {
    let done = 0
    while (done < bytes.length) {
      done += writeSync(this.fh.fd, bytes, done, bytes.length - done, this.activeSize + done)
    }
    this.activeSize += bytes.length
  }

  /** Makes everything appended so far durable. */
  async sync(): Promise<void> {
    await this.fh.datasync()
  }

  /** Seals the active segment and continues in a new one. */
  async rotate(): Promise<void> {
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
    await this.fh.close()
    this.fh = fh
    const previousSize = this.activeSize
    this.activeSeq = header.seq
    this.activeSize = size
    return previousSize
  }

  async close(): Promise<void> {
    await this.fh.close()
  }
}
