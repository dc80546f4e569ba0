/**
 * The adapters the CLI can run the scenarios over, by name. transport-memory is a dependency;
 * transport-ws and storage-fs are optional peers, loaded only when asked for.
 */
import { createMemoryNetwork } from '@raftkit/transport-memory'
import type { NetworkFactory } from '../raft/harness.js'
import { memoryStorage } from '../raft/storage-harness.js'
import type { StorageFactory } from '../raft/storage-harness.js'
import { UsageError } from './args.js'

function missing(pkg: string, flag: string, e: unknown): never {
  const code = (e as { code?: unknown } | null)?.code
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
    throw new UsageError(`${flag} needs ${pkg}, which is not installed: npm install -D ${pkg}`)
  throw e
}

export async function loadTransport(name: 'memory' | 'ws'): Promise<NetworkFactory> {
  if (name === 'memory') return (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock })
  try {
    const { createWsNetwork } = await import('@raftkit/transport-ws')
    // WebSocket transports on 127.0.0.1 (ports chosen by the OS); real clock only.
    return (ids, { seed, clock }) => createWsNetwork({ ids, seed, clock })
  } catch (e) {
    return missing('@raftkit/transport-ws', '--transport ws', e)
  }
}

export async function loadStorage(name: 'memory' | 'fs'): Promise<StorageFactory> {
  if (name === 'memory') return memoryStorage
  try {
    // FileStorage in a temporary directory per node (removed after each run).
    const { fileStorage } = await import('../raft/fs-storage-harness.js')
    return fileStorage()
  } catch (e) {
    return missing('@raftkit/storage-fs', '--storage fs', e)
  }
}
