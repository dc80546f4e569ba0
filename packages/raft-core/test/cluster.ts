/**
 * A small in-process cluster for runtime tests: SimulatedClock + a simulated network (see
 * helpers/sim-transport.ts) + MemoryStorage, with a trace of role changes and applied entries
 * for determinism checks.
 */
import type { ApplyMsg } from '../src/apply.js'
import { SimulatedClock } from '../src/clock.js'
import type { RaftConfig } from '../src/config.js'
import type { LogFields, Logger } from '../src/logger.js'
import { MemoryStorage } from '../src/memory-storage.js'
import { Raft } from '../src/runtime.js'
import { createRng, seedFrom } from '../src/rng.js'
import { DiskModel, type DiskModelOptions } from '../src/disk-model.js'
import type { NodeId } from '../src/types.js'
import { SimNetwork } from './helpers/sim-transport.js'

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
export const text = (b: Uint8Array): string => new TextDecoder().decode(b)

export interface ClusterOptions {
  readonly seed?: number
  readonly size?: number
  readonly config?: Partial<RaftConfig>
  /**
   * Puts every node's storage behind a SimulatedDisk drawn from the seed (writes take simulated
   * time; crash() cuts power mid-write). Off by default here; options override the model's.
   */
  readonly disk?: boolean | Pick<DiskModelOptions, 'slowDisk' | 'latency'>
  /** Called for every applied message, after it is recorded (e.g. to snapshot). */
  readonly onApply?: (id: NodeId, msg: ApplyMsg, raft: Raft) => void | Promise<void>
}

export class TestCluster {
  readonly clock = new SimulatedClock()
  readonly net: SimNetwork
  readonly ids: NodeId[]
  readonly seed: number
  readonly nodes = new Map<NodeId, Raft>()
  readonly storages = new Map<NodeId, MemoryStorage>()
  /** The simulated disks (when the `disk` option is on). */
  readonly disks: DiskModel | undefined
  /** Everything each node's service received, across restarts. */
  readonly applied = new Map<NodeId, ApplyMsg[]>()
  /** (time, node, event) lines: role changes and applied entries. */
  readonly trace: string[] = []
  readonly warnings: Array<{ id: NodeId; msg: string; fields?: LogFields }> = []
  private incarnation = 0

  constructor(private readonly options: ClusterOptions = {}) {
    this.seed = options.seed ?? 1
    this.ids = Array.from({ length: options.size ?? 3 }, (_, i) => `n${i + 1}`)
    this.net = new SimNetwork(this.clock, this.seed)
    const disk = options.disk
    this.disks = disk
      ? new DiskModel({
          seed: this.seed,
          clock: this.clock,
          ids: this.ids,
          ...(disk === true ? {} : disk),
        })
      : undefined
  }

  private logger(id: NodeId): Logger {
    const record =
      (level: string) =>
      (msg: string, fields?: LogFields): void => {
        if (msg === 'role changed')
          this.trace.push(
            `${this.clock.now()} ${id} ${String(fields?.['role'])} t${String(fields?.['term'])}`,
          )
        if (level === 'warn' || level === 'error')
          this.warnings.push({ id, msg, ...(fields ? { fields } : {}) })
      }
    return {
      debug: () => undefined,
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    }
  }

  /**
   * Starts `id` on `storage`. With `join`, it is a new node joining the running cluster (it
   * knows no member until the leader adds it); the initial ids stay the initial voters.
   */
  async start(
    id: NodeId,
    storage: MemoryStorage = new MemoryStorage(),
    options: { join?: boolean } = {},
  ): Promise<Raft> {
    this.storages.set(id, storage)
    const raft = await Raft.create({
      id,
      peers: this.ids,
      ...(options.join === true ? { join: true } : {}),
      transport: this.net.endpoint(id),
      storage: this.disks ? this.disks.wrap(id, storage) : storage,
      clock: this.clock,
      rng: createRng(seedFrom(this.seed, `${id}#${this.incarnation++}`)),
      logger: this.logger(id),
      ...(this.options.config ? { config: this.options.config } : {}),
    })
    this.nodes.set(id, raft)
    const log = this.applied.get(id) ?? []
    this.applied.set(id, log)
    raft.onApply(async (msg) => {
      log.push(msg)
      this.trace.push(`${this.clock.now()} ${id} apply ${msg.kind} ${msg.index}`)
      await this.options.onApply?.(id, msg, raft)
    })
    return raft
  }

  async startAll(): Promise<void> {
    for (const id of this.ids) await this.start(id)
  }

  node(id: NodeId): Raft {
    const raft = this.nodes.get(id)
    if (!raft) throw new Error(`no node ${id}`)
    return raft
  }

  /**
   * Kills `id` and returns a copy of what it had persisted (taken before the kill). On the
   * simulated disk, the power is cut first: the write in flight is lost, kept or torn.
   */
  async crash(id: NodeId): Promise<MemoryStorage> {
    const disk = this.disks?.disk(id)
    // Killed first, so the write the power cut rejects does not count as a storage failure.
    const killing = disk ? this.node(id).kill() : undefined
    await disk?.crash()
    const copy = this.storages.get(id)!.clone()
    await (killing ?? this.node(id).kill())
    this.nodes.delete(id)
    return copy
  }

  leaders(): NodeId[] {
    return [...this.nodes].filter(([, r]) => r.getState().isLeader).map(([id]) => id)
  }

  /** Sleeps in 10 ms steps of simulated time until `pred` holds; fails after `limitMs`. */
  async waitFor(pred: () => boolean, limitMs = 10_000): Promise<void> {
    const deadline = this.clock.now() + limitMs
    while (!pred()) {
      if (this.clock.now() > deadline) throw new Error(`condition not met within ${limitMs} ms`)
      await this.clock.sleep(10)
    }
  }

  /** Waits for exactly one leader among the live nodes, and returns it. */
  async leader(limitMs = 10_000): Promise<Raft> {
    await this.waitFor(() => this.leaders().length === 1, limitMs)
    return this.node(this.leaders()[0]!)
  }

  /** Commands (as text) applied by `id`, in order. */
  commands(id: NodeId): string[] {
    return (this.applied.get(id) ?? []).flatMap((m) =>
      m.kind === 'command' ? [text(m.command)] : [],
    )
  }

  async shutdown(): Promise<void> {
    for (const [id, raft] of this.nodes) {
      // Power off the simulated disk too: a write in flight would wait for clock time.
      const killing = raft.kill()
      await this.disks?.disk(id)?.crash()
      await killing
    }
    this.nodes.clear()
    this.net.close()
  }
}
