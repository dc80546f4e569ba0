/**
 * readFileStorage: the Raft state a stopped node's storage directory holds, read without
 * changing a byte of it — no lock taken, no torn tail cut, no leftover removed, nothing created
 * (what FileStorage.open does on a start). For offline tools such as recovering a cluster's
 * state from a survivor's directory. A directory whose lock a live process holds is refused.
 */
import { resolve } from 'node:path'
import type { PersistedState } from '@raftkit/raft-core'
import { StorageLockedError } from '@raftkit/raft-core'
import { lockHolder } from './lock.js'
import { readRecoverable } from './recovery.js'

/**
 * What FileStorage.load() would return after opening `dir`, read only: undefined if `dir`
 * holds no log segment (empty, or not a storage directory). Throws StorageLockedError if a
 * running process holds the directory (checked once, before reading: do not start a node on
 * it meanwhile), StorageCorruptionError naming the file and offset for damage that opening
 * would refuse too; a torn record at the end of the log (an interrupted write) is skipped.
 */
export async function readFileStorage(dir: string): Promise<PersistedState | undefined> {
  const path = resolve(dir)
  const holder = await lockHolder(path)
  if (holder !== undefined) throw new StorageLockedError(path, holder === '' ? undefined : holder)
  const found = await readRecoverable(path)
  if (!found) return undefined
  return {
    hardState: found.state.hardState,
    entries: found.state.entries.slice(),
    ...(found.snapshot ? { snapshot: found.snapshot } : {}),
  }
}
