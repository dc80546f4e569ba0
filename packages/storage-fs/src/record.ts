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

/** Why scanning stopped before the end of the buffer. */
export type ScanStop =
  | { readonly kind: 'torn'; readonly offset: number; readonly reason: string }
  | { readonly kind: 'corrupt'; readonly offset: number; readonly reason: string }

export interface ScanResult {
  readonly records: ScannedRecord[]
  /** End of the last valid record: where a torn tail gets cut. */
  readonly validEnd: number
  readonly stop?: ScanStop
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false
  return true
}

/**
 * Reads records from `buf` until its end or the first bad record. Classifies the bad record:
 * `torn` when it is what an interrupted append leaves behind (a short header, a payload cut by
 * the end of the file, or zeros up to the end), `corrupt` otherwise. The caller decides whether
 * a torn record is acceptable (only at the tail of the last segment).
 */
export function scanRecords(buf: Buffer): ScanResult {
  const records: ScannedRecord[] = []
  let offset = 0
  while (offset < buf.length) {
    const stop = checkRecordAt(buf, offset)
    if (stop) {
      // Some filesystems extend a file before its data blocks land: zeros to the end are torn.
      const zeroTail = stop.kind === 'corrupt' && allZero(buf, offset)
      return {
        records,
        validEnd: offset,
        stop: zeroTail ? { kind: 'torn', offset, reason: 'zero-filled tail' } : stop,
      }
    }
    const len = buf.readUInt32LE(offset)
    records.push({
      offset,
      payload: buf.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + len),
    })
    offset += HEADER_BYTES + len
  }
  return { records, validEnd: offset }
}

function checkRecordAt(buf: Buffer, offset: number): ScanStop | undefined {
  const remaining = buf.length - offset
  if (remaining < HEADER_BYTES) return { kind: 'torn', offset, reason: 'incomplete record header' }
  if (crc32c(buf.subarray(offset, offset + 8)) !== buf.readUInt32LE(offset + 8)) {
    return { kind: 'corrupt', offset, reason: 'record header checksum mismatch' }
  }
  const len = buf.readUInt32LE(offset)
  if (len > MAX_PAYLOAD_BYTES)
    return { kind: 'corrupt', offset, reason: `record length ${len} is implausible` }
  if (remaining < HEADER_BYTES + len) {
    return { kind: 'torn', offset, reason: `record of ${len} bytes cut by the end of the file` }
  }
  const payload = buf.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + len)
  if (crc32c(payload) !== buf.readUInt32LE(offset + 4)) {
    return { kind: 'corrupt', offset, reason: 'record payload checksum mismatch' }
  }
  return undefined
}
