/**
 * One replica of a replica group. It answers clerks' get/put/append for the shards its group
 * serves, and the leader drives reconfiguration through the group's own log:
 * - polls the controller for the next configuration (only when every shard is settled) and
 *   proposes it, so configurations are applied one at a time, in order;
 * - pulls each incoming shard (data + sessions) from the group that owned it in the previous
 *   configuration and proposes the install;
 * - tells the previous owner to delete shards it installed (the old owner deletes through its
 *   own log), then proposes that the shard is settled.
 * Any replica answers a pull for data it holds frozen (identical on every replica that applied
 * the configuration). A new leader proposes a noop so entries of earlier terms commit.
 */
import type { Clock, Logger, Rng, StorageSize, TimerHandle } from '@raftkit/raft-core'
import { createRng, silentLogger } from '@raftkit/raft-core'
import type { Gid } from '../common.js'
import { serversOf } from '../common.js'
import { CtrlerClient } from '../ctrler/client.js'
import type { ReplicaRaft } from '../replica.js'
import { Replica } from '../replica.js'
import type { ShardRpc } from '../rpc.js'
import type { ShardKvCommand, ShardKvReply, ShardKvRequest } from './commands.js'
import { BadShardKvRequest, encodeShardKvCommand, validateShardKvRequest } from './commands.js'
import type { ShardKvResult } from './state-machine.js'
import { ShardKvStateMachine } from './state-machine.js'

export interface ShardKvServerOptions {
  readonly gid: Gid
  /** This replica's endpoint name (as listed in the controller's configurations). */
  readonly name: string
  readonly raft: ReplicaRaft & { getState(): { term: number; isLeader: boolean } }
  readonly clock: Clock
  readonly rpc: ShardRpc
  /** Endpoint names of the controller replicas. */
  readonly ctrlers: readonly string[]
  /** Snapshot threshold in bytes of persisted Raft state; -1: never. */
  readonly maxRaftState: number
  readonly storageSize: () => StorageSize
  readonly rng?: Rng
  /** How often the leader polls the controller and drives migrations. @default 100 ms */
  readonly pollMs?: number
  /** Per-shard session expiry, in entries of the group's log (state-machine.ts). @default 10 000 */
  readonly sessionExpiryEntries?: number
  readonly logger?: Logger
}

const MIGRATION_RPC_TIMEOUT_MS = 500

export class ShardKvServer {
  readonly gid: Gid
  readonly name: string
  readonly stateMachine: ShardKvStateMachine
  private readonly replica: Replica<ShardKvResult>
  private readonly o: ShardKvServerOptions
  private readonly ctrler: CtrlerClient
  private timer: TimerHandle | undefined
  private busy = new Set<string>()
  private noopTerm = -1
  private stopped = false

  constructor(options: ShardKvServerOptions) {
    this.o = options
    this.gid = options.gid
    this.name = options.name
    this.stateMachine = new ShardKvStateMachine(
      options.gid,
      options.sessionExpiryEntries === undefined
        ? {}
        : { sessionExpiryEntries: options.sessionExpiryEntries },
    )
    this.replica = new Replica({
      raft: options.raft,
      stateMachine: this.stateMachine,
      clock: options.clock,
      maxRaftState: options.maxRaftState,
      storageSize: options.storageSize,
      logger: options.logger ?? silentLogger,
    })
    this.ctrler = new CtrlerClient({
      rpc: options.rpc,
      servers: options.ctrlers,
      clock: options.clock,
      name: options.name,
      rng: options.rng ?? createRng(options.gid),
    })
    this.arm()
  }

  isLeader(): boolean {
    return this.replica.isLeader()
  }

  async handle(raw: unknown): Promise<ShardKvReply> {
    if (this.stopped) return { ok: false, error: 'STOPPED' }
    let req: ShardKvRequest
    try {
      req = validateShardKvRequest(raw)
    } catch (e) {
      if (e instanceof BadShardKvRequest)
        return { ok: false, error: 'BAD_REQUEST', message: e.message }
      throw e
    }
    switch (req.type) {
      case 'op': {
        // Only the leader's view counts: a lagging follower may not serve the shard yet.
        if (!this.replica.isLeader()) return { ok: false, error: 'WRONG_LEADER' }
        if (!this.stateMachine.serves(req.key)) return { ok: false, error: 'WRONG_GROUP' }
        const { type: _t, ...rest } = req
        return this.submit({ t: 'op', ...rest })
      }
      case 'pull': {
        const cur = this.stateMachine.config.num
        if (cur < req.num) return { ok: false, error: 'NOT_READY' }
        const shards = this.stateMachine.export(req.num, req.shards)
        if (!shards) return { ok: false, error: 'NOT_READY' }
        return { ok: true, shards }
      }
      case 'delete': {
        const cur = this.stateMachine.config.num
        if (cur > req.num) return { ok: true }
        if (cur < req.num) return { ok: false, error: 'NOT_READY' }
        return this.submit({ t: 'delete', num: req.num, shards: req.shards })
      }
    }
  }

  async kill(): Promise<void> {
    this.stopped = true
    this.ctrler.close()
    this.o.clock.clearTimeout(this.timer)
    this.timer = undefined
    await this.replica.kill()
  }

  private async submit(cmd: ShardKvCommand): Promise<ShardKvReply> {
    const outcome = await this.replica.submit(encodeShardKvCommand(cmd))
    if (!outcome.ok) return { ok: false, error: outcome.error }
    const r = outcome.result
    switch (r.status) {
      case 'ok':
        return { ok: true, value: r.value }
      case 'ignored':
        return { ok: true }
      case 'wrong-group':
        return { ok: false, error: 'WRONG_GROUP' }
      case 'conflict':
        return { ok: false, error: 'CONFLICT', message: r.message }
      case 'session-expired':
        return { ok: false, error: 'SESSION_EXPIRED' }
      case 'malformed':
        return { ok: false, error: 'BAD_REQUEST', message: r.message }
    }
  }

  // --- the leader's background work ----------------------------------------------------------

  private arm(): void {
    if (this.stopped) return
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined
      this.tick()
      this.arm()
    }, this.o.pollMs ?? 100)
  }

  private tick(): void {
    if (this.stopped) return
    const { term, isLeader } = this.o.raft.getState()
    if (!isLeader) return
    if (term !== this.noopTerm) {
      this.noopTerm = term
      void this.submit({ t: 'noop' })
    }
    this.once('config', () => this.pollConfig())
    const sm = this.stateMachine
    const num = sm.config.num
    // One shard per pull: a migration message carries at most one shard (the RPC's bound).
    for (const [gid, shards] of this.bySource(sm.shardsIn('pulling')))
      for (const s of shards) this.once(`pull/${num}/${s}`, () => this.pull(num, gid, [s]))
    for (const [gid, shards] of this.bySource(sm.shardsIn('gc')))
      this.once(`gc/${num}/${gid}`, () => this.collect(num, gid, shards))
  }

  /** Runs `fn` unless a task with this key is still running. */
  private once(key: string, fn: () => Promise<void>): void {
    if (this.busy.has(key)) return
    this.busy.add(key)
    fn()
      .catch((e: unknown) =>
        this.o.logger?.warn('background task failed', { key, error: String(e) }),
      )
      .finally(() => this.busy.delete(key))
  }

  /** Shards grouped by their owner in the previous configuration, ascending gid. */
  private bySource(shards: readonly number[]): Array<[Gid, number[]]> {
    const prev = this.stateMachine.previous
    const m = new Map<Gid, number[]>()
    for (const s of shards) {
      const g = prev.shards[s] as Gid
      m.set(g, [...(m.get(g) ?? []), s])
    }
    return [...m].sort((a, b) => a[0] - b[0])
  }

  private async pollConfig(): Promise<void> {
    const sm = this.stateMachine
    if (!sm.steady()) return
    const want = sm.config.num + 1
    const next = await this.ctrler.tryQuery(want)
    if (!next || next.num !== want || this.stopped) return
    if (sm.config.num + 1 !== want || !sm.steady()) return
    await this.submit({ t: 'config', config: next })
  }

  private async pull(num: number, gid: Gid, shards: number[]): Promise<void> {
    const servers = serversOf(this.stateMachine.previous, gid)
    for (const server of servers) {
      if (this.stopped || this.stateMachine.config.num !== num) return
      let reply: ShardKvReply
      try {
        reply = (await this.o.rpc.call(
          this.name,
          server,
          { type: 'pull', num, shards },
          MIGRATION_RPC_TIMEOUT_MS,
        )) as ShardKvReply
      } catch (e) {
        // A shard over the RPC's reply bound cannot move: say so (it is retried every poll).
        if (e instanceof Error && e.name === 'ShardRpcTooLargeError')
          this.o.logger?.error('shard too large to migrate', { num, shards, error: e.message })
        continue
      }
      if (reply.ok && Array.isArray(reply.shards)) {
        await this.submit({ t: 'install', num, shards: reply.shards })
        return
      }
    }
  }

  private async collect(num: number, gid: Gid, shards: number[]): Promise<void> {
    const servers = serversOf(this.stateMachine.previous, gid)
    for (const server of servers) {
      if (this.stopped || this.stateMachine.config.num !== num) return
      let reply: ShardKvReply
      try {
        reply = (await this.o.rpc.call(
          this.name,
          server,
          { type: 'delete', num, shards },
          MIGRATION_RPC_TIMEOUT_MS,
        )) as ShardKvReply
      } catch {
        continue
      }
      if (reply.ok) {
        await this.submit({ t: 'gcdone', num, shards })
        return
      }
    }
  }
}
