/**
 * The backup file format: what GET /v1/admin/backup answers, `raftkit backup save` writes and
 * `raftkit backup restore` reads. One self-checking file holding the state machine's snapshot
 * (snapshot-format.ts: the map and the session table) at a log position:
 *
 *   offset   size  field
 *   0        8     magic "RKBACKUP"
 *   8        2     format version, u16 big-endian (1)
 *   10       2     reserved, 0
 *   12       4     metadata length M, u32 big-endian
 *   16       8     snapshot length S, u64 big-endian
 *   24       M     metadata, UTF-8 JSON: {"index", "term", "members", "createdAt"}
 *   24+M     S     the state machine's snapshot bytes
 *   24+M+S   32    SHA-256 of every byte before it
 *
 * `index` is the log index the snapshot reflects (every entry up to it applied), `term` the
 * term of that entry, `members` the voters of the configuration at the time (informational),
 * `createdAt` an ISO time. Decoding checks magic, version, lengths and checksum before it reads
 * anything else, then the metadata and the snapshot; any problem throws BackupFormatError
 * naming it. It never returns a partial result.
 */
import { createHash } from 'node:crypto'
import { BackupFormatError, MalformedSnapshotError } from './errors.js'
import type { DecodedSnapshot } from './snapshot-format.js'
import { decodeSnapshot } from './snapshot-format.js'

export const BACKUP_MAGIC = 'RKBACKUP'
export const BACKUP_VERSION = 1
/** Bytes before the metadata. */
export const BACKUP_HEADER_BYTES = 24
/** Bytes of the checksum at the end. */
export const BACKUP_CHECKSUM_BYTES = 32
/** The largest metadata accepted (it names the members: a few hundred bytes in practice). */
const MAX_META_BYTES = 1024 * 1024

export interface BackupMeta {
  /** The log index the snapshot reflects. */
  readonly index: number
  /** The term of the entry at `index`. */
  readonly term: number
  /** The voters when the backup was taken (informational; restore uses the cluster file). */
  readonly members: readonly string[]
  /** When the backup was taken (ISO 8601). */
  readonly createdAt: string
}

export interface Backup extends BackupMeta {
  /** The state machine's snapshot (snapshot-format.ts). */
  readonly snapshot: Uint8Array
}

export interface DecodedBackup extends Backup {
  /** The snapshot decoded (it was checked to decode). */
  readonly state: DecodedSnapshot
}

/** The file's bytes. Throws RangeError for metadata that decodeBackup would refuse. */
export function encodeBackup(backup: Backup): Buffer {
  const parts = encodeBackupParts(backup)
  return Buffer.concat(
    parts,
    parts.reduce((n, p) => n + p.length, 0),
  )
}

/**
 * The file's bytes as three parts — header and metadata, the snapshot (the caller's bytes, not
 * a copy), the checksum — to be sent one after the other without a second copy of the
 * snapshot. Throws RangeError for metadata that decodeBackup would refuse.
 */
export function encodeBackupParts(backup: Backup): [Buffer, Uint8Array, Buffer] {
  const problem = metaProblem(backup)
  if (problem !== undefined) throw new RangeError(`encodeBackup: ${problem}`)
  const meta = Buffer.from(
    JSON.stringify({
      index: backup.index,
      term: backup.term,
      members: [...backup.members],
      createdAt: backup.createdAt,
    }),
    'utf8',
  )
  const head = Buffer.alloc(BACKUP_HEADER_BYTES + meta.length)
  head.write(BACKUP_MAGIC, 0, 'latin1')
  head.writeUInt16BE(BACKUP_VERSION, 8)
  head.writeUInt32BE(meta.length, 12)
  head.writeBigUInt64BE(BigInt(backup.snapshot.length), 16)
  meta.copy(head, BACKUP_HEADER_BYTES)
  const sum = createHash('sha256').update(head).update(backup.snapshot).digest()
  return [head, backup.snapshot, sum]
}

/** Decodes a whole file; throws BackupFormatError naming what is wrong. */
export function decodeBackup(bytes: Uint8Array): DecodedBackup {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const fail = (problem: BackupFormatError['problem'], message: string): never => {
    throw new BackupFormatError(problem, message)
  }
  const magic = buf.subarray(0, Math.min(buf.length, 8)).toString('latin1')
  if (!BACKUP_MAGIC.startsWith(magic)) fail('foreign', `it does not start with "${BACKUP_MAGIC}"`)
  const least = BACKUP_HEADER_BYTES + BACKUP_CHECKSUM_BYTES
  if (buf.length < least)
    fail('truncated', `${buf.length} bytes, shorter than the smallest backup (${least} bytes)`)
  const version = buf.readUInt16BE(8)
  if (version !== BACKUP_VERSION)
    fail('version', `format version ${version}; this build reads version ${BACKUP_VERSION}`)
  if (buf.readUInt16BE(10) !== 0) fail('corrupt', 'the reserved header bytes are not zero')
  const metaBytes = buf.readUInt32BE(12)
  const snapBig = buf.readBigUInt64BE(16)
  if (metaBytes > MAX_META_BYTES)
    fail('corrupt', `the header gives ${metaBytes} bytes of metadata (at most ${MAX_META_BYTES})`)
  const expected = BigInt(least + metaBytes) + snapBig
  if (BigInt(buf.length) < expected)
    fail('truncated', `${buf.length} bytes where the header announces ${expected}`)
  if (BigInt(buf.length) > expected)
    fail(
      'trailing',
      `${buf.length} bytes where the header announces ${expected}: ${BigInt(buf.length) - expected} bytes after the checksum`,
    )
  const body = buf.length - BACKUP_CHECKSUM_BYTES
  const sum = createHash('sha256').update(buf.subarray(0, body)).digest()
  if (!sum.equals(buf.subarray(body)))
    fail('corrupt', 'the SHA-256 checksum does not match the contents')
  const metaEnd = BACKUP_HEADER_BYTES + metaBytes
  const meta = parseMeta(buf.subarray(BACKUP_HEADER_BYTES, metaEnd))
  // A copy: the result must not share memory with (or pin) the caller's buffer.
  const snapshot = new Uint8Array(buf.subarray(metaEnd, body))
  let state: DecodedSnapshot
  try {
    state = decodeSnapshot(snapshot)
  } catch (e) {
    if (e instanceof MalformedSnapshotError) return fail('malformed', e.message)
    throw e
  }
  return { ...meta, snapshot, state }
}

function parseMeta(bytes: Buffer): BackupMeta {
  let raw: unknown
  try {
    raw = JSON.parse(bytes.toString('utf8'))
  } catch {
    return malformed('the metadata is not JSON')
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return malformed('the metadata is not a JSON object')
  const r = raw as Record<string, unknown>
  const meta = {
    index: r.index as number,
    term: r.term as number,
    members: r.members as string[],
    createdAt: r.createdAt as string,
  }
  const problem = metaProblem(meta)
  if (problem !== undefined) return malformed(`the metadata's ${problem}`)
  return { ...meta, members: [...meta.members] }
}

function malformed(message: string): never {
  throw new BackupFormatError('malformed', message)
}

/** What is wrong with the metadata's fields, or undefined. */
function metaProblem(m: BackupMeta): string | undefined {
  const positive = (v: unknown): boolean =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 1
  if (!positive(m.index)) return `index must be a positive integer, got ${String(m.index)}`
  if (!positive(m.term)) return `term must be a positive integer, got ${String(m.term)}`
  if (
    !Array.isArray(m.members) ||
    !m.members.every((id: unknown) => typeof id === 'string' && id.length > 0)
  )
    return 'members must be an array of node ids'
  if (typeof m.createdAt !== 'string') return 'createdAt must be a string'
  return undefined
}
