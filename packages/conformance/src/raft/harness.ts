/**
 * The Raft test harness: the lab's config.go for raftkit. It runs N nodes over any Network
 * and Storage, crashes and restarts them, cuts them off, and offers the lab's checks
 * (checkOneLeader, checkTerms, checkNoLeader, nCommitted, wait, one) with the lab's loops,
 * sleeps and budgets. Every apply goes through the lab's apply checker, and Raft's safety
 * invariants are checked after every timer the clock fires. Any violation fails the run at
 * once. All time goes through the injected clock and all randomness through seeded Rngs, so
 * under a SimulatedClock a run is a pure function of its seed.
 *
 * Its leaves: cluster-options.ts (ClusterOptions, the network factory and the lab's time
 * constants, re-exported here), lab-checks.ts (the lab's checks, which the methods of the
 * same names run), servers.ts (the per-server state; crash, restart, connect, disconnect),
 * cluster-monitor.ts (the apply checker, role tracing and the invariants), run-control.ts
 * (failing, stopping, sleeping) and harness-base.ts (clock, network, storage and disks, built
 * as the key/value harness builds them).
 */
import { Raft, createRng, seedFrom } from '@raftkit/raft-core'
import type { Network, NodeId, Rng } from '@raftkit/raft-core'
import { AppliedLogs } from './applied-logs.js'
import { ClusterMonitor } from './cluster-monitor.js'
import type { ClusterOptions } from './cluster-options.js'
import { TEST_TIME_LIMIT_MS } from './cluster-options.js'
import { ScenarioFailure } from './failure.js'
import * as labChecks from './lab-checks.js'
import type { LabCluster } from './lab-checks.js'
import type { NodeFactory, RaftNode, StartResult } from './node.js'
import type { ObservedClock } from './observed-clock.js'
import { harnessBase } from './harness-base.js'
import type { StorageHarness } from './storage-harness.js'
import type { TraceEvent } from './trace.js'
import type { SimulatedDisks } from './disk-harness.js'
import { RunControl } from './run-control.js'
import { Servers } from './servers.js'
import type { Applied } from './values.js'
import { encodeCommand } from './values.js'

export {
  ELECTION_TIMEOUT_MS,
  MAX_DISK_ALLOWANCE_MS,
  SNAPSHOT_INTERVAL,
  TEST_TIME_LIMIT_MS,
} from './cluster-options.js'
export type { ClusterOptions, NetworkFactory } from './cluster-options.js'

const defaultCreateNode: NodeFactory = (o) => Raft.create(o)

export class Cluster {
  readonly n: number
  readonly ids: readonly NodeId[]
  readonly seed: number
  /** The harness's own randomness (the lab's rand calls in tests). */
  readonly rng: Rng
  readonly clock: ObservedClock
  readonly network: Network

  /** The simulated disks, when options.diskModel is on. */
  readonly disks: SimulatedDisks | undefined
  /** Per server: node, connection, storage, incarnation (servers.ts). */
  private readonly servers: Servers
  private readonly records: AppliedLogs
  /** The apply checker, role tracing and the safety invariants (cluster-monitor.ts). */
  private readonly monitor: ClusterMonitor
  private readonly startedAt: number
  private readonly run: RunControl
  private began = { t: 0, rpcs: 0, bytes: 0, maxIndex: 0 }
  private cleaned: Promise<void> | null = null
  /** What the lab's checks (lab-checks.ts) see of this cluster. */
  private readonly labView: LabCluster

  private constructor(
    private readonly options: ClusterOptions,
    network: Network,
    clock: ObservedClock,
    storageHarnesses: StorageHarness[],
    disks: SimulatedDisks | undefined,
  ) {
    this.n = options.servers
    this.ids = Array.from({ length: this.n }, (_, i) => String(i))
    this.seed = options.seed
    this.rng = createRng(seedFrom(options.seed, 'harness'))
    this.clock = clock
    this.network = network
    this.disks = disks
    this.records = new AppliedLogs(this.n)
    this.startedAt = clock.now()
    this.run = new RunControl(clock, () => clock.observe(null))
    this.servers = new Servers(
      this,
      options,
      storageHarnesses,
      disks,
      options.createNode ?? defaultCreateNode,
      {
        restarting: (i) => {
          this.records.lastApplied[i] = 0
          this.monitor.forgetRole(i)
        },
        onApply: (i, node, msg) => this.monitor.onApply(i, node, msg),
        finished: () => this.run.isFinished,
        emit: (event) => this.emit(event),
      },
    )
    this.monitor = new ClusterMonitor(
      {
        clock,
        nodes: this.servers.nodes,
        records: this.records,
        stopped: () => this.run.stopped,
        fail: (reason) => this.fail(reason),
        emit: (event) => this.emit(event),
      },
      options,
    )
    this.labView = {
      n: this.n,
      rng: this.rng,
      clock,
      connected: this.servers.connected,
      nodes: this.servers.nodes,
      sleep: (ms) => this.sleep(ms),
      getState: (i) => this.getState(i),
      start: (i, command) => this.start(i, command),
      nCommitted: (index) => this.nCommitted(index),
      fail: (reason) => this.fail(reason),
      throwIfStopped: () => this.throwIfStopped(),
    }
  }

  /** make_config: creates the network and N nodes, all started and connected. */
  static async create(options: ClusterOptions): Promise<Cluster> {
    if (!Number.isSafeInteger(options.servers) || options.servers < 1)
      throw new RangeError(`servers must be a positive integer, got ${String(options.servers)}`)
    const { clock, network, harnesses, disks } = await harnessBase(options, options.createStorage)
    const cluster = new Cluster(options, network, clock, harnesses, disks)
    network.setReliable(!options.unreliable)
    network.setLongDelays(true)
    if (options.invariants !== false) clock.observe(() => cluster.monitor.afterStep())
    try {
      for (let i = 0; i < cluster.n; i++) await cluster.start1(i)
      for (let i = 0; i < cluster.n; i++) cluster.connect(i)
    } catch (e) {
      await cluster.cleanup()
      throw e
    }
    return cluster
  }

  // ---------------------------------------------------------------------------------------
  // Running, failing, finishing

  /** Runs `body`, failing as soon as the harness records a failure (apply or invariant). */
  async guard<T>(body: () => Promise<T>): Promise<T> {
    return this.run.guard(body)
  }

  /** Records the first failure and returns it (callers `throw cluster.fail(...)`). */
  fail(reason: string | Error): Error {
    return this.run.fail(reason)
  }

  /** The first failure recorded, if any. */
  get error(): Error | undefined {
    return this.run.error
  }

  /** Marks the run finished, kills every node, closes the network, destroys storage. Idempotent. */
  cleanup(): Promise<void> {
    this.cleaned ??= this.doCleanup()
    return this.cleaned
  }

  private async doCleanup(): Promise<void> {
    this.run.stop()
    for (let i = 0; i < this.n; i++) {
      const node = this.servers.nodes[i]
      this.servers.nodes[i] = null
      if (node) await node.kill()
    }
    await this.network.close()
    for (const h of this.servers.harnesses) await h.destroy()
  }

  /** Sleeps on the cluster's clock; throws if the run failed or finished meanwhile. */
  sleep(ms: number): Promise<void> {
    return this.run.sleep(ms)
  }

  private throwIfStopped(): void {
    this.run.throwIfStopped()
  }

  // ---------------------------------------------------------------------------------------
  // begin / end

  begin(description: string): void {
    this.log(`${description} ...`)
    const stats = this.network.stats()
    this.began = {
      t: this.clock.now(),
      rpcs: stats.rpcs,
      bytes: stats.bytes,
      maxIndex: this.records.maxIndex,
    }
  }

  /** checkTimeout, then the lab's "Passed" line with time, peers, RPCs, bytes and commits. */
  end(): void {
    this.checkTimeout()
    this.throwIfStopped()
    const stats = this.network.stats()
    const secs = (this.clock.now() - this.began.t) / 1000
    const rpcs = stats.rpcs - this.began.rpcs
    const bytes = stats.bytes - this.began.bytes
    const commits = this.records.maxIndex - this.began.maxIndex
    this.log(
      `  ... Passed --  ${secs.toFixed(1).padStart(4)}  ${this.n}  ${String(rpcs).padStart(4)}  ${String(bytes).padStart(7)}  ${String(commits).padStart(4)}`,
    )
  }

  checkTimeout(): void {
    if (this.clock.now() - this.startedAt > TEST_TIME_LIMIT_MS)
      throw this.fail(`test took longer than ${TEST_TIME_LIMIT_MS / 1000} seconds`)
  }

  /** Prints a warning line (the lab prints and carries on). */
  warn(line: string): void {
    this.log(line)
  }

  private log(line: string): void {
    this.options.log?.(line)
  }

  // ---------------------------------------------------------------------------------------
  // Crash, restart, connect, disconnect

  /** Disconnects server i, freezes a copy of its storage, and kills it. */
  crash1(i: number): Promise<void> {
    return this.servers.crash1(i)
  }

  /**
   * (Re)starts server i on what its storage holds. Like the lab, it does not connect it: call
   * connect(i) afterwards.
   */
  start1(i: number): Promise<void> {
    return this.servers.start1(i)
  }

  connect(i: number): void {
    this.servers.connect(i)
  }

  disconnect(i: number): void {
    this.servers.disconnect(i)
  }

  /**
   * Splits the network into groups of servers (servers in no group are isolated). Independent
   * of connect/disconnect: a disconnected server stays cut off inside its group.
   */
  partition(groups: ReadonlyArray<readonly number[]>): void {
    this.network.partition(groups.map((g) => g.map((i) => this.servers.id(i))))
    this.emit({ t: this.clock.now(), kind: 'fault', action: 'partition', server: groups.length })
  }

  /** Ends a partition (disconnected servers stay disconnected). */
  healPartition(): void {
    this.network.partition([this.ids])
    this.emit({ t: this.clock.now(), kind: 'fault', action: 'partition', server: 1 })
  }

  setUnreliable(unreliable: boolean): void {
    this.network.setReliable(!unreliable)
    this.emit({
      t: this.clock.now(),
      kind: 'fault',
      action: unreliable ? 'unreliable' : 'reliable',
      server: -1,
    })
  }

  setLongReordering(enabled: boolean): void {
    this.network.setLongReordering(enabled)
    this.emit({ t: this.clock.now(), kind: 'fault', action: 'reordering', server: enabled ? 1 : 0 })
  }

  isConnected(i: number): boolean {
    return this.servers.connected[this.servers.check(i)] === true
  }

  /** True unless the server is crashed. */
  isLive(i: number): boolean {
    return this.servers.nodes[this.servers.check(i)] != null
  }

  /** The live node of server i (throws when it is crashed). */
  node(i: number): RaftNode {
    const node = this.servers.nodes[this.servers.check(i)]
    if (!node) throw new ScenarioFailure(`server ${i} is not running`)
    return node
  }

  /** Start(cmd) on server i; a crashed server answers "not leader". */
  start(i: number, command: unknown): StartResult {
    const node = this.servers.nodes[this.servers.check(i)]
    if (!node) return { index: -1, term: -1, isLeader: false }
    return node.start(encodeCommand(command))
  }

  getState(i: number): { term: number; isLeader: boolean } {
    const s = this.node(i).getState()
    return { term: s.term, isLeader: s.isLeader }
  }

  // ---------------------------------------------------------------------------------------
  // Counters

  /** RPCs submitted to the network so far (dropped ones included). */
  rpcTotal(): number {
    return this.network.stats().rpcs
  }

  bytesTotal(): number {
    return this.network.stats().bytes
  }

  /** Requests delivered to server i's current endpoint (the lab's GetCount). */
  rpcCount(i: number): number {
    return this.network.stats().nodes[this.servers.id(i)]?.rpcs ?? 0
  }

  /** The largest persisted Raft state (hard state + log) over all servers. */
  logSize(): number {
    let max = 0
    for (const s of this.servers.storages) if (s) max = Math.max(max, s.size().raftStateBytes)
    return max
  }

  /** A non-negative random 31-bit integer from the harness's seeded Rng. */
  randInt(): number {
    return this.rng.int(0x7fffffff)
  }

  // ---------------------------------------------------------------------------------------
  // The lab's checks

  /** A leader among the connected servers, within ~5 s; fails on two leaders in one term. */
  checkOneLeader(): Promise<number> {
    return labChecks.checkOneLeader(this.labView)
  }

  /** Every connected server's term; they must agree. */
  checkTerms(): number {
    return labChecks.checkTerms(this.labView)
  }

  /** No connected server may think it is the leader. */
  checkNoLeader(): void {
    labChecks.checkNoLeader(this.labView)
  }

  /**
   * Waits (10 ms doubling to 1 s, 30 polls) until `n` servers applied `index`. Returns the
   * value, or -1 if some server's term passed `startTerm` (> -1) meanwhile.
   */
  wait(index: number, n: number, startTerm: number): Promise<Applied> {
    return labChecks.wait(this.labView, index, n, startTerm)
  }

  /**
   * Agreement on `cmd`: Start() it on the leader (trying the connected servers round-robin),
   * wait up to 2 s for `expectedServers` to apply it, retry (if `retry`) for up to 10 s.
   * Returns the index.
   */
  one(cmd: unknown, expectedServers: number, retry: boolean): Promise<number> {
    return labChecks.one(this.labView, cmd, expectedServers, retry)
  }

  /** How many servers (connected or not) have applied `index`, and the value there. */
  nCommitted(index: number): { count: number; value: Applied } {
    this.throwIfStopped()
    try {
      return this.records.committed(index)
    } catch (e) {
      throw this.fail((e as Error).message)
    }
  }

  // ---------------------------------------------------------------------------------------
  // Invariants

  /** Runs the log-matching check now (scenarios call it at the end). */
  checkInvariants(): void {
    if (this.options.invariants === false) return
    this.monitor.checkNow()
    this.throwIfStopped()
  }

  private emit(event: TraceEvent): void {
    this.options.trace?.(event)
  }
}
