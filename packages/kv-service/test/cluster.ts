/**
 * Test harness: a kv cluster in one process under a SimulatedClock — Raft traffic over
 * transport-memory, clerk traffic over MemoryKvRpc, MemoryStorage per server. Crashing a
 * server keeps a copy of what it had persisted (like the lab's persister), restarting it
 * starts a new Raft + KvServer on that copy.
 */
import type { RaftConfig } from '@raftkit/raft-core'
import { MemoryStorage, Raft, SimulatedClock, createRng, seedFrom } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import type { MemoryNetwork } from '@raftkit/transport-memory'
import type { KvClientOptions } from '../src/index.js'
import { KvClient, KvServer, MemoryKvRpc } from '../src/index.js'

export interface ClusterOptions {
  readonly n?: number
  readonly seed?: number
  readonly maxRaftState?: number
  readonly raft?: Partial<RaftConfig>
}

export class KvCluster {
  readonly clock = new SimulatedClock()
  readonly net: MemoryNetwork
  readonly rpc: MemoryKvRpc
  readonly ids: string[]
  readonly storages = new Map<string, MemoryStorage>()
  readonly servers = new Map<string, KvServer>()
  readonly rafts = new Map<string, Raft>()
  private readonly clients: KvClient[] = []
  private readonly seed: number
  private incarnation = 0

  constructor(private readonly options: ClusterOptions = {}) {
    this.seed = options.seed ?? 1
    this.net = createMemoryNetwork({ seed: this.seed, clock: this.clock })
    this.rpc = new MemoryKvRpc({ seed: seedFrom(this.seed, 'rpc'), clock: this.clock })
    this.ids = Array.from({ length: options.n ?? 3 }, (_, i) => `s${i}`)
  }

  async startAll(): Promise<void> {
    for (const id of this.ids) await this.start(id)
  }

  async start(id: string): Promise<void> {
    const storage = this.storages.get(id) ?? new MemoryStorage()
    this.storages.set(id, storage)
    const raft = await Raft.create({
      id,
      peers: this.ids,
      transport: this.net.endpoint(id),
      storage,
      clock: this.clock,
      rng: createRng(seedFrom(this.seed, `${id}#${this.incarnation++}`)),
      ...(this.options.raft ? { config: this.options.raft } : {}),
    })
    const server = KvServer.create({
      raft,
      clock: this.clock,
      storageSize: () => storage.size(),
      ...(this.options.maxRaftState !== undefined
        ? { maxRaftState: this.options.maxRaftState }
        : {}),
    })
    this.rafts.set(id, raft)
    this.servers.set(id, server)
    this.rpc.register(id, (request) => server.handle(request))
  }

  /** Kills server `id`, keeping a copy of what it had persisted for a restart. */
  async crash(id: string): Promise<void> {
    const server = this.servers.get(id)
    if (!server) return
    this.rpc.unregister(id)
    this.storages.set(id, (this.storages.get(id) as MemoryStorage).clone())
    this.servers.delete(id)
    this.rafts.delete(id)
    await server.kill()
  }

  client(options: Partial<KvClientOptions> = {}): KvClient {
    const client = new KvClient({
      servers: this.ids,
      rpc: this.rpc,
      clock: this.clock,
      rng: createRng(seedFrom(this.seed, `client${this.clients.length}`)),
      clientId: `client${this.clients.length}`,
      ...options,
    })
    this.clients.push(client)
    return client
  }

  leader(): string | undefined {
    return this.ids.find((id) => this.rafts.get(id)?.getState().isLeader)
  }

  /** Waits (in simulated time) until some server is leader. */
  async waitLeader(): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const l = this.leader()
      if (l) return l
      await this.clock.sleep(100)
    }
    throw new Error('no leader elected')
  }

  maxRaftStateBytes(): number {
    return Math.max(...[...this.storages.values()].map((s) => s.size().raftStateBytes))
  }

  async shutdown(): Promise<void> {
    for (const c of this.clients) c.close()
    for (const id of [...this.servers.keys()]) await this.crash(id)
    await this.rpc.close()
    await this.net.close()
  }

  /** Runs `fn` in simulated time, then shuts the cluster down; throws if timers leak. */
  async run<T>(fn: () => Promise<T>, limitMs = 120_000): Promise<T> {
    try {
      return await this.clock.run(fn, limitMs)
    } finally {
      await this.clock.run(() => this.shutdown())
      if (this.clock.pending() !== 0)
        throw new Error(`${this.clock.pending()} timers leaked after shutdown`)
    }
  }
}
