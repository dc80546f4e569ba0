/**
 * The servers of a key/value test cluster (harness.ts): per server its slot (the Raft node and
 * KvServer of its current incarnation, null while shut down), its storage harness (behind the
 * simulated disks when the disk model is on), the Storage its current incarnation runs on, its
 * incarnation count and the last role traced. It starts a server (registered for clerks) on
 * what its storage holds and shuts one down (cut off, unreachable for clerks, storage frozen,
 * killed), tracing each as a fault, and traces role changes. What sees the replies to clerks,
 * and tracing, stay the cluster's (KvServerHooks).
 */
import { Raft, silentLogger } from '@raftkit/raft-core'
import type { NodeId, Storage } from '@raftkit/raft-core'
import { KvServer } from '@raftkit/kv-service'
import type { KvReply, KvRequest, MemoryKvRpc } from '@raftkit/kv-service'
import type { SimulatedDisks } from '../raft/disk-harness.js'
import { ClusterFinished, ScenarioFailure } from '../raft/failure.js'
import { incarnationOptions } from '../raft/incarnation.js'
import type { IncarnationCluster } from '../raft/incarnation.js'
import { ServerIndex } from '../raft/server-index.js'
import type { StorageHarness } from '../raft/storage-harness.js'
import type { TraceEvent } from '../raft/trace.js'
import type { KvClusterOptions } from './cluster-options.js'

/** A running server: its Raft node and the KvServer on it. */
export interface Slot {
  readonly raft: Raft
  readonly server: KvServer
}

/** What the cluster's servers see of it, besides what IncarnationCluster names. */
export interface KvServersCluster extends IncarnationCluster {
  /** The clerks' network (servers register on it). */
  readonly rpc: MemoryKvRpc
  readonly maxRaftState: number
}

/** What the servers leave to their cluster. */
export interface KvServerHooks {
  /** Sees the answer server `id` gives a clerk, before the network carries it. */
  observeReply(id: NodeId, request: KvRequest, reply: KvReply): void
  /** True once the run finished (a server that started meanwhile must not outlive it). */
  finished(): boolean
  emit(event: TraceEvent): void
}

export class KvServers extends ServerIndex {
  /** Per server: the running Raft node and KvServer, null while shut down. */
  readonly slots: Array<Slot | null>
  /** Per server: the Storage its current incarnation runs on (null before the first start). */
  readonly storages: Array<Storage | null>
  private readonly incarnations: number[]
  private readonly lastRole: string[]

  constructor(
    private readonly c: KvServersCluster,
    private readonly options: KvClusterOptions,
    harnesses: readonly StorageHarness[],
    private readonly disks: SimulatedDisks | undefined,
    private readonly hooks: KvServerHooks,
  ) {
    super(c.ids, harnesses)
    this.slots = c.ids.map(() => null)
    this.storages = c.ids.map(() => null)
    this.incarnations = c.ids.map(() => 0)
    this.lastRole = c.ids.map(() => '')
  }

  /** A fresh Raft node + KvServer on what server i's storage holds, registered for clerks. */
  async startServer(i: number): Promise<void> {
    await this.shutdownServer(i)
    const id = this.id(i)
    const incarnation = ++this.incarnations[i]!
    const storage = await this.harness(i).open()
    this.storages[i] = storage
    this.lastRole[i] = ''
    const raft = await Raft.create(
      incarnationOptions(this.c, this.options, i, storage, incarnation),
    )
    const server = KvServer.create({
      raft,
      clock: this.c.clock,
      storageSize: () => storage.size(),
      maxRaftState: this.c.maxRaftState,
      logger: this.options.logger ?? silentLogger,
    })
    if (this.hooks.finished()) {
      await server.kill()
      throw new ClusterFinished()
    }
    this.slots[i] = { raft, server }
    this.c.rpc.register(id, async (request) => {
      const reply = await server.handle(request)
      this.hooks.observeReply(id, request, reply)
      return reply
    })
    this.hooks.emit({ t: this.c.clock.now(), kind: 'fault', action: 'start', server: i })
  }

  /**
   * Cuts server i off from Raft traffic, makes it unreachable for clerks, freezes a copy of
   * its storage (the next start sees exactly that), and kills it.
   */
  async shutdownServer(i: number): Promise<void> {
    const id = this.id(i)
    this.c.network.disconnect(id)
    const slot = this.slots[i]
    if (!slot) return
    this.slots[i] = null
    this.hooks.emit({ t: this.c.clock.now(), kind: 'fault', action: 'crash', server: i })
    this.c.rpc.unregister(id)
    if (this.disks) {
      const report = await this.disks.crash(id, this.harness(i), () => slot.server.kill())
      if (report)
        this.hooks.emit({ t: this.c.clock.now(), kind: 'disk-crash', server: i, ...report })
      return
    }
    await this.harness(i).crash()
    await slot.server.kill()
  }

  /** The slot of a live server (throws when it is shut down). */
  slot(i: number): Slot {
    const slot = this.slots[this.check(i)]
    if (!slot) throw new ScenarioFailure(`server ${i} is not running`)
    return slot
  }

  /** Traces each live server's role when it changed (the clock's step hook). */
  traceRoles(): void {
    if (this.hooks.finished()) return
    this.slots.forEach((slot, server) => {
      if (!slot) return
      const { term, isLeader } = slot.raft.getState()
      const key = `${term}:${isLeader}`
      if (this.lastRole[server] === key) return
      this.lastRole[server] = key
      this.hooks.emit({ t: this.c.clock.now(), kind: 'role', server, term, leader: isLeader })
    })
  }
}
