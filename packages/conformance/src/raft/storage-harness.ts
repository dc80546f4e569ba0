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

/**
 * Holds the outcomes of a factory's real I/O during a simulated run (see IoSequencer): the
 * simulated runner passes next() to SimulatedClock.waitBeforeAdvancing and calls detach() when
 * the run is over.
 */
export interface IoGate {
  /** Releases the oldest held operation once it has finished; undefined when none is held. */
  next(): Promise<void> | undefined
  /** Releases everything held; later operations resolve on their own again. */
  detach(): void
}

/**
 * Builds one node's storage harness. A factory whose storage does real I/O (files) also offers
 * `simulate()`: without it, a simulated run would move time while that I/O is in flight.
 */
export type StorageFactory = ((id: NodeId) => StorageHarness | Promise<StorageHarness>) & {
  /** Starts holding this factory's I/O outcomes for one simulated run at a time. */
  readonly simulate?: () => IoGate
}

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
