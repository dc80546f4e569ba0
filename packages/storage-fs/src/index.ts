/**
 * @packageDocumentation
 * A durable write-ahead log and snapshots on the filesystem for raftkit: CRC32C-checked records
 * in segment files, fdatasync before acknowledging, group commit, atomic snapshot files,
 * compaction, crash recovery that cuts a torn tail and reports any other damage.
 */
export type { FileStorageOptions, FileStorageStats } from './file-storage.js'
export {
  FileStorage,
  createFileStorage,
  DEFAULT_PREALLOCATE_BYTES,
  MAX_PREALLOCATE_BYTES,
  MIN_PREALLOCATE_BYTES,
  DEFAULT_SEGMENT_BYTES,
  DEFAULT_CHECKPOINT_BYTES,
} from './file-storage.js'
export { readFileStorage } from './read-only.js'
