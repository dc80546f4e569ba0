/**
 * The NodeOptions of one incarnation of a test server, built the same way by the Raft and kv
 * harnesses: the first `initialVoters` servers are the initial voters (the others join), the
 * node talks through its endpoint on the cluster's network, runs on the storage it was given
 * and on the cluster's clock, and draws from an Rng seeded by the run's seed, its id and its
 * incarnation, so a restarted server draws anew and a run stays a pure function of its seed.
 */
import { createRng, seedFrom, silentLogger } from '@raftkit/raft-core'
import type { Clock, Logger, Network, NodeId, RaftConfig, Storage } from '@raftkit/raft-core'
import type { NodeOptions } from './node.js'

/** What the options are made of on the cluster's side (Cluster and KvCluster are ones). */
export interface IncarnationCluster {
  readonly n: number
  readonly ids: readonly NodeId[]
  readonly seed: number
  readonly network: Network
  readonly clock: Clock
}

/** The cluster options that shape a node's options. */
export interface IncarnationOptions {
  /** @default all servers */
  readonly initialVoters?: number
  readonly logger?: Logger
  readonly raftConfig?: Partial<RaftConfig>
}

/** The options of incarnation `incarnation` of server i, on `storage`. */
export function incarnationOptions(
  c: IncarnationCluster,
  options: IncarnationOptions,
  i: number,
  storage: Storage,
  incarnation: number,
): NodeOptions {
  const id = c.ids[i]!
  const initial = options.initialVoters ?? c.n
  return {
    id,
    peers: c.ids.slice(0, initial),
    ...(i >= initial ? { join: true } : {}),
    transport: c.network.endpoint(id),
    storage,
    clock: c.clock,
    rng: createRng(seedFrom(c.seed, `${id}#${incarnation}`)),
    logger: options.logger ?? silentLogger,
    ...(options.raftConfig ? { config: options.raftConfig } : {}),
  }
}
