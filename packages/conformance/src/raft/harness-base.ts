/**
 * What the Raft and key/value harnesses build first, in the same order: the observed clock,
 * the network under test over servers "0".."n-1" (seeded from the run's seed), one storage
 * harness per server and, when the disk model is on, the simulated disks in front of them.
 * A leaf: it imports only the harness parts it assembles.
 */
import { seedFrom } from '@raftkit/raft-core'
import type { Clock, Network, NodeId } from '@raftkit/raft-core'
import type { NetworkFactory } from './cluster-options.js'
import { SimulatedDisks } from './disk-harness.js'
import { ObservedClock } from './observed-clock.js'
import type { StorageFactory, StorageHarness } from './storage-harness.js'

/** The options of either harness that harnessBase reads. */
export interface HarnessBaseOptions {
  readonly servers: number
  readonly seed: number
  readonly clock: Clock
  readonly createNetwork: NetworkFactory
  readonly diskModel?: boolean
}

export interface HarnessBase {
  readonly clock: ObservedClock
  readonly ids: readonly NodeId[]
  readonly network: Network
  /** Each server's storage harness, behind its simulated disk when `disks` is defined. */
  readonly harnesses: StorageHarness[]
  /** The simulated disks, when options.diskModel is on. */
  readonly disks: SimulatedDisks | undefined
}

/** Builds the clock, network, storage and disks of a harness with `options.servers` servers. */
export async function harnessBase(
  options: HarnessBaseOptions,
  createStorage: StorageFactory,
): Promise<HarnessBase> {
  const clock = new ObservedClock(options.clock)
  const ids = Array.from({ length: options.servers }, (_, i) => String(i))
  const network = await options.createNetwork(ids, {
    seed: seedFrom(options.seed, 'network'),
    clock,
  })
  const harnesses: StorageHarness[] = []
  for (const id of ids) harnesses.push(await createStorage(id))
  if (!options.diskModel) return { clock, ids, network, harnesses, disks: undefined }
  const disks = new SimulatedDisks(ids, harnesses, { seed: options.seed, clock })
  return { clock, ids, network, harnesses: disks.harnesses, disks }
}
