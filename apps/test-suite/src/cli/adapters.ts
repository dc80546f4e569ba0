/** The adapters the CLI can run the scenarios over, by name. */
import { createMemoryNetwork } from '@raftkit/transport-memory'
import type { NetworkFactory } from '../cluster/harness.js'
import { memoryStorage } from '../cluster/storage-harness.js'
import type { StorageFactory } from '../cluster/storage-harness.js'

export const transports: Record<'memory', NetworkFactory> = {
  memory: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
}

export const storages: Record<'memory', StorageFactory> = {
  memory: memoryStorage,
}
