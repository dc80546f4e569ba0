/**
 * The key/value test harness: the lab's kvraft config.go for raftkit. It runs N KvServers
 * (each a Raft node + the kv state machine) over any Network (Raft traffic) and StorageHarness,
 * with clerk traffic over MemoryKvRpc. The lab's controls apply to both networks: unreliable
 * mode drops and delays Raft messages and clerk requests/replies alike; a shut-down server is
 * cut off from Raft and unreachable for clerks. As in the lab, clerks are not partitioned:
 * `partition()` splits the servers, and which servers a clerk reaches is set per clerk.
 *
 * Every clerk operation made through a TestClerk is recorded (unless asked not to) in one
 * HistoryRecorder, for the linearizability check at the end of a scenario. All time goes
 * through the injected clock and all randomness through seeded Rngs: under a SimulatedClock a
 * run is a pure function of its seed.
 *
 * Its leaves: cluster-options.ts (KvClusterOptions, their check and the lab's constants) and
 * test-clerk.ts (TestClerk), both re-exported here.
 */
import { Raft, createRng, seedFrom, silentLogger } from '@raftkit/raft-core'
import type { Network, NodeId, Rng, Storage } from '@raftkit/raft-core'
import type { TimerHandle } from '@raftkit/raft-core'
import { KvClient, KvServer, MemoryKvRpc } from '@raftkit/kv-service'
import type { KvReply, KvRequest } from '@raftkit/kv-service'
import { ClusterFinished, FailureLatch, ScenarioFailure } from '../raft/failure.js'
import { MAX_DISK_ALLOWANCE_MS, TEST_TIME_LIMIT_MS } from '../raft/cluster-options.js'
import { ObservedClock } from '../raft/observed-clock.js'
import { SimulatedDisks } from '../raft/disk-harness.js'
import { memoryStorage } from '../raft/storage-harness.js'
import type { StorageHarness } from '../raft/storage-harness.js'
import type { TraceEvent } from '../raft/trace.js'
import { HistoryRecorder } from '@raftkit/linearizability'
import type { ClientId, KvInput, KvOutput } from '@raftkit/linearizability'
import type { KvClusterOptions } from './cluster-options.js'
import { checkKvClusterOptions } from './cluster-options.js'
import { DelayedKvRpc, NO_LATENCY } from './delayed-rpc.js'
import { TestClerk } from './test-clerk.js'
import type { ClerkRecorder } from './test-clerk.js'

export {
  DEFAULT_SIM_RPC_LATENCY,
  KV_ELECTION_TIMEOUT_MS,
  LINEARIZABILITY_CHECK_TIMEOUT_MS,
} from './cluster-options.js'
export type { KvClusterOptions } from './cluster-options.js'
export { TestClerk } from './test-clerk.js'

interface Slot {
  readonly raft: Raft
  readonly server: KvServer
}

export class KvCluster implements ClerkRecorder {
  readonly n: number
  readonly ids: readonly NodeId[]
  readonly seed: number
  readonly maxRaftState: number
  /** The harness's own randomness (the lab's rand calls in tests). */
  readonly rng: Rng
  readonly clock: ObservedClock
  readonly network: Network
  readonly rpc: MemoryKvRpc
  /** What clerks call through: `rpc`, plus the simulated latency. */
  readonly clerkRpc: DelayedKvRpc
  /** Every recorded clerk operation. */
  readonly history: HistoryRecorder<KvInput, KvOutput>

  private readonly slots: Array<Slot | null>
  private readonly storages: Array<Storage | null>
  private readonly harnesses: StorageHarness[]
  /** The simulated disks, when options.diskModel is on. */
  readonly disks: SimulatedDisks | undefined
  private readonly incarnations: number[]
  private readonly clerks: TestClerk[] = []
  private readonly clerkLinks = new Map<string, Set<NodeId>>()
  private readonly sleeps = new Set<TimerHandle>()
  private readonly lastRole: string[]
  private readonly startedAt: number
  private diskAllowanceMs = 0
  private ops = 0
  private began = { t: 0, rpcs: 0, ops: 0 }
  private readonly latch = new FailureLatch()
  private replyObserver: ((server: NodeId, request: KvRequest, reply: KvReply) => void) | null =
    null
  private finished = false
  private cleaned: Promise<void> | null = null

  private constructor(
    private readonly options: KvClusterOptions,
    network: Network,
    clock: ObservedClock,
    harnesses: StorageHarness[],
    disks: SimulatedDisks | undefined,
  ) {
    this.n = options.servers
    this.ids = Array.from({ length: this.n }, (_, i) => String(i))
    this.seed = options.seed
    this.maxRaftState = options.maxRaftState
    this.rng = createRng(seedFrom(options.seed, 'kv-harness'))
    this.clock = clock
    this.network = network
    this.harnesses = harnesses
    this.disks = disks
    this.rpc = new MemoryKvRpc({ seed: seedFrom(options.seed, 'kv-rpc'), clock })
    this.clerkRpc = new DelayedKvRpc(
      this.rpc,
      clock,
      options.rpcLatency ?? NO_LATENCY,
      createRng(seedFrom(options.seed, 'kv-latency')),
    )
    this.history = new HistoryRecorder(clock)
    this.slots = this.ids.map(() => null)
    this.storages = this.ids.map(() => null)
    this.incarnations = this.ids.map(() => 0)
    this.lastRole = this.ids.map(() => '')
    this.startedAt = clock.now()
  }

  /** make_config: N servers started and connected, then the network made (un)reliable. */
  static async create(options: KvClusterOptions): Promise<KvCluster> {
    checkKvClusterOptions(options)
    const clock = new ObservedClock(options.clock)
    const ids = Array.from({ length: options.servers }, (_, i) => String(i))
    const network = await options.createNetwork(ids, {
      seed: seedFrom(options.seed, 'network'),
      clock,
    })
    const createStorage = options.createStorage ?? memoryStorage
    let harnesses: StorageHarness[] = []
    for (const id of ids) harnesses.push(await createStorage(id))
    const disks = options.diskModel
      ? new SimulatedDisks(ids, harnesses, { seed: options.seed, clock })
      : undefined
    if (disks) harnesses = disks.harnesses
    const cluster = new KvCluster(options, network, clock, harnesses, disks)
    network.setLongDelays(false) // the kvraft config never turns long delays on
    if (options.trace) clock.observe(() => cluster.traceRoles())
    try {
      for (let i = 0; i < cluster.n; i++) await cluster.startServer(i)
      cluster.connectAll()
      cluster.setUnreliable(options.unreliable === true)
    } catch (e) {
      await cluster.cleanup()
      throw e
    }
    return cluster
  }

  // ---------------------------------------------------------------------------------------
  // Running, failing, finishing

  /** Runs `body`, failing as soon as the harness records a failure. */
  async guard<T>(body: () => Promise<T>): Promise<T> {
    return this.latch.guard(body)
  }

  /** Records the first failure and returns it (callers `throw cluster.fail(...)`). */
  fail(reason: string | Error): Error {
    return this.latch.fail(reason)
  }

  get error(): Error | undefined {
    return this.latch.error
  }

  /** Closes every clerk, kills every server, closes both networks, destroys storage. Idempotent. */
  cleanup(): Promise<void> {
    this.cleaned ??= this.doCleanup()
    return this.cleaned
  }

  private async doCleanup(): Promise<void> {
    this.finished = true
    this.clock.observe(null)
    for (const h of this.sleeps) this.clock.clearTimeout(h)
    this.sleeps.clear()
    for (const ck of this.clerks) ck.client.close()
    this.clerkRpc.close()
    for (let i = 0; i < this.n; i++) {
      const slot = this.slots[i]
      this.slots[i] = null
      if (slot) {
        this.rpc.unregister(this.ids[i]!)
        await slot.server.kill()
      }
    }
    await this.rpc.close()
    await this.network.close()
    for (const h of this.harnesses) await h.destroy()
  }

  /** Sleeps on the cluster's clock; throws if the run failed or finished meanwhile. */
  async sleep(ms: number): Promise<void> {
    this.throwIfStopped()
    await new Promise<void>((resolve) => {
      const handle = this.clock.setTimeout(() => {
        this.sleeps.delete(handle)
        resolve()
      }, ms)
      this.sleeps.add(handle)
    })
    this.throwIfStopped()
  }

  throwIfStopped(): void {
    if (this.latch.error) throw this.latch.error
    if (this.finished) throw new ClusterFinished()
  }

  /** True once the run failed or was cleaned up (loops check it to stop). */
  get stopped(): boolean {
    return this.latch.error !== undefined || this.finished
  }

  // ---------------------------------------------------------------------------------------
  // begin / end

  begin(description: string): void {
    this.log(`${description} ...`)
    this.began = { t: this.clock.now(), rpcs: this.rpcTotal(), ops: this.ops }
  }

  /** checkTimeout, then the lab's line: "  ... Passed --  secs  peers  rpcs  ops". */
  end(): void {
    this.checkTimeout()
    this.throwIfStopped()
    const secs = (this.clock.now() - this.began.t) / 1000
    const rpcs = this.rpcTotal() - this.began.rpcs
    const ops = this.ops - this.began.ops
    this.log(
      `  ... Passed --  ${secs.toFixed(1).padStart(4)}  ${this.n}  ${String(rpcs).padStart(5)}  ${String(ops).padStart(4)}`,
    )
  }

  /**
   * The lab's 120 s limit assumes storage that takes no time. A scenario whose operations wait
   * for simulated disks one after another (the speed test's 1000 sequential appends) grants
   * the disk time on their commit path here, and the limit grows by it, as the scenario's
   * per-operation budget does. At most MAX_DISK_ALLOWANCE_MS in all.
   */
  allowDiskTime(ms: number): void {
    this.diskAllowanceMs = Math.min(MAX_DISK_ALLOWANCE_MS, this.diskAllowanceMs + ms)
  }

  checkTimeout(): void {
    if (this.clock.now() - this.startedAt <= TEST_TIME_LIMIT_MS + this.diskAllowanceMs) return
    const disk =
      this.diskAllowanceMs > 0
        ? ` plus ${(this.diskAllowanceMs / 1000).toFixed(1)} s of disk time on the commit path`
        : ''
    throw this.fail(`test took longer than ${TEST_TIME_LIMIT_MS / 1000} seconds${disk}`)
  }

  log(line: string): void {
    this.options.log?.(line)
  }

  // ---------------------------------------------------------------------------------------
  // Servers

  /**
   * StartServer: a fresh Raft node + KvServer on what server i's storage holds, registered for
   * clerks. Like the lab, its Raft links stay as they were (a shut-down server is cut off):
   * call connectAll() or partition() afterwards.
   */
  async startServer(i: number): Promise<void> {
    await this.shutdownServer(i)
    const id = this.id(i)
    const incarnation = ++this.incarnations[i]!
    const storage = await this.harness(i).open()
    this.storages[i] = storage
    this.lastRole[i] = ''
    const initial = this.options.initialVoters ?? this.n
    const raft = await Raft.create({
      id,
      peers: this.ids.slice(0, initial),
      ...(i >= initial ? { join: true } : {}),
      transport: this.network.endpoint(id),
      storage,
      clock: this.clock,
      rng: createRng(seedFrom(this.seed, `${id}#${incarnation}`)),
      logger: this.options.logger ?? silentLogger,
      ...(this.options.raftConfig ? { config: this.options.raftConfig } : {}),
    })
    const server = KvServer.create({
      raft,
      clock: this.clock,
      storageSize: () => storage.size(),
      maxRaftState: this.maxRaftState,
      logger: this.options.logger ?? silentLogger,
    })
    if (this.finished) {
      await server.kill()
      throw new ClusterFinished()
    }
    this.slots[i] = { raft, server }
    this.rpc.register(id, async (request) => {
      const reply = await server.handle(request)
      this.replyObserver?.(id, request, reply)
      return reply
    })
    this.emit({ t: this.clock.now(), kind: 'fault', action: 'start', server: i })
  }

  /**
   * ShutdownServer: cuts server i off from Raft traffic, makes it unreachable for clerks,
   * freezes a copy of its storage (the next start sees exactly that), and kills it.
   */
  async shutdownServer(i: number): Promise<void> {
    const id = this.id(i)
    this.network.disconnect(id)
    const slot = this.slots[i]
    if (!slot) return
    this.slots[i] = null
    this.emit({ t: this.clock.now(), kind: 'fault', action: 'crash', server: i })
    this.rpc.unregister(id)
    if (this.disks) {
      const report = await this.disks.crash(id, this.harness(i), () => slot.server.kill())
      if (report) this.emit({ t: this.clock.now(), kind: 'disk-crash', server: i, ...report })
      return
    }
    await this.harness(i).crash()
    await slot.server.kill()
  }

  isLive(i: number): boolean {
    return this.slots[this.check(i)] != null
  }

  /** The KvServer of a live server (throws when it is shut down). */
  server(i: number): KvServer {
    const slot = this.slots[this.check(i)]
    if (!slot) throw new ScenarioFailure(`server ${i} is not running`)
    return slot.server
  }

  /** The Raft node of a live server (membership calls; throws when it is shut down). */
  raft(i: number): Raft {
    const slot = this.slots[this.check(i)]
    if (!slot) throw new ScenarioFailure(`server ${i} is not running`)
    return slot.raft
  }

  /** Every server index, 0..n-1 (the lab's All()). */
  all(): number[] {
    return this.ids.map((_, i) => i)
  }

  // ---------------------------------------------------------------------------------------
  // Network

  /** Every server can reach every other (the lab's ConnectAll; partitions end). */
  connectAll(): void {
    this.network.heal()
    this.emit({ t: this.clock.now(), kind: 'fault', action: 'partition', server: 1 })
  }

  /** Undoes the cut-off of a shut-down server (a partition in force stays). */
  connect(i: number): void {
    this.network.connect(this.id(i))
  }

  /**
   * Splits the servers in two: each group fully connected inside and cut off from the other.
   * Servers in neither group are cut off from everyone. Clerks are not affected.
   */
  partition(p1: readonly number[], p2: readonly number[]): void {
    for (const i of [...p1, ...p2]) this.network.connect(this.id(i))
    this.network.partition([p1.map((i) => this.id(i)), p2.map((i) => this.id(i))])
    this.emit({ t: this.clock.now(), kind: 'fault', action: 'partition', server: 2 })
  }

  /**
   * make_partition: p1 is the first ⌊n/2⌋+1 servers that are not the leader, p2 the rest with
   * the current leader (the first server that claims it, else 0) last, so it is in the minority.
   */
  makePartition(): [number[], number[]] {
    const l = this.leader() ?? 0
    const others = this.all().filter((i) => i !== l)
    const half = Math.floor(this.n / 2) + 1
    return [others.slice(0, half), [...others.slice(half), l]]
  }

  /**
   * Simulated milliseconds server i's current disk has spent transferring and syncing (0
   * without the disk model, or while the server is down).
   */
  diskBusyMs(i: number): number {
    return this.disks?.model.disk(this.id(i))?.stats.busyMs ?? 0
  }

  /** The first live server whose Raft node claims leadership. */
  leader(): number | undefined {
    return this.all().find((i) => this.slots[i]?.raft.getState().isLeader === true)
  }

  setUnreliable(unreliable: boolean): void {
    this.network.setReliable(!unreliable)
    this.rpc.setReliable(!unreliable)
    this.emit({
      t: this.clock.now(),
      kind: 'fault',
      action: unreliable ? 'unreliable' : 'reliable',
      server: -1,
    })
  }

  /** RPCs so far: Raft requests plus clerk calls. */
  rpcTotal(): number {
    return this.network.stats().rpcs + this.rpc.stats().rpcs
  }

  // ---------------------------------------------------------------------------------------
  // Clerks

  /**
   * makeClient: a new clerk that knows every server (in a shuffled order, as in the lab) but
   * can reach only the servers in `to`.
   */
  makeClient(to: readonly number[] = this.all()): TestClerk {
    this.throwIfStopped()
    const name = `clerk${this.clerks.length}`
    const servers = [...this.ids]
    for (let i = servers.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1)
      ;[servers[i], servers[j]] = [servers[j]!, servers[i]!]
    }
    const client = new KvClient({
      servers,
      rpc: this.clerkRpc,
      clock: this.clock,
      rng: createRng(seedFrom(this.seed, name)),
      clientId: name,
      name,
      ...(this.options.clerkRequestTimeoutMs !== undefined
        ? { requestTimeoutMs: this.options.clerkRequestTimeoutMs }
        : {}),
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    })
    const clerk = new TestClerk(name, client, this)
    this.clerks.push(clerk)
    this.clerkLinks.set(name, new Set())
    this.connectClient(clerk, to)
    return clerk
  }

  /** Lets the clerk reach the servers in `to` as well (ConnectClient). */
  connectClient(clerk: TestClerk, to: readonly number[]): void {
    const links = this.linksOf(clerk)
    for (const i of to) links.add(this.id(i))
    this.rpc.setLinks(clerk.name, [...links])
  }

  /** Cuts the clerk off from the servers in `from` (DisconnectClient). */
  disconnectClient(clerk: TestClerk, from: readonly number[]): void {
    const links = this.linksOf(clerk)
    for (const i of from) links.delete(this.id(i))
    this.rpc.setLinks(clerk.name, [...links])
  }

  /** Closes the clerk (deleteClient): an operation it still has under way rejects. */
  deleteClient(clerk: TestClerk): void {
    clerk.client.close()
  }

  private linksOf(clerk: TestClerk): Set<NodeId> {
    const links = this.clerkLinks.get(clerk.name)
    if (!links) throw new RangeError(`${clerk.name} is not a clerk of this cluster`)
    return links
  }

  /** Runs one clerk operation, counting it and recording it in the history unless id is null. */
  async record(
    clientId: ClientId | null,
    input: KvInput,
    run: () => Promise<KvOutput>,
  ): Promise<KvOutput> {
    this.throwIfStopped()
    this.ops++
    if (clientId === null) return run()
    const token = this.history.begin(clientId, input)
    const output = await run() // a rejection (clerk closed) leaves the operation pending
    this.history.end(token, output)
    return output
  }

  /** Sees every answer a server gives a clerk (null: stop), before the network carries it. */
  observeReplies(
    observer: ((server: NodeId, request: KvRequest, reply: KvReply) => void) | null,
  ): void {
    this.replyObserver = observer
  }

  // ---------------------------------------------------------------------------------------
  // Sizes

  /** The largest persisted Raft state (hard state + log) over the servers (LogSize). */
  logSize(): number {
    let max = 0
    for (const s of this.storages) if (s) max = Math.max(max, s.size().raftStateBytes)
    return max
  }

  /** The largest snapshot over the servers (SnapshotSize). */
  snapshotSize(): number {
    let max = 0
    for (const s of this.storages) if (s) max = Math.max(max, s.size().snapshotBytes)
    return max
  }

  // ---------------------------------------------------------------------------------------

  private traceRoles(): void {
    if (this.finished) return
    this.slots.forEach((slot, server) => {
      if (!slot) return
      const { term, isLeader } = slot.raft.getState()
      const key = `${term}:${isLeader}`
      if (this.lastRole[server] === key) return
      this.lastRole[server] = key
      this.emit({ t: this.clock.now(), kind: 'role', server, term, leader: isLeader })
    })
  }

  private emit(event: TraceEvent): void {
    this.options.trace?.(event)
  }

  private harness(i: number): StorageHarness {
    const h = this.harnesses[this.check(i)]
    if (!h) throw new RangeError(`no server ${i}`)
    return h
  }

  private id(i: number): NodeId {
    return this.ids[this.check(i)]!
  }

  private check(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.n)
      throw new RangeError(`server ${String(i)} does not exist (the cluster has ${this.n} servers)`)
    return i
  }
}
