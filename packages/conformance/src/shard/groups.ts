/**
 * The replica groups of a ShardCluster (the shardkv config.go part): gids 100 + gi, three
 * replicas each ("server-<gid>-<i>", replica i on node i), joined and removed through the
 * controller; clerks whose operations are recorded for the linearizability check; and the
 * lab's checklogs (persisted Raft state and snapshot sizes).
 */
import { HistoryRecorder } from '@raftkit/linearizability'
import type { KvInput, KvOutput } from '@raftkit/linearizability'
import { createRng, seedFrom } from '@raftkit/raft-core'
import type { Clock, Logger, Raft, Storage } from '@raftkit/raft-core'
import { ShardKvClient, ShardKvServer } from '@raftkit/shardkv'
import type { CtrlerClient, MemoryShardRpc } from '@raftkit/shardkv'
import { FIRST_GID, NODES } from './layout.js'

/** What the groups need of their cluster (ShardCluster implements it). */
export interface GroupHost {
  readonly clock: Clock
  readonly rpc: MemoryShardRpc
  readonly ctrlerNames: readonly string[]
  readonly options: {
    readonly seed: number
    readonly groups: number
    readonly maxRaftState: number
    readonly sessionExpiryEntries?: number
    readonly logger?: Logger
  }
  startReplica(group: string, i: number): Promise<{ raft: Raft; storage: Storage }>
  stopReplica(group: string, i: number): Promise<void>
  ctrlerClerk(): CtrlerClient
  check(cond: boolean, message: string): void
}

/** A clerk whose every operation is recorded (under its own client number). */
export class ShardClerk {
  constructor(
    readonly id: number,
    readonly client: ShardKvClient,
    private readonly history: HistoryRecorder<KvInput, KvOutput>,
  ) {}

  get(key: string): Promise<string> {
    return this.record({ op: 'get', key }, () => this.client.get(key))
  }

  put(key: string, value: string): Promise<void> {
    return this.record({ op: 'put', key, value }, () => this.client.put(key, value)).then(
      () => undefined,
    )
  }

  append(key: string, value: string): Promise<void> {
    return this.record({ op: 'append', key, value }, () => this.client.append(key, value)).then(
      () => undefined,
    )
  }

  close(): void {
    this.client.close()
  }

  private async record<T>(input: KvInput, fn: () => Promise<T>): Promise<T> {
    const token = this.history.begin(this.id, input)
    try {
      const out = await fn()
      this.history.end(token, input.op === 'get' ? { value: out as string } : {})
      return out
    } catch (e) {
      this.history.unknown(token)
      throw e
    }
  }
}

export class GroupSet {
  readonly gids: number[]
  readonly history: HistoryRecorder<KvInput, KvOutput>
  private readonly servers = new Map<number, Array<ShardKvServer | null>>()
  private readonly storages = new Map<string, Storage>()
  private readonly clerks: ShardClerk[] = []
  private mck: CtrlerClient | undefined
  private nextClerk = 1

  constructor(private readonly c: GroupHost) {
    this.gids = Array.from({ length: c.options.groups }, (_, gi) => FIRST_GID + gi)
    this.history = new HistoryRecorder(c.clock)
  }

  name(gi: number, i: number): string {
    return `server-${this.gids[gi]!}-${i}`
  }

  names(gi: number): string[] {
    return Array.from({ length: NODES }, (_, i) => this.name(gi, i))
  }

  async startAll(): Promise<void> {
    for (let gi = 0; gi < this.gids.length; gi++) await this.startGroup(gi)
  }

  async startServer(gi: number, i: number): Promise<void> {
    const gid = this.gids[gi]!
    const slots = this.servers.get(gid) ?? new Array<ShardKvServer | null>(NODES).fill(null)
    this.servers.set(gid, slots)
    if (slots[i]) return
    const { raft, storage } = await this.c.startReplica(`g${gid}`, i)
    this.storages.set(`${gid}/${i}`, storage)
    const name = this.name(gi, i)
    const server = new ShardKvServer({
      gid,
      name,
      raft,
      clock: this.c.clock,
      rpc: this.c.rpc,
      ctrlers: this.c.ctrlerNames,
      maxRaftState: this.c.options.maxRaftState,
      ...(this.c.options.sessionExpiryEntries !== undefined
        ? { sessionExpiryEntries: this.c.options.sessionExpiryEntries }
        : {}),
      storageSize: () => storage.size(),
      rng: createRng(seedFrom(this.c.options.seed, `${name}/${this.c.clock.now()}`)),
      ...(this.c.options.logger ? { logger: this.c.options.logger } : {}),
    })
    slots[i] = server
    this.c.rpc.register(name, (req) => server.handle(req))
  }

  async shutdownServer(gi: number, i: number): Promise<void> {
    const gid = this.gids[gi]!
    const slots = this.servers.get(gid)
    const server = slots?.[i]
    if (!slots || !server) return
    slots[i] = null
    this.c.rpc.unregister(this.name(gi, i))
    await this.c.stopReplica(`g${gid}`, i)
    await server.kill()
  }

  async startGroup(gi: number): Promise<void> {
    for (let i = 0; i < NODES; i++) await this.startServer(gi, i)
  }

  async shutdownGroup(gi: number): Promise<void> {
    for (let i = 0; i < NODES; i++) await this.shutdownServer(gi, i)
  }

  private ctrler(): CtrlerClient {
    this.mck ??= this.c.ctrlerClerk()
    return this.mck
  }

  async join(gi: number): Promise<void> {
    await this.joinm([gi])
  }

  async joinm(gis: readonly number[]): Promise<void> {
    await this.ctrler().join(Object.fromEntries(gis.map((gi) => [this.gids[gi]!, this.names(gi)])))
  }

  async leave(gi: number): Promise<void> {
    await this.leavem([gi])
  }

  async leavem(gis: readonly number[]): Promise<void> {
    await this.ctrler().leave(gis.map((gi) => this.gids[gi]!))
  }

  /** Moves `shard` to group gi. */
  async move(shard: number, gi: number): Promise<void> {
    await this.ctrler().move(shard, this.gids[gi]!)
  }

  /** The controller's latest configuration. */
  query() {
    return this.ctrler().query(-1)
  }

  /** A new clerk with its own client number in the history. */
  makeClient(): ShardClerk {
    const id = this.nextClerk++
    const name = `clerk-${id}`
    const client = new ShardKvClient({
      rpc: this.c.rpc,
      ctrlers: this.c.ctrlerNames,
      clock: this.c.clock,
      name,
      rng: createRng(seedFrom(this.c.options.seed, name)),
    })
    const ck = new ShardClerk(id, client, this.history)
    this.clerks.push(ck)
    return ck
  }

  /** Persisted Raft state plus snapshot bytes of every replica (live or shut down). */
  totalPersistedBytes(): number {
    let n = 0
    for (const s of this.storages.values()) {
      const size = s.size()
      n += size.raftStateBytes + size.snapshotBytes
    }
    return n
  }

  /** The lab's checklogs: Raft state ≤ 8 × maxRaftState, or no snapshot when snapshots are off. */
  checklogs(): void {
    const max = this.c.options.maxRaftState
    for (const [key, s] of [...this.storages].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const size = s.size()
      if (max >= 0)
        this.c.check(
          size.raftStateBytes <= 8 * max,
          `persisted Raft state of server ${key} is ${size.raftStateBytes} bytes, more than 8 × maxraftstate (${8 * max})`,
        )
      else
        this.c.check(
          size.snapshotBytes === 0,
          `server ${key}: maxraftstate is -1, but the snapshot is ${size.snapshotBytes} bytes`,
        )
    }
  }

  async killAll(): Promise<void> {
    for (const ck of this.clerks) ck.close()
    this.mck?.close()
    for (let gi = 0; gi < this.gids.length; gi++) {
      const gid = this.gids[gi]!
      const slots = this.servers.get(gid) ?? []
      for (let i = 0; i < slots.length; i++) {
        const s = slots[i]
        slots[i] = null
        this.c.rpc.unregister(this.name(gi, i))
        if (s) await s.kill()
      }
    }
  }
}
