/**
 * @packageDocumentation
 * The storage conformance suite: `storageConformance()` registers mocha tests that any
 * `Storage` adapter must pass. Call it at the top level of a spec file.
 *
 * @example
 * ```ts
 * import { storageConformance } from '@raftkit/conformance/storage'
 * import { createFileStorage } from '@raftkit/storage-fs'
 *
 * storageConformance({
 *   name: 'storage-fs',
 *   capabilities: { durable: true, atomicBatch: true },
 *   async createHarness() {
 *     const dir = await mkdtemp(join(tmpdir(), 'raftkit-'))
 *     return { open: () => createFileStorage({ dir }), destroy: () => rm(dir, { recursive: true }) }
 *   },
 * })
 * ```
 */
export { storageConformance } from './suite.js'
export type { StorageConformanceHarness, StorageSuiteOptions } from './suite.js'
