/**
 * The servers of a Raft test cluster (harness.ts), and the faults that act on one server: per
 * server its running node (null while crashed), whether it is connected, its storage harness
 * (behind the simulated disks when the disk model is on), the Storage its current incarnation
 * runs on and its incarnation count. It crashes a server (cut off, storage frozen, node
 * killed), restarts it on what its storage holds, connects and disconnects it, and traces each
 * as a fault. What a restart resets and what checks the applies stay the cluster's
 * (ServerHooks).
 */
import type { ApplyMsg, Storage } from '@raftkit/raft-core'
import type { SimulatedDisks } from './disk-harness.js'
import { ClusterFinished } from './failure.js'
import { incarnationOptions } from './incarnation.js'
import type { IncarnationCluster, IncarnationOptions } from './incarnation.js'
import type { NodeFactory, RaftNode } from './node.js'
import { ServerIndex } from './server-index.js'
import type { StorageHarness } from './storage-harness.js'
import type { TraceEvent } from './trace.js'

/** What the servers leave to their cluster. */
export interface ServerHooks {
  /** Server i is restarting: what its previous incarnation applied and traced is forgotten. */
  restarting(i: number): void
  /** The apply handler of server i's current node. */
  onApply(i: number, node: RaftNode, msg: ApplyMsg): Promise<void>
  /** True once the run finished (a node that started meanwhile must not outlive it). */
  finished(): boolean
  emit(event: TraceEvent): void
}

export class Servers extends ServerIndex {
  /** Per server: the running node, null while crashed. */
  readonly nodes: Array<RaftNode | null>
  /** Per server: connected to the network. */
  readonly connected: boolean[]
  /** Per server: the Storage its current incarnation runs on (null before the first start). */
  readonly storages: Array<Storage | null>
  private readonly incarnations: number[]

  constructor(
    private readonly c: IncarnationCluster,
    private readonly options: IncarnationOptions,
    harnesses: readonly StorageHarness[],
    private readonly disks: SimulatedDisks | undefined,
    private readonly createNode: NodeFactory,
    private readonly hooks: ServerHooks,
  ) {
    super(c.ids, harnesses)
    this.nodes = c.ids.map(() => null)
    this.connected = c.ids.map(() => false)
    this.incarnations = c.ids.map(() => 0)
    this.storages = c.ids.map(() => null)
  }

  /** Disconnects server i, freezes a copy of its storage, and kills it. */
  async crash1(i: number): Promise<void> {
    this.disconnect(i)
    const node = this.nodes[i]
    if (!node) return
    this.hooks.emit({ t: this.c.clock.now(), kind: 'fault', action: 'crash', server: i })
    this.nodes[i] = null // from here on its applies are stale
    if (this.disks) {
      const report = await this.disks.crash(this.id(i), this.harness(i), () => node.kill())
      if (report)
        this.hooks.emit({ t: this.c.clock.now(), kind: 'disk-crash', server: i, ...report })
      return
    }
    await this.harness(i).crash()
    await node.kill()
  }

  /** (Re)starts server i on what its storage holds, not connected. */
  async start1(i: number): Promise<void> {
    await this.crash1(i)
    const incarnation = ++this.incarnations[i]!
    const storage = await this.harness(i).open()
    this.storages[i] = storage
    this.hooks.restarting(i)
    const node = await this.createNode(
      incarnationOptions(this.c, this.options, i, storage, incarnation),
    )
    if (this.hooks.finished()) {
      // The run ended while the node was starting: it must not outlive the cluster.
      await node.kill()
      throw new ClusterFinished()
    }
    this.nodes[i] = node
    node.onApply((msg) => this.hooks.onApply(i, node, msg))
    this.hooks.emit({ t: this.c.clock.now(), kind: 'fault', action: 'start', server: i })
  }

  connect(i: number): void {
    this.connected[this.check(i)] = true
    this.c.network.connect(this.id(i))
    this.hooks.emit({ t: this.c.clock.now(), kind: 'fault', action: 'connect', server: i })
  }

  disconnect(i: number): void {
    this.connected[this.check(i)] = false
    this.c.network.disconnect(this.id(i))
    this.hooks.emit({ t: this.c.clock.now(), kind: 'fault', action: 'disconnect', server: i })
  }
}
