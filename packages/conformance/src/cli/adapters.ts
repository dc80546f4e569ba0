/**
 * The adapters the CLI can run the scenarios over, by name. transport-memory is a dependency;
 * transport-ws and storage-fs are optional peers, loaded only when asked for.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import type { NetworkFactory } from '../raft/harness.js'
import { memoryStorage } from '../raft/storage-harness.js'
import type { StorageFactory } from '../raft/storage-harness.js'
import { UsageError } from './args.js'
import type { StorageOptions } from './args.js'

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

/**
 * The storage factory; `options` (--storage-options, fs only) go to every node's FileStorage.
 * FileStorage checks them once here, by opening a throw-away directory with them, so a bad
 * value is a UsageError before any run rather than a failure of every scenario.
 */
export async function loadStorage(
  name: 'memory' | 'fs',
  options?: StorageOptions,
): Promise<StorageFactory> {
  if (name === 'memory') return memoryStorage
  // FileStorage in a temporary directory per node (removed after each run).
  const harness = await import('../raft/fs-storage-harness.js').catch((e: unknown) =>
    missing('@raftkit/storage-fs', '--storage fs', e),
  )
  if (options !== undefined) await checkStorageOptions(options)
  return harness.fileStorage(options)
}

async function checkStorageOptions(options: StorageOptions): Promise<void> {
  const { createFileStorage } = await import('@raftkit/storage-fs')
  const dir = await mkdtemp(join(tmpdir(), 'raftkit-storage-options-'))
  try {
    await (await createFileStorage({ ...options, dir })).close()
  } catch (e) {
    // By code, not instanceof: storage-fs may have loaded another copy of raft-core (CJS/ESM).
    if ((e as { code?: unknown } | null)?.code === 'RAFT_STORAGE')
      throw new UsageError(`--storage-options: ${(e as Error).message}`)
    throw e
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
