/** Shape checks for what callers hand to FileStorage: bad input is a StorageError, never a write. */
import type { Entry, HardState, Snapshot, SnapshotMeta, StorageBatch } from '@raftkit/raft-core'
import { StorageError } from '@raftkit/raft-core'

function isIndex(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0
}

function fail(what: string): never {
  throw new StorageError(`invalid storage write: ${what}`)
}

export function validateHardState(hs: HardState): void {
  if (typeof hs !== 'object' || hs === null) fail('hardState must be an object')
  if (!isIndex(hs.term))
    fail(`hardState.term must be a non-negative integer, got ${String(hs.term)}`)
  if (!isIndex(hs.commit))
    fail(`hardState.commit must be a non-negative integer, got ${String(hs.commit)}`)
  if (hs.votedFor !== null && typeof hs.votedFor !== 'string')
    fail('hardState.votedFor must be a string or null')
}

export function validateSnapshotMeta(meta: SnapshotMeta): void {
  if (typeof meta !== 'object' || meta === null) fail('snapshot.meta must be an object')
  if (!isIndex(meta.index))
    fail(`snapshot.meta.index must be a non-negative integer, got ${String(meta.index)}`)
  if (!isIndex(meta.term))
    fail(`snapshot.meta.term must be a non-negative integer, got ${String(meta.term)}`)
}

export function validateSnapshot(snapshot: Snapshot): void {
  if (typeof snapshot !== 'object' || snapshot === null) fail('snapshot must be an object')
  validateSnapshotMeta(snapshot.meta)
  if (!(snapshot.data instanceof Uint8Array)) fail('snapshot.data must be a Uint8Array')
}

/** Entries must be well formed and consecutive. */
export function validateEntries(entries: readonly Entry[]): void {
  const list: unknown = entries
  if (!Array.isArray(list)) fail('entries must be an array')
  let prev: number | undefined
  for (const raw of list as readonly unknown[]) {
    if (typeof raw !== 'object' || raw === null) fail('every entry must be an object')
    const e = raw as Partial<Record<keyof Entry, unknown>>
    // The index is made a string only for a message (not per entry: every node, every write).
    if (!isIndex(e.index) || e.index < 1)
      fail(`entry index must be a positive integer, got ${String(e.index)}`)
    if (!isIndex(e.term)) fail(`entry ${e.index}: term must be a non-negative integer`)
    if (e.kind !== 'command' && e.kind !== 'noop' && e.kind !== 'config')
      fail(`entry ${e.index}: kind must be 'command', 'noop' or 'config'`)
    if (!(e.data instanceof Uint8Array)) fail(`entry ${e.index}: data must be a Uint8Array`)
    if (prev !== undefined && e.index !== prev + 1)
      fail(`entries must be consecutive (${prev} then ${e.index})`)
    prev = e.index
  }
}

export function validateBatch(batch: StorageBatch): void {
  if (typeof batch !== 'object' || batch === null) fail('batch must be an object')
  if (typeof batch.sync !== 'boolean') fail('batch.sync must be a boolean')
  if (batch.snapshot !== undefined) validateSnapshot(batch.snapshot)
  if (batch.entries !== undefined) validateEntries(batch.entries)
  if (batch.hardState !== undefined) validateHardState(batch.hardState)
}
