/**
 * `raftkit backup restore`'s work on one node's data directory: it must be missing or empty
 * (else RestoreRefusedError, nothing written), then it gets the Raft state a node would have
 * after installing the backup as a snapshot — the state snapshot at the backup's index and
 * term, with the given voters as the configuration, and a hard state of that term with
 * everything up to the index committed — written through FileStorage and fsynced. `raftkit
 * serve` then starts from it as from any snapshot: the map and the session table (so retries
 * of writes already in the backup are answered, not run again) at the backup's log index.
 *
 * The replicated address book is not restored: the restored cluster's members and addresses
 * are the cluster file's, and old book entries would override them.
 */
import { readdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { createFileStorage } from '@raftkit/storage-fs'
import type { DecodedBackup } from '../backup-format.js'
import { RestoreRefusedError } from '../errors.js'
import { encodeSnapshot } from '../snapshot-format.js'
import { prepareDataDir } from './data-dir.js'

/** Entries a fresh file system puts in a mount point's root; not Raft state. */
const IGNORED = new Set(['lost+found'])

/** Throws RestoreRefusedError unless `dir` is missing or an empty directory. Writes nothing. */
export async function checkRestorable(dir: string): Promise<void> {
  const path = resolve(dir)
  let names: string[]
  try {
    names = await readdir(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return
    if (code === 'ENOTDIR') throw new RestoreRefusedError(path, 'exists and is not a directory')
    throw new RestoreRefusedError(path, `cannot be read: ${(e as Error).message}`)
  }
  const held = names.filter((n) => !IGNORED.has(n)).sort()
  if (held.length > 0)
    throw new RestoreRefusedError(
      path,
      `already holds ${held.length} file(s) (${held.slice(0, 3).join(', ')}${held.length > 3 ? ', ...' : ''}), e.g. the Raft state of a cluster; restore only into a missing or empty data directory (move this one away first)`,
    )
}

/** Writes the restored Raft state into `dir` (checked with checkRestorable first). */
export async function restoreDataDir(
  dir: string,
  field: string,
  backup: DecodedBackup,
  voters: readonly string[],
): Promise<void> {
  await checkRestorable(dir)
  await prepareDataDir(dir, field)
  const storage = await createFileStorage({ dir, sync: 'always' })
  try {
    const found = await storage.load()
    if (found.hardState.term !== 0 || found.snapshot !== undefined || found.entries.length > 0)
      throw new RestoreRefusedError(resolve(dir), 'holds Raft state')
    const { index, term } = backup
    await storage.write({
      snapshot: {
        meta: { index, term, membership: { voters: [...voters], learners: [], outgoing: [] } },
        data: encodeSnapshot(backup.state.data, backup.state.sessions),
      },
      hardState: { term, votedFor: null, commit: index },
      sync: true,
    })
  } finally {
    await storage.close()
  }
}
