/**
 * The clerks of a key/value test cluster (harness.ts) and which servers each can reach. A
 * clerk is a KvClient over the cluster's clerk network that knows every server, in an order
 * shuffled with the harness's Rng (as in the lab), and draws from an Rng seeded by the run's
 * seed and its name; which servers it can reach is set per clerk. Its operations go through
 * the cluster's record() (a TestClerk).
 */
import { createRng, seedFrom } from '@raftkit/raft-core'
import type { Clock, NodeId, Rng } from '@raftkit/raft-core'
import { KvClient } from '@raftkit/kv-service'
import type { MemoryKvRpc } from '@raftkit/kv-service'
import type { KvClusterOptions } from './cluster-options.js'
import type { DelayedKvRpc } from './delayed-rpc.js'
import { TestClerk } from './test-clerk.js'
import type { ClerkRecorder } from './test-clerk.js'

/** What the clerks see of their cluster (KvCluster is one). */
export interface ClerksCluster extends ClerkRecorder {
  readonly ids: readonly NodeId[]
  readonly seed: number
  /** The harness's seeded Rng (it shuffles each clerk's server list). */
  readonly rng: Rng
  readonly clock: Clock
  /** The clerks' network (it holds each clerk's links). */
  readonly rpc: MemoryKvRpc
  /** What clerks call through: `rpc`, plus the simulated latency. */
  readonly clerkRpc: DelayedKvRpc
}

export class Clerks {
  private readonly clerks: TestClerk[] = []
  private readonly clerkLinks = new Map<string, Set<NodeId>>()

  constructor(
    private readonly c: ClerksCluster,
    private readonly options: Pick<KvClusterOptions, 'clerkRequestTimeoutMs' | 'logger'>,
    /** The NodeId of server i (throws a RangeError when there is no such server). */
    private readonly id: (i: number) => NodeId,
  ) {}

  /** A new clerk that knows every server but can reach only the servers in `to`. */
  make(to: readonly number[]): TestClerk {
    const name = `clerk${this.clerks.length}`
    const servers = [...this.c.ids]
    for (let i = servers.length - 1; i > 0; i--) {
      const j = this.c.rng.int(i + 1)
      ;[servers[i], servers[j]] = [servers[j]!, servers[i]!]
    }
    const client = new KvClient({
      servers,
      rpc: this.c.clerkRpc,
      clock: this.c.clock,
      rng: createRng(seedFrom(this.c.seed, name)),
      clientId: name,
      name,
      ...(this.options.clerkRequestTimeoutMs !== undefined
        ? { requestTimeoutMs: this.options.clerkRequestTimeoutMs }
        : {}),
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    })
    const clerk = new TestClerk(name, client, this.c)
    this.clerks.push(clerk)
    this.clerkLinks.set(name, new Set())
    this.connect(clerk, to)
    return clerk
  }

  /** Lets the clerk reach the servers in `to` as well. */
  connect(clerk: TestClerk, to: readonly number[]): void {
    const links = this.linksOf(clerk)
    for (const i of to) links.add(this.id(i))
    this.c.rpc.setLinks(clerk.name, [...links])
  }

  /** Cuts the clerk off from the servers in `from`. */
  disconnect(clerk: TestClerk, from: readonly number[]): void {
    const links = this.linksOf(clerk)
    for (const i of from) links.delete(this.id(i))
    this.c.rpc.setLinks(clerk.name, [...links])
  }

  /** Closes every clerk (cleanup). */
  closeAll(): void {
    for (const ck of this.clerks) ck.client.close()
  }

  private linksOf(clerk: TestClerk): Set<NodeId> {
    const links = this.clerkLinks.get(clerk.name)
    if (!links) throw new RangeError(`${clerk.name} is not a clerk of this cluster`)
    return links
  }
}
