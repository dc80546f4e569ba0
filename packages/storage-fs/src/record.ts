/**
 * Record framing shared by WAL segments and snapshot files:
 *
 *   [len u32 LE][payloadCrc u32 LE][headerCrc u32 LE][payload: len bytes]
 *
 * `payloadCrc` is CRC32C of the payload. `headerCrc` is CRC32C of the first 8 header bytes: it
 * protects the length on its own, so a flipped bit in the length of an earlier record is reported
 * as corruption instead of looking like a record that runs past the end of the file (which is
 * what a torn tail looks like, and would be silently cut).
 */
import CRC32C from 'crc-32/crc32c.js'
import { crc32cRange } from './crc32c.js'

export const HEADER_BYTES = 12
/** Far above any sane batch; a larger length with a valid header CRC is corruption. */
export const MAX_PAYLOAD_BYTES = 512 * 1024 * 1024

export function crc32c(bytes: Uint8Array): number {
  return CRC32C.buf(bytes) >>> 0
}

export function frameRecord(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length)
  out.writeUInt32LE(payload.length, 0)
  out.writeUInt32LE(crc32c(payload), 4)
  out.writeUInt32LE(crc32c(out.subarray(0, 8)), 8)
  out.set(payload, HEADER_BYTES)
  return out
}

export interface ScannedRecord {
  /** Byte offset of the record's header in the file. */
  readonly offset: number
  readonly payload: Buffer
}

/**
 * Why scanning stopped before the end of the buffer. `zeros`: nothing but zero bytes follow the
 * last valid record (the preallocated end of the active segment; a zero header never passes
 * the header checksum, so zeros are never read as a record).
 */
export type ScanStop =
  | { readonly kind: 'zeros'; readonly offset: number; readonly reason: string }
  | { readonly kind: 'torn'; readonly offset: number; readonly reason: string }
  | { readonly kind: 'corrupt'; readonly offset: number; readonly reason: string }

export interface ScanResult extends FrameScan {
  readonly records: ScannedRecord[]
}

/**
 * Unwritten parts of an interrupted write start at a sector boundary at least (the page cache
 * writes whole pages; a device tears a write at sector boundaries, if at all).
 */
const SECTOR_BYTES = 512

const ZERO_BLOCK = Buffer.alloc(4096)

/** The offset just past the last non-zero byte at or after `from` (`from` if there is none). */
function dataEnd(buf: Buffer, from: number): number {
  let end = buf.length
  // Whole blocks compared natively: a preallocated tail is up to megabytes of zeros.
  while (end - from >= ZERO_BLOCK.length) {
    const start = end - ZERO_BLOCK.length
    if (ZERO_BLOCK.compare(buf, start, end) !== 0) break
    end = start
  }
  while (end > from && buf[end - 1] === 0) end--
  return end
}

/** What scanFrames found: where the valid records end and why scanning stopped there. */
export interface FrameScan {
  /** End of the last valid record: where a torn tail gets cut. */
  readonly validEnd: number
  readonly stop?: ScanStop
}

/**
 * Checks the records of `buf` from its start until its end or the first bad record, and
 * classifies what follows the last valid record:
 * - `zeros`: only zero bytes to the end;
 * - `torn`: what an interrupted append leaves behind: a short header or a payload cut by the end
 *   of the file, or (in preallocated space) by the zeros the append did not get to overwrite:
 *   the record runs past the sector boundary after its last non-zero byte, and zeros follow;
 * - `corrupt`: anything else, e.g. a complete record with a wrong checksum, or non-zero bytes
 *   after a zero header.
 * The caller decides what is acceptable (zeros and a torn record only at the tail of the last
 * segment). Allocates nothing per record: the records in `[0, validEnd)` are then walked by
 * their lengths (recovery.ts), or listed by scanRecords.
 */
export function scanFrames(buf: Buffer): FrameScan {
  let offset = 0
  while (offset < buf.length) {
    const stop = checkRecordAt(buf, offset)
    if (stop) return { validEnd: offset, stop: classifyTail(buf, offset, stop) }
    offset += HEADER_BYTES + buf.readUInt32LE(offset)
  }
  return { validEnd: offset }
}

/** scanFrames, with every valid record listed (offset and a view of its payload). */
export function scanRecords(buf: Buffer): ScanResult {
  const scan = scanFrames(buf)
  const records: ScannedRecord[] = []
  for (let offset = 0; offset < scan.validEnd;) {
    const len = buf.readUInt32LE(offset)
    records.push({
      offset,
      payload: buf.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + len),
    })
    offset += HEADER_BYTES + len
  }
  return { records, ...scan }
}

/** `stop` is the bad record at `offset`; the zeros after the last non-zero byte may explain it. */
function classifyTail(buf: Buffer, offset: number, stop: ScanStop): ScanStop {
  const end = dataEnd(buf, offset)
  if (end === offset) return { kind: 'zeros', offset, reason: 'zero-filled tail' }
  if (stop.kind === 'torn' || end === buf.length) return stop
  // As if the file ended where the written sectors end: is the record cut short there?
  const written = Math.min(buf.length, Math.ceil(end / SECTOR_BYTES) * SECTOR_BYTES)
  const cut = checkRecordAt(buf.subarray(0, written), offset)
  if (cut?.kind !== 'torn') return stop
  return { kind: 'torn', offset, reason: `${cut.reason} (zeros follow: an interrupted append)` }
}

function checkRecordAt(buf: Buffer, offset: number): ScanStop | undefined {
  const remaining = buf.length - offset
  if (remaining < HEADER_BYTES) return { kind: 'torn', offset, reason: 'incomplete record header' }
  if (crc32cRange(buf, offset, offset + 8) !== buf.readUInt32LE(offset + 8)) {
    return { kind: 'corrupt', offset, reason: 'record header checksum mismatch' }
  }
  const len = buf.readUInt32LE(offset)
  if (len > MAX_PAYLOAD_BYTES)
    return { kind: 'corrupt', offset, reason: `record length ${len} is implausible` }
  if (remaining < HEADER_BYTES + len) {
    return { kind: 'torn', offset, reason: `record of ${len} bytes cut by the end of the file` }
  }
  const start = offset + HEADER_BYTES
  if (crc32cRange(buf, start, start + len) !== buf.readUInt32LE(offset + 4)) {
    return { kind: 'corrupt', offset, reason: 'record payload checksum mismatch' }
  }
  return undefined
}
