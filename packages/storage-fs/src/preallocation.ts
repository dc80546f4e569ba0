/**
 * Zero-filled preallocation of the active WAL segment: the file is kept written with zeros ahead
 * of the append position, so a steady-state append overwrites blocks that already exist inside
 * the file's size. On a filesystem without a journal (and wherever fdatasync must write the
 * inode when the size changes) the fdatasync after such an append writes only the data block,
 * not the data block and the inode: one synchronous device write fewer on every commit.
 * A sparse extension (ftruncate) does not help: the blocks must really be written.
 *
 * When the zeroed space ahead of the append position drops below half a chunk, zeros up to one
 * chunk ahead are written (pwrite at an explicit offset, on libuv's thread pool) and fdatasync'ed
 * in the background. Appends never wait for that, except an append that would reach the range
 * whose zero write has not returned yet (then it waits for that write only, never for its
 * fdatasync). Zero-filling stops at `limit` (the segment size): the group that crosses it
 * appends normally, then the segment rotates and the sealed one is cut to its valid size.
 *
 * The zeros are written and fdatasync'ed through a file descriptor of their own: Linux reports a
 * writeback error once per open file, so a failed fdatasync of a fill can never swallow an error
 * that the append descriptor's fdatasync (which acknowledges records) must see.
 *
 * Safety ("never change a stored byte"): a zero write starts at or after the append position
 * at the time it is issued, and no append is written at or past that start until the zero write
 * has returned, so zeros never land on appended bytes; fills never overlap each other (one at a
 * time, each starting at or after the previous one's end). Every fdatasync covers all bytes
 * written to the file before it, so an acknowledged record (appended, then fdatasync'ed) is on
 * disk whatever a fill does later. After a crash the bytes past the last valid record are zeros
 * or an append that was never acknowledged; recovery (record.ts) tells them apart.
 */
import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'

/** Zeros to write from: shared (never written to), grown to the largest chunk asked for. */
let zeroBuffer = Buffer.alloc(0)
function zeros(n: number): Buffer {
  if (zeroBuffer.length < n) zeroBuffer = Buffer.alloc(n)
  return zeroBuffer
}

export class ZeroFill {
  /** File offset up to which the file holds zeros or appended bytes. */
  private zeroedEnd: number
  /** The end of every zero write issued, including failed ones. */
  private attemptedEnd: number
  /** The zero write in flight: appends must not reach `from` before `written` settles. */
  private writing: { readonly from: number; readonly written: Promise<void> } | undefined
  /** The whole fill in flight (zero write, then fdatasync). */
  private filling: Promise<void> | undefined
  private stopped = false
  private closed: Promise<void> | undefined

  private constructor(
    /** The fill's own descriptor (undefined when preallocation is off). */
    private readonly fh: FileHandle | undefined,
    private readonly chunk: number,
    private readonly limit: number,
    /** The file's size: what is past the append position is zeros (recovery checked). */
    fileSize: number,
    /** Called once when a fill fails (e.g. ENOSPC); preallocation stops for this segment. */
    private readonly onError: (e: Error) => void,
  ) {
    this.zeroedEnd = fileSize
    this.attemptedEnd = fileSize
  }

  /** Preallocation for the segment at `path` in chunks of `chunk` bytes (0: off), up to `limit`. */
  static async open(
    path: string,
    chunk: number,
    limit: number,
    fileSize: number,
    onError: (e: Error) => void,
  ): Promise<ZeroFill> {
    const fh = chunk > 0 ? await open(path, 'r+') : undefined
    return new ZeroFill(fh, chunk, limit, fileSize, onError)
  }

  /** Where the file may end: past the appends if zeros were (or may have been) written. */
  get fileEnd(): number {
    return this.attemptedEnd
  }

  /**
   * Call before appending `[at, at + n)`. Returns a promise (that never rejects) only when the
   * append must wait for a zero write in flight; usually undefined, so the append costs no tick.
   */
  room(at: number, n: number): Promise<void> | undefined {
    const w = this.writing
    return w && at + n > w.from ? w.written : undefined
  }

  /** Call after an append ended at `end`: starts the next chunk if the zeros ahead run low. */
  appended(end: number): void {
    if (this.writing && end > this.writing.from) {
      throw new Error(
        `internal: an append reached ${end} over a zero write from ${this.writing.from}`,
      )
    }
    if (end > this.zeroedEnd) this.zeroedEnd = end
    if (end > this.attemptedEnd) this.attemptedEnd = end
    if (!this.fh || this.filling || this.stopped) return
    // Top up to one chunk ahead of the log, in steps of at least half a chunk.
    const from = this.zeroedEnd
    const to = Math.min(end + this.chunk, this.limit)
    if (to - from < this.chunk / 2 && to < this.limit) return
    if (to <= from) return
    this.attemptedEnd = Math.max(this.attemptedEnd, to)
    this.filling = this.fill(this.fh, from, to)
  }

  /** Stops filling, waits for the fill in flight and closes the fill's descriptor. Idempotent. */
  close(): Promise<void> {
    this.stopped = true
    this.closed ??= (async () => {
      await this.filling
      await this.fh?.close()
    })()
    return this.closed
  }

  private async fill(fh: FileHandle, from: number, to: number): Promise<void> {
    const written = this.writeZeros(fh, from, to)
    // `written` resolves whether or not the write worked: a waiting append then goes ahead
    // (a failed fill only means that append grows the file, as without preallocation).
    const settled = written.then(
      () => true,
      (e: unknown) => this.fail(e),
    )
    this.writing = { from, written: settled.then(() => undefined) }
    const ok = await settled
    this.writing = undefined
    if (ok) {
      if (to > this.zeroedEnd) this.zeroedEnd = to
      await fh.datasync().catch((e: unknown) => this.fail(e))
    }
    this.filling = undefined
  }

  private async writeZeros(fh: FileHandle, from: number, to: number): Promise<void> {
    let at = from
    while (at < to) {
      const { bytesWritten } = await fh.write(zeros(to - at), 0, to - at, at)
      if (bytesWritten === 0) throw new Error(`writing zeros at ${at} wrote nothing`)
      at += bytesWritten
    }
  }

  private fail(e: unknown): false {
    if (!this.stopped) this.onError(e instanceof Error ? e : new Error(String(e)))
    this.stopped = true
    return false
  }
}
