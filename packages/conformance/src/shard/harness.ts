/**
 * The shard test harness: the lab's shardctrler and shardkv config.go for raftkit. Three
 * physical nodes ("node-0".."node-2"), each a MultiRaftNode on one endpoint of the Raft
 * Network under test, host controller replica i (group "ctrler") and replica i of every replica
 * group (group "g<gid>", gid = 100 + gi). Clerk, controller and migration traffic goes over a
 * MemoryShardRpc with the lab's fault model; endpoints are named "ctrler-<i>" and
 * "server-<gid>-<i>". Shutting a server down freezes what its storage holds (the lab's persister
 * copy), removes its endpoint and kills its replica; only that group's replica on the node stops.
 * All time is the injected clock's and all randomness is seeded: a simulated run is a pure
 * function of its seed.
 */
import { createRng, seedFrom, silentLogger } from '@raftkit/raft-core'
import type { Clock, Logger, Network, Raft, RaftConfig, Rng, Storage } from '@raftkit/raft-core'
import { MultiRaftNode } from '@raftkit/multiraft'
import { CtrlerClient, MemoryShardRpc, ShardCtrlerServer } from '@raftkit/shardkv'
import type { ShardConfig } from '@raftkit/shardkv'
import { ScenarioFailure } from '../raft/failure.js'
import { RunControl } from '../raft/run-control.js'
import { TEST_TIME_LIMIT_MS } from '../raft/harness.js'
import type { NetworkFactory } from '../raft/harness.js'
import { SimulatedDisks } from '../raft/disk-harness.js'
import { memoryStorage } from '../raft/storage-harness.js'
import type { StorageFactory, StorageHarness } from '../raft/storage-harness.js'
import { GroupSet } from './groups.js'
import { CTRLER_GROUP, NODES } from './layout.js'

export { NODES, CTRLER_GROUP } from './layout.js'

export interface ShardClusterOptions {
  readonly seed: number
  readonly clock: Clock
  readonly createNetwork: NetworkFactory
  /** @default MemoryStorage per replica */
  readonly createStorage?: StorageFactory
  /** Replica groups besides the controller (gids 100, 101, ...). */
  readonly groups: number
  readonly unreliable?: boolean
  /** Replica groups' snapshot threshold; -1: none. */
  readonly maxRaftState: number
  /** Session expiry of the groups and the controller (idle log entries); absent: defaults. */
  readonly sessionExpiryEntries?: number
  readonly raftConfig?: Partial<RaftConfig>
  readonly logger?: Logger
  readonly log?: (line: string) => void
  /**
   * Simulated disks (raft-core's DiskModel; simulated clock only): writes take seeded simulated
   * time, and shutting a replica down cuts its disk's power mid-write. @default false
   */
  readonly diskModel?: boolean
}

export class ShardCluster {
  readonly clock: Clock
  readonly rpc: MemoryShardRpc
  readonly network: Network
  readonly nodes: MultiRaftNode[]
  readonly ctrlerNames: string[]
  readonly groups: GroupSet
  /** The scenario's own randomness (values, keys, pauses). */
  readonly rng: Rng
  private readonly ctrlers: Array<ShardCtrlerServer | null>
  private readonly storages = new Map<string, StorageHarness>()
  private disks: SimulatedDisks | undefined
  private readonly run: RunControl
  private readonly clerks: CtrlerClient[] = []
  private readonly startedAt: number
  private nextClerk = 0
  private cleaned: Promise<void> | undefined
  private beganAt = 0

  private constructor(
    readonly options: ShardClusterOptions,
    network: Network,
  ) {
    this.clock = options.clock
    this.run = new RunControl(options.clock)
    this.network = network
    this.rpc = new MemoryShardRpc({ clock: options.clock, seed: options.seed })
    this.nodes = Array.from(
      { length: NODES },
      (_, i) =>
        new MultiRaftNode({
          transport: network.endpoint(`node-${i}`),
          clock: options.clock,
          ...(options.raftConfig?.tickMs ? { tickMs: options.raftConfig.tickMs } : {}),
          logger: options.logger ?? silentLogger,
        }),
    )
    this.ctrlerNames = Array.from({ length: NODES }, (_, i) => `ctrler-${i}`)
    this.ctrlers = new Array<ShardCtrlerServer | null>(NODES).fill(null)
    this.startedAt = options.clock.now()
    this.groups = new GroupSet(this)
    this.rng = createRng(seedFrom(options.seed, 'scenario'))
  }

  static async create(options: ShardClusterOptions): Promise<ShardCluster> {
    const ids = Array.from({ length: NODES }, (_, i) => `node-${i}`)
    const network = await options.createNetwork(ids, {
      seed: options.seed,
      clock: options.clock,
    })
    const c = new ShardCluster(options, network)
    if (options.diskModel === true) await c.attachDisks()
    c.setUnreliable(options.unreliable === true)
    for (let i = 0; i < NODES; i++) await c.startCtrler(i)
    await c.groups.startAll()
    return c
  }

  get nodeIds(): string[] {
    return this.nodes.map((n) => n.id)
  }

  setUnreliable(unreliable: boolean): void {
    this.network.setReliable(!unreliable)
    this.rpc.setReliable(!unreliable)
  }

  /** Every replica's storage behind a simulated disk (all groups are known up front). */
  private async attachDisks(): Promise<void> {
    const keys: string[] = []
    const ids: string[] = []
    const inner: StorageHarness[] = []
    const groups = [CTRLER_GROUP, ...this.groups.gids.map((g) => `g${g}`)]
    for (const group of groups)
      for (let i = 0; i < NODES; i++) {
        keys.push(`${group}/${i}`)
        ids.push(diskId(group, i))
        inner.push(await (this.options.createStorage ?? memoryStorage)(diskId(group, i)))
      }
    this.disks = new SimulatedDisks(ids, inner, { seed: this.options.seed, clock: this.clock })
    this.disks.harnesses.forEach((h, k) => this.storages.set(keys[k]!, h))
  }

  /** The storage harness of `group`'s replica on node i (created on first use). */
  async storageOf(group: string, i: number): Promise<StorageHarness> {
    const key = `${group}/${i}`
    let h = this.storages.get(key)
    if (!h) {
      h = await (this.options.createStorage ?? memoryStorage)(diskId(group, i))
      this.storages.set(key, h)
    }
    return h
  }

  /** Starts a Raft replica of `group` on node i, from what its storage holds. */
  async startReplica(group: string, i: number): Promise<{ raft: Raft; storage: Storage }> {
    const storage = await (await this.storageOf(group, i)).open()
    const raft = await this.nodes[i]!.startGroup(group, {
      peers: this.nodeIds,
      storage,
      rng: createRng(seedFrom(this.options.seed, `${group}/${i}/${this.clock.now()}`)),
      ...(this.options.raftConfig ? { config: this.options.raftConfig } : {}),
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    })
    return { raft, storage }
  }

  /**
   * Freezes the replica's storage (the persister copy) and stops it; with simulated disks the
   * replica is killed and its disk's power cut at the same instant.
   */
  async stopReplica(group: string, i: number): Promise<void> {
    const h = await this.storageOf(group, i)
    if (this.disks) {
      await this.disks.crash(diskId(group, i), h, () => this.nodes[i]!.stopGroup(group))
      return
    }
    await h.crash()
    await this.nodes[i]!.stopGroup(group)
  }

  // --- controllers ----------------------------------------------------------------------

  async startCtrler(i: number): Promise<void> {
    if (this.ctrlers[i]) return
    const { raft, storage } = await this.startReplica(CTRLER_GROUP, i)
    const server = new ShardCtrlerServer({
      raft,
      clock: this.clock,
      storageSize: () => storage.size(),
      ...(this.options.sessionExpiryEntries !== undefined
        ? { sessionExpiryEntries: this.options.sessionExpiryEntries }
        : {}),
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    })
    this.ctrlers[i] = server
    this.rpc.register(this.ctrlerNames[i]!, (req) => server.handle(req))
  }

  async shutdownCtrler(i: number): Promise<void> {
    const server = this.ctrlers[i]
    if (!server) return
    this.ctrlers[i] = null
    this.rpc.unregister(this.ctrlerNames[i]!)
    await this.stopReplica(CTRLER_GROUP, i)
    await server.kill()
  }

  /** Index of the controller replica that believes it leads, or -1. */
  ctrlerLeader(): number {
    return this.ctrlers.findIndex((s) => s?.isLeader() === true)
  }

  ctrlerClerk(): CtrlerClient {
    const n = this.nextClerk++
    const ck = new CtrlerClient({
      rpc: this.rpc,
      servers: this.ctrlerNames,
      clock: this.clock,
      name: `ctrler-clerk-${n}`,
      rng: createRng(seedFrom(this.options.seed, `ctrler-clerk-${n}`)),
    })
    this.clerks.push(ck)
    return ck
  }

  // --- running, failing, finishing ------------------------------------------------------

  guard<T>(body: () => Promise<T>): Promise<T> {
    return this.run.guard(body)
  }

  fail(reason: string | Error): Error {
    return this.run.fail(reason)
  }

  /** Throws a ScenarioFailure (recorded) unless `cond`. */
  check(cond: boolean, message: string): void {
    if (!cond) throw this.fail(new ScenarioFailure(message))
  }

  get stopped(): boolean {
    return this.run.stopped
  }

  sleep(ms: number): Promise<void> {
    return this.run.sleep(ms)
  }

  throwIfStopped(): void {
    this.run.throwIfStopped()
  }

  begin(description: string): void {
    this.beganAt = this.clock.now()
    this.log(`${description} ...`)
  }

  end(): void {
    if (this.clock.now() - this.startedAt > TEST_TIME_LIMIT_MS)
      throw this.fail(`test took longer than ${TEST_TIME_LIMIT_MS / 1000} seconds`)
    this.throwIfStopped()
    const ops = this.groups.history.operations().length
    this.log(
      `  ... Passed --  ${((this.clock.now() - this.beganAt) / 1000).toFixed(1)} s  ${this.rpc.count()} rpcs  ${ops} ops`,
    )
  }

  log(line: string): void {
    this.options.log?.(line)
  }

  cleanup(): Promise<void> {
    this.cleaned ??= this.doCleanup()
    return this.cleaned
  }

  private async doCleanup(): Promise<void> {
    // Clerks close first, then the run stops (finished, sleeps cancelled): no step runs between.
    this.clerks.forEach((ck) => ck.close())
    this.run.stop()
    await this.groups.killAll()
    for (let i = 0; i < NODES; i++) {
      const s = this.ctrlers[i]
      this.ctrlers[i] = null
      this.rpc.unregister(this.ctrlerNames[i]!)
      if (s) await s.kill()
    }
    for (const n of this.nodes) await n.close()
    await this.network.close()
    for (const h of this.storages.values()) await h.destroy()
  }
}

function diskId(group: string, i: number): string {
  return `${group}-node-${i}`
}

/** check(groups) of the controller tests: the latest configuration's groups and balance. */
export function checkConfig(c: ShardCluster, config: ShardConfig, gids: readonly number[]): void {
  const have = config.groups.map(([g]) => g)
  c.check(
    have.length === gids.length,
    `wanted ${gids.length} groups, got ${have.length} (${have.join(', ')})`,
  )
  for (const g of gids) c.check(have.includes(g), `missing group ${g}`)
  if (have.length > 0) {
    for (let s = 0; s < config.shards.length; s++)
      c.check(have.includes(config.shards[s]!), `shard ${s} -> invalid group ${config.shards[s]}`)
    const counts = have.map((g) => config.shards.filter((x) => x === g).length)
    c.check(
      Math.max(...counts) - Math.min(...counts) <= 1,
      `max ${Math.max(...counts)} too much larger than min ${Math.min(...counts)}`,
    )
  }
}
