/** The adapters the CLI can run the scenarios over, by name. */
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { createWsNetwork } from '@raftkit/transport-ws'
import type { NetworkFactory } from '../cluster/harness.js'
import { fileStorage } from '../cluster/fs-storage-harness.js'
import { memoryStorage } from '../cluster/storage-harness.js'
import type { StorageFactory } from '../cluster/storage-harness.js'

export const transports: Record<'memory' | 'ws', NetworkFactory> = {
  memory: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
  // WebSocket transports on 127.0.0.1 (ports chosen by the OS); real clock only.
  ws: (ids, { seed, clock }) => createWsNetwork({ ids, seed, clock }),
}

export const storages: Record<'memory' | 'fs', StorageFactory> = {
  memory: memoryStorage,
  // FileStorage in a temporary directory per node (removed after each run).
  fs: fileStorage(),
}
