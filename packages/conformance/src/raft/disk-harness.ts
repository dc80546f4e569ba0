/**
 * The simulated disk in the harnesses: every node's StorageHarness is put behind raft-core's
 * DiskModel, so under the simulated clock each write and compaction takes simulated time (a
 * data phase and an fsync drawn per node from the seed, slow outliers, in half of the seeds
 * one persistently slow disk), and a crash cuts the power in the middle of whatever is in
 * flight: the unsynced tail is lost or kept whole (torn on storage without atomic batches),
 * and only then does the adapter's own crash() freeze what is durable.
 *
 * It composes with the IoSequencer of file-backed storage: the disk delays an operation in
 * simulated time and only then hands it to the adapter, whose real I/O the sequencer makes
 * take no simulated time. Used by the Raft and the key/value harnesses.
 */
import { DiskModel } from '@raftkit/raft-core'
import type { Clock, DiskCrashReport, NodeId, Storage } from '@raftkit/raft-core'
import type { StorageHarness } from './storage-harness.js'

/** One node's storage harness behind its simulated disk. */
class DiskModelHarness implements StorageHarness {
  constructor(
    private readonly inner: StorageHarness,
    private readonly model: DiskModel,
    private readonly id: NodeId,
  ) {}

  async open(): Promise<Storage> {
    return this.model.wrap(this.id, await this.inner.open())
  }

  async crash(): Promise<void> {
    await this.model.disk(this.id)?.crash()
    await this.inner.crash()
  }

  destroy(): Promise<void> {
    return this.inner.destroy()
  }
}

/** The harnesses' disks: the model plus each node's wrapped StorageHarness. */
export class SimulatedDisks {
  readonly model: DiskModel
  readonly harnesses: StorageHarness[]

  constructor(
    ids: readonly NodeId[],
    harnesses: readonly StorageHarness[],
    options: { readonly seed: number; readonly clock: Clock },
  ) {
    this.model = new DiskModel({ seed: options.seed, clock: options.clock, ids })
    this.harnesses = harnesses.map((h, i) => new DiskModelHarness(h, this.model, ids[i]!))
  }

  /**
   * Kills a node and cuts its disk's power at the same instant, then lets the adapter freeze
   * what is durable. The kill comes first, so the write the power cut rejects is not taken for
   * a storage failure; the kill resolves once that write has been rejected.
   */
  async crash(
    id: NodeId,
    harness: StorageHarness,
    kill: () => Promise<void>,
  ): Promise<DiskCrashReport | undefined> {
    const killing = kill()
    const report = await this.model.disk(id)?.crash()
    await harness.crash()
    await killing
    return report
  }
}
