/**
 * `MultiRaftNode`: one process's share of many Raft groups. It owns the node's single
 * transport (through a TransportMux), one shared TickClock, and a Raft runtime per hosted group,
 * each with its own Storage (one directory per group with storage-fs: see `groupDirectory`).
 * Groups start and stop independently (a stopped group's replica keeps its storage, as a crashed
 * process would); node-level faults (the endpoint disconnected, the process killed) hit all of
 * them at once.
 *
 * Per-group memory bound: a group's replication buffers are at most
 * `maxInflightAppends × maxBytesPerAppend` per peer; `startGroup` refuses (ConfigError) a group
 * whose bound exceeds `maxGroupBufferBytes`, and a node hosts at most `maxGroups` groups. The
 * log itself is bounded by the service's snapshots (`maxRaftState` in shardkv).
 */
import type { Clock, Logger, NodeId, RaftConfig, Rng, Storage, Transport } from '@raftkit/raft-core'
import { ConfigError, DEFAULT_RAFT_CONFIG, Raft, silentLogger } from '@raftkit/raft-core'
import { TransportMux, validateGroupId } from './mux.js'
import { TickClock } from './tick-clock.js'

export interface MultiRaftNodeOptions {
  /** The node's one endpoint; its id is this node's id in every group. */
  readonly transport: Transport
  readonly clock: Clock
  /** Tick quantum shared by every group. @default DEFAULT_RAFT_CONFIG.tickMs (10 ms) */
  readonly tickMs?: number
  /** @default 1024 */
  readonly maxGroups?: number
  /** Bound on maxInflightAppends × maxBytesPerAppend of each group. @default 8 MiB */
  readonly maxGroupBufferBytes?: number
  readonly logger?: Logger
}

export interface GroupOptions {
  /** The group's voters (node ids), including this node. */
  readonly peers: readonly NodeId[]
  readonly storage: Storage
  readonly rng?: Rng
  /** Raft timing and limits of this group; `tickMs` is the node's and cannot be changed. */
  readonly config?: Partial<Omit<RaftConfig, 'tickMs'>>
  readonly logger?: Logger
}

export const DEFAULT_MAX_GROUPS = 1024
export const DEFAULT_MAX_GROUP_BUFFER_BYTES = 8 * 1024 * 1024
/**
 * Replication limits a group gets unless its config says otherwise: smaller than a lone Raft's
 * (64 × 1 MiB), so that many groups fit: 16 × 256 KiB = 4 MiB per peer at most.
 */
export const GROUP_DEFAULTS: Readonly<
  Pick<RaftConfig, 'maxInflightAppends' | 'maxBytesPerAppend'>
> = Object.freeze({ maxInflightAppends: 16, maxBytesPerAppend: 256 * 1024 })

/** A directory name for a group under a node's data directory (ids are URI-encoded). */
export function groupDirectory(root: string, groupId: string): string {
  validateGroupId(groupId)
  return `${root.replace(/\/+$/, '')}/groups/${encodeURIComponent(groupId)}`
}

export class MultiRaftNode {
  readonly id: NodeId
  readonly mux: TransportMux
  readonly clock: TickClock
  private readonly rafts = new Map<string, Raft>()
  private readonly maxGroups: number
  private readonly maxGroupBufferBytes: number
  private readonly logger: Logger
  private closed = false

  constructor(options: MultiRaftNodeOptions) {
    this.id = options.transport.id
    this.mux = new TransportMux(options.transport)
    this.clock = new TickClock(options.clock, options.tickMs ?? DEFAULT_RAFT_CONFIG.tickMs)
    this.maxGroups = options.maxGroups ?? DEFAULT_MAX_GROUPS
    this.maxGroupBufferBytes = options.maxGroupBufferBytes ?? DEFAULT_MAX_GROUP_BUFFER_BYTES
    this.logger = options.logger ?? silentLogger
  }

  /**
   * Starts this node's replica of `groupId` (restarting it from its storage if it has state).
   * Throws ConfigError if the group runs here already, the node is full, or the group's
   * buffers would exceed the per-group bound.
   */
  async startGroup(groupId: string, options: GroupOptions): Promise<Raft> {
    validateGroupId(groupId)
    if (this.closed) throw new ConfigError('node', 'this MultiRaftNode is closed')
    if (this.rafts.has(groupId))
      throw new ConfigError('groupId', `group "${groupId}" already runs on node ${this.id}`)
    if (this.rafts.size >= this.maxGroups)
      throw new ConfigError('maxGroups', `node ${this.id} hosts ${this.maxGroups} groups already`)
    const config = { ...GROUP_DEFAULTS, ...options.config, tickMs: this.clock.quantumMs }
    const inflight = config.maxInflightAppends
    const perAppend = config.maxBytesPerAppend
    if (inflight * perAppend > this.maxGroupBufferBytes)
      throw new ConfigError(
        'maxInflightAppends',
        `× maxBytesPerAppend = ${inflight * perAppend} bytes exceeds maxGroupBufferBytes ` +
          `(${this.maxGroupBufferBytes}) for group "${groupId}"`,
      )
    const raft = await Raft.create({
      id: this.id,
      peers: options.peers,
      transport: this.mux.group(groupId),
      storage: options.storage,
      clock: this.clock,
      logger: options.logger ?? this.logger,
      config,
      ...(options.rng ? { rng: options.rng } : {}),
    })
    this.rafts.set(groupId, raft)
    return raft
  }

  /** The running replica of `groupId`, if any. */
  group(groupId: string): Raft | undefined {
    return this.rafts.get(groupId)
  }

  /** Group ids running here, sorted. */
  groups(): string[] {
    return [...this.rafts.keys()].sort()
  }

  /** Stops one replica (its storage is closed, not deleted). Idempotent. */
  async stopGroup(groupId: string): Promise<void> {
    const raft = this.rafts.get(groupId)
    if (!raft) return
    this.rafts.delete(groupId)
    await raft.kill()
  }

  /** Stops every replica and closes the endpoint. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const id of this.groups()) await this.stopGroup(id)
    await this.mux.close()
  }
}
