/**
 * Recovery on open: find the newest checkpoint segment, replay it and every later segment,
 * verify every record's checksums, cut a torn tail off the active segment, and load the
 * snapshot the log refers to. Zeros after the last record of the active segment are its
 * preallocated space (preallocation.ts): kept as they are, no warning, and the log continues
 * in them; a sealed segment has none (rotation cut it), so there they are corruption. Anything damaged elsewhere is a StorageCorruptionError naming the
 * file and byte offset: serving wrong data would be worse than not starting.
 */
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger, Snapshot } from '@raftkit/raft-core'
import { EMPTY_HARD_STATE, StorageCorruptionError, StorageError } from '@raftkit/raft-core'
import { fsyncDir } from './atomic-file.js'
import { LogState } from './log-state.js'
import { readOpAt } from './op-decode.js'
import type { FrameScan } from './record.js'
import { HEADER_BYTES, scanFrames } from './record.js'
import { ReplayLog } from './replay-log.js'
import type { DirListing } from './segments.js'
import { listDir, removeFiles, segmentName, snapshotName } from './segments.js'
import { readSnapshotFile } from './snapshot-file.js'
import { validateEntries } from './validate.js'
import type { SegmentHeader } from './wal-codec.js'
import { WalShapeError, decodeHeader, decodeOp } from './wal-codec.js'
import { Wal } from './wal.js'

export interface Recovered {
  readonly state: LogState
  readonly snapshot?: Snapshot
  readonly segments: { firstSeq: number; activeSeq: number; activeSize: number; sealedSize: number }
}

interface ScannedSegment {
  readonly seq: number
  readonly path: string
  /** The segment's bytes: its records are replayed from here once every segment was checked. */
  readonly buf: Buffer
  readonly scan: FrameScan
  /** End of the header record: the op records follow, up to `scan.validEnd`. */
  readonly headerEnd: number
  readonly header: SegmentHeader
}

/** Runs `fn`, turning a malformed record into corruption at `path`:`offset`. */
function atRecord<T>(path: string, offset: number, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    if (e instanceof WalShapeError || e instanceof StorageError) {
      throw new StorageCorruptionError(path, offset, e.message)
    }
    throw e
  }
}

async function scanSegment(dir: string, seq: number, isLast: boolean): Promise<ScannedSegment> {
  const path = join(dir, segmentName(seq))
  const buf = await readFile(path)
  const scan = scanFrames(buf)
  const stop = scan.stop
  if (stop && (stop.kind === 'corrupt' || !isLast)) {
    throw new StorageCorruptionError(path, stop.offset, stop.reason)
  }
  if (scan.validEnd === 0) throw new StorageCorruptionError(path, 0, 'segment has no header record')
  const headerEnd = HEADER_BYTES + buf.readUInt32LE(0)
  const header = atRecord(path, 0, () => decodeHeader(buf.subarray(HEADER_BYTES, headerEnd)))
  if (header.seq !== seq) {
    throw new StorageCorruptionError(path, 0, `segment header says sequence ${header.seq}`)
  }
  return { seq, path, buf, scan, headerEnd, header }
}

/** Reads segments newest first until the newest checkpoint; returns them oldest first. */
async function scanFromCheckpoint(dir: string, seqs: number[]): Promise<ScannedSegment[]> {
  const out: ScannedSegment[] = []
  for (let i = seqs.length - 1; i >= 0; i--) {
    const seq = seqs[i] as number
    const next = seqs[i + 1]
    if (next !== undefined && next !== seq + 1) {
      throw new StorageCorruptionError(join(dir, segmentName(seq + 1)), 0, 'segment is missing')
    }
    const seg = await scanSegment(dir, seq, i === seqs.length - 1)
    out.unshift(seg)
    if (seg.header.reset) return out
  }
  const first = out[0]
  throw new StorageCorruptionError(
    first?.path ?? dir,
    0,
    'the oldest segment is not a checkpoint: segments are missing',
  )
}

/**
 * Applies the op records of `seg` (all checked by scanFrames) to `log`, reading each straight
 * from the segment's bytes (op-decode.ts) or, in any form but the writers', with decodeOp.
 */
function replaySegment(log: ReplayLog, seg: ScannedSegment): void {
  const { buf, path } = seg
  for (let offset = seg.headerEnd; offset < seg.scan.validEnd;) {
    const start = offset + HEADER_BYTES
    const stop = start + buf.readUInt32LE(offset)
    try {
      if (readOpAt(buf, start, stop)) log.applyScanned(buf)
      else {
        const op = decodeOp(buf.subarray(start, stop))
        if (op.entries) validateEntries(op.entries)
        log.applyOp(op)
      }
    } catch (e) {
      if (e instanceof WalShapeError || e instanceof StorageError) {
        throw new StorageCorruptionError(path, offset, e.message)
      }
      throw e
    }
    offset = stop
  }
}

/**
 * Replays the segments from the checkpoint's state. The entries kept get their own copy of their
 * data: decoding leaves them in the segments' file buffers, which would stay in memory for as
 * long as one entry of them lives.
 */
function replay(segments: readonly ScannedSegment[]): LogState {
  const reset = segments[0]?.header.reset
  const log = reset
    ? new ReplayLog(reset.snapshot, reset.entries, reset.hardState)
    : new ReplayLog(null, [], EMPTY_HARD_STATE)
  for (const seg of segments) replaySegment(log, seg)
  return log.toLogState()
}

async function cutTornTail(seg: ScannedSegment, logger: Logger): Promise<void> {
  const stop = seg.scan.stop
  if (stop?.kind !== 'torn') return
  logger.warn('storage: cutting a torn record at the end of the log (an interrupted write)', {
    file: seg.path,
    offset: stop.offset,
    reason: stop.reason,
  })
  const fh = await open(seg.path, 'r+')
  try {
    await fh.truncate(seg.scan.validEnd)
    await fh.datasync()
  } finally {
    await fh.close()
  }
}

/** What the segments from the newest checkpoint on hold, read without changing anything. */
interface ReadState {
  readonly segments: readonly ScannedSegment[]
  readonly state: LogState
  readonly snapshot?: Snapshot
}

/**
 * Scans and replays the segments of `listing` (at least one) and loads the snapshot the log
 * refers to. Writes nothing: a torn tail is left where it is (the replay stops before it).
 */
async function readSegments(dir: string, listing: DirListing): Promise<ReadState> {
  const segments = await scanFromCheckpoint(dir, listing.segments)
  const state = replay(segments)
  const snapshot = state.snapshot ? await readSnapshotFile(dir, state.snapshot) : undefined
  return { segments, state, ...(snapshot ? { snapshot } : {}) }
}

/**
 * The directory's state as recovery would find it, read without writing anything (no repair,
 * no cleanup, no lock): undefined if it holds no log segment. Damage is a StorageCorruptionError
 * as on open; a torn tail is skipped, not cut.
 */
export async function readRecoverable(
  dir: string,
): Promise<{ state: LogState; snapshot?: Snapshot } | undefined> {
  const listing = await listDir(dir)
  if (listing.segments.length === 0) return undefined
  const { state, snapshot } = await readSegments(dir, listing)
  return { state, ...(snapshot ? { snapshot } : {}) }
}

/** Recovers the directory's state, creating an empty log if there is none. */
export async function recover(dir: string, logger: Logger): Promise<Recovered> {
  const listing = await listDir(dir)
  await removeFiles(dir, listing.temps)
  if (listing.segments.length === 0) {
    await Wal.createSegment(dir, {
      seq: 1,
      reset: { snapshot: null, entries: [], hardState: EMPTY_HARD_STATE },
    })
    const size = (await readFile(join(dir, segmentName(1)))).length
    return {
      state: new LogState(),
      segments: { firstSeq: 1, activeSeq: 1, activeSize: size, sealedSize: 0 },
    }
  }
  const { segments, state, snapshot } = await readSegments(dir, listing)
  const first = segments[0] as ScannedSegment
  const active = segments[segments.length - 1] as ScannedSegment
  await cutTornTail(active, logger)
  // Leftovers of an interrupted compaction: segments before the checkpoint, unused snapshots.
  const current = state.snapshot ? snapshotName(state.snapshot.index, state.snapshot.term) : ''
  await removeFiles(dir, [
    ...listing.segments.filter((s) => s < first.seq).map(segmentName),
    ...listing.snapshots.filter((n) => n !== current),
  ])
  await fsyncDir(dir)
  const sealedSize = segments.slice(0, -1).reduce((n, s) => n + s.scan.validEnd, 0)
  return {
    state,
    ...(snapshot ? { snapshot } : {}),
    segments: {
      firstSeq: first.seq,
      activeSeq: active.seq,
      activeSize: active.scan.validEnd,
      sealedSize,
    },
  }
}
