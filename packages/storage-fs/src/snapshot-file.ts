/**
 * Snapshot files: one framed record (meta + data) per file, named by index and term, written with
 * the atomic temp/fsync/rename/fsync-dir pattern. A snapshot file only becomes *the* snapshot
 * once a WAL record names it, so a crash between the two leaves the old snapshot in force.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Membership, Snapshot, SnapshotMeta } from '@raftkit/raft-core'
import {
  StorageCorruptionError,
  packValue,
  unpackValue,
  validateMembership,
} from '@raftkit/raft-core'
import { writeFileAtomic } from './atomic-file.js'
import { frameRecord, scanRecords } from './record.js'
import { snapshotName } from './segments.js'

export async function writeSnapshotFile(dir: string, snapshot: Snapshot): Promise<void> {
  const { index, term, membership } = snapshot.meta
  // The configuration at the snapshot index lives in the snapshot file (`m`); files written
  // before membership changes existed have none and load without one.
  const payload = packValue(
    membership
      ? { i: index, t: term, d: snapshot.data, m: membership }
      : { i: index, t: term, d: snapshot.data },
  )
  await writeFileAtomic(
    join(dir, snapshotName(snapshot.meta.index, snapshot.meta.term)),
    frameRecord(payload),
  )
}

/** Reads and verifies the snapshot the WAL refers to. Missing or damaged: StorageCorruptionError. */
export async function readSnapshotFile(dir: string, meta: SnapshotMeta): Promise<Snapshot> {
  const path = join(dir, snapshotName(meta.index, meta.term))
  let buf: Buffer
  try {
    buf = await readFile(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new StorageCorruptionError(path, 0, 'the snapshot file the log refers to is missing')
    }
    throw e
  }
  const scan = scanRecords(buf)
  const rec = scan.records[0]
  if (scan.stop || scan.records.length !== 1 || !rec) {
    const offset = scan.stop?.offset ?? 0
    throw new StorageCorruptionError(
      path,
      offset,
      scan.stop?.reason ?? 'expected exactly one record',
    )
  }
  let v: { i?: unknown; t?: unknown; d?: unknown; m?: unknown } | null | undefined
  try {
    v = unpackValue(rec.payload) as typeof v
  } catch {
    // Not msgpack: `v` stays undefined and the check below refuses the record.
  }
  if (!v || v.i !== meta.index || v.t !== meta.term || !(v.d instanceof Uint8Array)) {
    throw new StorageCorruptionError(path, rec.offset, 'snapshot record does not match its name')
  }
  if (v.m === undefined)
    return { meta: { index: meta.index, term: meta.term }, data: new Uint8Array(v.d) }
  let membership: Membership
  try {
    membership = validateMembership(v.m)
  } catch (error) {
    throw new StorageCorruptionError(
      path,
      rec.offset,
      `snapshot configuration is malformed: ${(error as Error).message}`,
    )
  }
  return { meta: { index: meta.index, term: meta.term, membership }, data: new Uint8Array(v.d) }
}
