/**
 * @packageDocumentation
 * The Raft scenario harness over `@raftkit/storage-fs` (an optional peer dependency): every
 * node gets a `FileStorage` in its own temporary directory. Kept out of `/raft` so that the Raft
 * suite never loads storage-fs.
 *
 * @example
 * ```ts
 * import { raftScenarios } from '@raftkit/conformance/raft'
 * import { fileStorage } from '@raftkit/conformance/storage-fs'
 * import { createMemoryNetwork } from '@raftkit/transport-memory'
 *
 * raftScenarios({
 *   name: 'transport-memory + FileStorage',
 *   clock: 'sim',
 *   createNetwork: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
 *   createStorage: fileStorage(),
 * })
 * ```
 */
export {
  FileStorageHarness,
  HARNESS_SEGMENT_BYTES,
  fileStorage,
} from '../raft/fs-storage-harness.js'
export type { FileStorageHarnessOptions } from '../raft/fs-storage-harness.js'
