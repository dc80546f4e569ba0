/**
 * The disks of a whole simulated cluster, drawn from the run's seed: one latency profile per
 * node (kept across restarts — the same machine, the same disk), one Rng per node for its
 * operations and crashes, and, in half of the seeds, one node whose disk is persistently slow.
 * `wrap(id, storage)` puts a node's storage behind its SimulatedDisk.
 */
import type { Clock } from './clock.js'
import { describeDiskLatency, drawDiskLatency, type DiskLatency } from './disk-latency.js'
import { createRng, seedFrom, type Rng } from './rng.js'
import { SimulatedDisk } from './simulated-disk.js'
import type { Storage } from './storage.js'
import type { NodeId } from './types.js'

export interface DiskModelOptions {
  readonly seed: number
  readonly clock: Clock
  /** Every node that may get a disk (the slow one is chosen among them). */
  readonly ids: readonly NodeId[]
  /**
   * Whether one disk is persistently slow: 'seeded' (the default) decides from the seed (one
   * run in two), true / false force it.
   */
  readonly slowDisk?: boolean | 'seeded'
  /** Overrides fields of every node's drawn profile (e.g. for tests). */
  readonly latency?: Partial<DiskLatency>
}

export class DiskModel {
  /** The node whose disk is persistently slow, if any. */
  readonly slowNode: NodeId | undefined
  private readonly profiles = new Map<NodeId, DiskLatency>()
  private readonly rngs = new Map<NodeId, Rng>()
  private readonly current = new Map<NodeId, SimulatedDisk>()

  constructor(private readonly options: DiskModelOptions) {
    const rng = createRng(seedFrom(options.seed, 'disk-model'))
    const slowDraw = rng.int(2) === 1
    const slowIndex = rng.int(options.ids.length)
    const slow =
      options.slowDisk === undefined || options.slowDisk === 'seeded' ? slowDraw : options.slowDisk
    this.slowNode = slow ? options.ids[slowIndex] : undefined
    for (const id of options.ids) {
      const nodeRng = createRng(seedFrom(options.seed, `disk:${id}`))
      this.profiles.set(id, {
        ...drawDiskLatency(nodeRng, id === this.slowNode),
        ...options.latency,
      })
      this.rngs.set(id, nodeRng)
    }
  }

  /** The latency profile of `id`'s disk. */
  latency(id: NodeId): DiskLatency {
    const p = this.profiles.get(id)
    if (!p) throw new Error(`the disk model has no node ${id}`)
    return p
  }

  /** `storage` behind `id`'s simulated disk (a new SimulatedDisk per incarnation). */
  wrap(id: NodeId, storage: Storage): SimulatedDisk {
    const disk = new SimulatedDisk(storage, {
      clock: this.options.clock,
      rng: this.rngs.get(id) ?? this.fail(id),
      latency: this.latency(id),
    })
    this.current.set(id, disk)
    return disk
  }

  /** The disk of `id`'s current incarnation, if it has one. */
  disk(id: NodeId): SimulatedDisk | undefined {
    return this.current.get(id)
  }

  /** One line per node, for run headers and failure reports. */
  describe(): string[] {
    return this.options.ids.map((id) => `${id}: ${describeDiskLatency(this.latency(id))}`)
  }

  private fail(id: NodeId): never {
    throw new Error(`the disk model has no node ${id}`)
  }
}
