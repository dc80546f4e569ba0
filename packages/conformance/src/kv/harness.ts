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
 * test-clerk.ts (TestClerk), both re-exported here, servers.ts (the per-server state;
 * starting, shutting down, role tracing) and clerks.ts (making clerks, their links); from the
 * Raft harness, run-control.ts (failing, stopping, sleeping) and harness-base.ts (the clock,
 * network, storage and disks, built as the Raft harness builds them).
 */
import { createRng, seedFrom } from '@raftkit/raft-core'
import type { Network, NodeId, Raft, Rng } from '@raftkit/raft-core'
import { MemoryKvRpc } from '@raftkit/kv-service'
import type { KvReply, KvRequest, KvServer } from '@raftkit/kv-service'
import { MAX_DISK_ALLOWANCE_MS, TEST_TIME_LIMIT_MS } from '../raft/cluster-options.js'
import type { ObservedClock } from '../raft/observed-clock.js'
import type { SimulatedDisks } from '../raft/disk-harness.js'
import { harnessBase } from '../raft/harness-base.js'
import { RunControl } from '../raft/run-control.js'
import { memoryStorage } from '../raft/storage-harness.js'
import type { StorageHarness } from '../raft/storage-harness.js'
import type { TraceEvent } from '../raft/trace.js'
import { HistoryRecorder } from '@raftkit/linearizability'
import type { ClientId, KvInput, KvOutput } from '@raftkit/linearizability'
import type { KvClusterOptions } from './cluster-options.js'
import { checkKvClusterOptions } from './cluster-options.js'
import { Clerks } from './clerks.js'
import { DelayedKvRpc, NO_LATENCY } from './delayed-rpc.js'
import { KvServers } from './servers.js'
import type { TestClerk } from './test-clerk.js'
import type { ClerkRecorder } from './test-clerk.js'

export {
  DEFAULT_SIM_RPC_LATENCY,
  KV_ELECTION_TIMEOUT_MS,
  LINEARIZABILITY_CHECK_TIMEOUT_MS,
} from './cluster-options.js'
export type { KvClusterOptions } from './cluster-options.js'
export { TestClerk } from './test-clerk.js'

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

  /** The simulated disks, when options.diskModel is on. */
  readonly disks: SimulatedDisks | undefined
  /** Per server: Raft node and KvServer, storage, incarnation (servers.ts). */
  private readonly servers: KvServers
  /** The clerks and their links (clerks.ts). */
  private readonly clerks: Clerks
  private readonly startedAt: number
  private diskAllowanceMs = 0
  private ops = 0
  private began = { t: 0, rpcs: 0, ops: 0 }
  private readonly run: RunControl
  private replyObserver: ((server: NodeId, request: KvRequest, reply: KvReply) => void) | null =
    null
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
    this.disks = disks
    this.rpc = new MemoryKvRpc({ seed: seedFrom(options.seed, 'kv-rpc'), clock })
    this.clerkRpc = new DelayedKvRpc(
      this.rpc,
      clock,
      options.rpcLatency ?? NO_LATENCY,
      createRng(seedFrom(options.seed, 'kv-latency')),
    )
    this.history = new HistoryRecorder(clock)
    this.run = new RunControl(clock, () => clock.observe(null))
    this.clerks = new Clerks(this, options, (i) => this.servers.id(i))
    this.servers = new KvServers(this, options, harnesses, disks, {
      observeReply: (id, request, reply) => this.replyObserver?.(id, request, reply),
      finished: () => this.run.isFinished,
      emit: (event) => this.emit(event),
    })
    this.startedAt = clock.now()
  }

  /** make_config: N servers started and connected, then the network made (un)reliable. */
  static async create(options: KvClusterOptions): Promise<KvCluster> {
    checkKvClusterOptions(options)
    const { clock, network, harnesses, disks } = await harnessBase(
      options,
      options.createStorage ?? memoryStorage,
    )
    const cluster = new KvCluster(options, network, clock, harnesses, disks)
    network.setLongDelays(false) // the kvraft config never turns long delays on
    if (options.trace) clock.observe(() => cluster.servers.traceRoles())
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
    return this.run.guard(body)
  }

  /** Records the first failure and returns it (callers `throw cluster.fail(...)`). */
  fail(reason: string | Error): Error {
    return this.run.fail(reason)
  }

  get error(): Error | undefined {
    return this.run.error
  }

  /** Closes every clerk, kills every server, closes both networks, destroys storage. Idempotent. */
  cleanup(): Promise<void> {
    this.cleaned ??= this.doCleanup()
    return this.cleaned
  }

  private async doCleanup(): Promise<void> {
    this.run.stop()
    this.clerks.closeAll()
    this.clerkRpc.close()
    for (let i = 0; i < this.n; i++) {
      const slot = this.servers.slots[i]
      this.servers.slots[i] = null
      if (slot) {
        this.rpc.unregister(this.ids[i]!)
        await slot.server.kill()
      }
    }
    await this.rpc.close()
    await this.network.close()
    for (const h of this.servers.harnesses) await h.destroy()
  }

  /** Sleeps on the cluster's clock; throws if the run failed or finished meanwhile. */
  sleep(ms: number): Promise<void> {
    return this.run.sleep(ms)
  }

  throwIfStopped(): void {
    this.run.throwIfStopped()
  }

  /** True once the run failed or was cleaned up (loops check it to stop). */
  get stopped(): boolean {
    return this.run.stopped
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
  startServer(i: number): Promise<void> {
    return this.servers.startServer(i)
  }

  /**
   * ShutdownServer: cuts server i off from Raft traffic, makes it unreachable for clerks,
   * freezes a copy of its storage (the next start sees exactly that), and kills it.
   */
  shutdownServer(i: number): Promise<void> {
    return this.servers.shutdownServer(i)
  }

  isLive(i: number): boolean {
    return this.servers.slots[this.servers.check(i)] != null
  }

  /** The KvServer of a live server (throws when it is shut down). */
  server(i: number): KvServer {
    return this.servers.slot(i).server
  }

  /** The Raft node of a live server (membership calls; throws when it is shut down). */
  raft(i: number): Raft {
    return this.servers.slot(i).raft
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
    this.network.connect(this.servers.id(i))
  }

  /**
   * Splits the servers in two: each group fully connected inside and cut off from the other.
   * Servers in neither group are cut off from everyone. Clerks are not affected.
   */
  partition(p1: readonly number[], p2: readonly number[]): void {
    for (const i of [...p1, ...p2]) this.network.connect(this.servers.id(i))
    this.network.partition([p1.map((i) => this.servers.id(i)), p2.map((i) => this.servers.id(i))])
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
    return this.disks?.model.disk(this.servers.id(i))?.stats.busyMs ?? 0
  }

  /** The first live server whose Raft node claims leadership. */
  leader(): number | undefined {
    return this.all().find((i) => this.servers.slots[i]?.raft.getState().isLeader === true)
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
    return this.clerks.make(to)
  }

  /** Lets the clerk reach the servers in `to` as well (ConnectClient). */
  connectClient(clerk: TestClerk, to: readonly number[]): void {
    this.clerks.connect(clerk, to)
  }

  /** Cuts the clerk off from the servers in `from` (DisconnectClient). */
  disconnectClient(clerk: TestClerk, from: readonly number[]): void {
    this.clerks.disconnect(clerk, from)
  }

  /** Closes the clerk (deleteClient): an operation it still has under way rejects. */
  deleteClient(clerk: TestClerk): void {
    clerk.client.close()
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
    for (const s of this.servers.storages) if (s) max = Math.max(max, s.size().raftStateBytes)
    return max
  }

  /** The largest snapshot over the servers (SnapshotSize). */
  snapshotSize(): number {
    let max = 0
    for (const s of this.servers.storages) if (s) max = Math.max(max, s.size().snapshotBytes)
    return max
  }

  // ---------------------------------------------------------------------------------------

  private emit(event: TraceEvent): void {
    this.options.trace?.(event)
  }
}
