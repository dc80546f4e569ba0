/**
 * How the cluster harness gets storage for one node, so any Storage adapter can run the
 * scenarios. A crash must leave behind exactly what was durable at that moment: writes the
 * killed instance makes afterwards must not be seen by the restarted node.
 */
import { MemoryStorage } from '@raftkit/raft-core'
import type { NodeId, Storage } from '@raftkit/raft-core'

export interface StorageHarness {
  /** Opens (or reopens, after crash()) the node's storage. */
  open(): Promise<Storage>
  /** Freezes a copy of what is durable now; the next open() returns that copy. */
  crash(): Promise<void>
  /** Removes everything (temp dirs, maps). */
  destroy(): Promise<void>
}

export type StorageFactory = (id: NodeId) => StorageHarness | Promise<StorageHarness>

/** raft-core's MemoryStorage: crash() swaps in a clone, like the lab's persister copy. */
export class MemoryStorageHarness implements StorageHarness {
  private current = new MemoryStorage()

  async open(): Promise<Storage> {
    return this.current
  }

  async crash(): Promise<void> {
    this.current = this.current.clone()
  }

  async destroy(): Promise<void> {
    await this.current.close()
  }
}

export const memoryStorage: StorageFactory = () => new MemoryStorageHarness()
