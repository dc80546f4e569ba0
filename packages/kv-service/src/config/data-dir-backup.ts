/**
 * `raftkit backup save --data-dir DIR`: a backup made offline from a stopped node's data
 * directory, for a cluster that has lost its majority for good (what etcd's
 * --force-new-cluster and hashicorp-raft's RecoverCluster are for). The directory is read with
 * storage-fs's readFileStorage, which changes nothing in it and refuses it while a running
 * node holds its lock. The state machine is rebuilt the way a starting node rebuilds it: the
 * storage's snapshot restored, then every log entry handed, in order, as the apply message the
 * Raft runtime would make of it (toApplyMsgs: commands applied, noops and configuration
 * entries skipped) to the same ApplyStream a running KvServer feeds (malformed commands skipped
 * with a warning, session expiry counted in log indexes). The result is an ordinary backup
 * file at the last applied index and that entry's term.
 *
 * Which entries: all of them, also those past this node's stored commit index. Such an entry
 * may have been committed, and its write acknowledged, by the majority that is now lost;
 * dropping it could lose an acknowledged write, while keeping one that was never committed is
 * allowed (its client got no answer, and if it retries, the session table answers the retry
 * from the entry instead of running it twice). Writes acknowledged by the lost majority that
 * never reached this node are lost: recover from the survivor with the longest log.
 */
import { readdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { ApplyMsg, Logger, PersistedState } from '@raftkit/raft-core'
import {
  StorageCorruptionError,
  StorageLockedError,
  decodeMembership,
  silentLogger,
  toApplyMsgs,
} from '@raftkit/raft-core'
import { readFileStorage } from '@raftkit/storage-fs'
import { ApplyStream } from '../apply-stream.js'
import type { DecodedBackup } from '../backup-format.js'
import { decodeBackup, encodeBackup } from '../backup-format.js'
import { DataDirError } from '../errors.js'
import { KvStateMachine } from '../state-machine.js'

export interface DataDirBackupOptions {
  /** The cluster's session expiry window (ServerSettings.sessionExpiryEntries). */
  readonly sessionExpiryEntries?: number
  /** Warnings of the apply path (a malformed entry skipped). Default: none. */
  readonly logger?: Logger
  /** The backup's createdAt. Default: now. */
  readonly now?: () => Date
}

export interface DataDirBackup {
  /** The backup file's bytes (backup-format.ts). */
  readonly bytes: Buffer
  /** The same, decoded (index = lastIndex, term = lastTerm). */
  readonly backup: DecodedBackup
  /** The storage's snapshot index (0 without one). */
  readonly snapshotIndex: number
  /** The log entries after the snapshot that were replayed. */
  readonly entries: number
  /** The commit index the node had stored. */
  readonly commit: number
  /** How many of the replayed entries lie past `commit`. */
  readonly pastCommit: number
}

/** Reads the stopped node's `dir` and makes the backup; throws DataDirError, writes nothing. */
export async function backupFromDataDir(
  dir: string,
  options: DataDirBackupOptions = {},
): Promise<DataDirBackup> {
  const path = resolve(dir)
  const stored = await readStored(path)
  const snapshot = stored.snapshot
  const lastEntry = stored.entries.at(-1)
  if (!snapshot && !lastEntry)
    throw new DataDirError(path, 'empty', 'its log holds no entry and no snapshot: nothing to save')
  const machine = new KvStateMachine(
    options.sessionExpiryEntries === undefined
      ? {}
      : { sessionExpiryEntries: options.sessionExpiryEntries },
  )
  const logger = options.logger ?? silentLogger
  let restoreFailure: string | undefined
  const stream = new ApplyStream({
    stateMachine: machine,
    // Nothing waits on this replay: no pending writes, reads or snapshots.
    writes: { applied: () => undefined, settleUpTo: () => undefined },
    reads: { onApplied: () => undefined },
    snapshots: { maybeSnapshot: () => undefined, restored: () => undefined },
    logger: {
      debug: (message, fields) => logger.debug(message, fields),
      info: (message, fields) => logger.info(message, fields),
      warn: (message, fields) => logger.warn(message, fields),
      // ApplyStream's one error: a snapshot that cannot be restored (it keeps the old state).
      error: (message, fields) => {
        restoreFailure = `${message}: ${String(fields?.error)}`
        logger.error(message, fields)
      },
    },
    stopped: () => false,
  })
  if (snapshot) {
    const { index, term } = snapshot.meta
    const msg: ApplyMsg = { kind: 'snapshot', index, term, snapshot: snapshot.data }
    stream.onApply(msg)
    if (restoreFailure !== undefined || stream.applied !== index)
      throw new DataDirError(path, 'corrupt', `its snapshot at index ${index}: ${restoreFailure}`)
  }
  for (const msg of toApplyMsgs(stored.entries)) stream.onApply(msg)
  const commit = stored.hardState.commit
  const bytes = encodeBackup({
    index: stream.applied,
    term: stream.appliedTerm,
    members: votersAt(path, stored),
    createdAt: (options.now?.() ?? new Date()).toISOString(),
    snapshot: machine.snapshot(),
  })
  return {
    bytes,
    backup: decodeBackup(bytes),
    snapshotIndex: snapshot?.meta.index ?? 0,
    entries: stored.entries.length,
    commit,
    pastCommit: stored.entries.filter((e) => e.index > commit).length,
  }
}

/** The directory's Raft state, or DataDirError saying why there is none to read. */
async function readStored(path: string): Promise<PersistedState> {
  let names: string[]
  try {
    names = await readdir(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new DataDirError(path, 'missing', 'there is no such directory')
    if (code === 'ENOTDIR') throw new DataDirError(path, 'missing', 'it is not a directory')
    throw new DataDirError(path, 'missing', `it cannot be read: ${(e as Error).message}`)
  }
  if (names.filter((n) => n !== 'lost+found').length === 0)
    throw new DataDirError(path, 'empty', 'the directory is empty')
  let stored: PersistedState | undefined
  try {
    stored = await readFileStorage(path)
  } catch (e) {
    if (e instanceof StorageLockedError)
      throw new DataDirError(
        path,
        'locked',
        `${e.message}. Back up a running cluster with --config or --endpoints instead`,
      )
    if (e instanceof StorageCorruptionError) throw new DataDirError(path, 'corrupt', e.message)
    throw e
  }
  if (!stored)
    throw new DataDirError(
      path,
      'foreign',
      `it holds no raftkit write-ahead log (${names.length} other file(s)): not a node's data directory`,
    )
  return stored
}

/** The voters of the last configuration in the log, else of the snapshot (informational). */
function votersAt(path: string, stored: PersistedState): string[] {
  for (let i = stored.entries.length - 1; i >= 0; i--) {
    const e = stored.entries[i]
    if (e?.kind !== 'config') continue
    try {
      return [...decodeMembership(e.data).voters]
    } catch (error) {
      throw new DataDirError(
        path,
        'corrupt',
        `the configuration entry at index ${e.index} does not decode: ${(error as Error).message}`,
      )
    }
  }
  return [...(stored.snapshot?.meta.membership?.voters ?? [])]
}
