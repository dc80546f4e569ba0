/** The replica groups of a ShardCluster (4B). Placeholder until the sharded KV lands. */
import type { ShardCluster } from './harness.js'

export class GroupSet {
  constructor(private readonly cluster: ShardCluster) {}

  async startAll(): Promise<void> {
    if (this.cluster.options.groups > 0) throw new Error('replica groups are not supported yet')
  }

  async killAll(): Promise<void> {}
}
