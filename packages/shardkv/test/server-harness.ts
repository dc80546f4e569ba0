/**
 * Test doubles for the servers' rules (shardkv-server-rules, ctrler-server-rules): a one-node
 * Raft log that applies what it is given in order (or holds it until `flush()`), a scripted
 * ShardRpc that records every call, and a logger that records what it is told. Everything runs
 * under a SimulatedClock, so a test is a pure function of its steps.
 */
import type { ApplyMsg, Clock, LogFields, Logger } from '@raftkit/raft-core'
import { NSHARDS, decodeShardKvCommand } from '../src/index.js'
import type { ReadableReplicaRaft, ShardConfig, ShardKvCommand, ShardRpc } from '../src/index.js'

/**
 * A Raft of one node: entries apply in index order, at once or when `flush()` is called.
 * `readIndex()` answers the last index appended. `decode` reads the entries (`entries`).
 */
export class LogRaft<C = ShardKvCommand> implements ReadableReplicaRaft {
  term = 1
  leader = true
  /** While true, appended entries wait for `flush()`. */
  held = false
  killed = false
  /** When set, snapshot() rejects with it. */
  snapshotError: Error | null = null
  /** Every entry appended, decoded. */
  readonly entries: C[] = []
  private pending: ApplyMsg[] = []
  private handler: ((msg: ApplyMsg) => void | Promise<void>) | undefined

  constructor(
    private readonly decode: (bytes: Uint8Array) => C = decodeShardKvCommand as (
      bytes: Uint8Array,
    ) => C,
  ) {}

  start(command: Uint8Array): { index: number; term: number; isLeader: boolean } {
    if (!this.leader) return { index: -1, term: this.term, isLeader: false }
    this.entries.push(this.decode(command))
    const index = this.entries.length
    this.pending.push({ kind: 'command', index, term: this.term, command })
    if (!this.held) queueMicrotask(() => this.flush())
    return { index, term: this.term, isLeader: true }
  }

  /** Applies every entry appended and not applied yet. */
  flush(): void {
    const batch = this.pending
    this.pending = []
    for (const msg of batch) void this.handler?.(msg)
  }

  getState(): { term: number; isLeader: boolean } {
    return { term: this.term, isLeader: this.leader }
  }

  readIndex(): Promise<number> {
    return this.leader ? Promise.resolve(this.entries.length) : Promise.reject(new Error('deposed'))
  }

  onApply(handler: (msg: ApplyMsg) => void | Promise<void>): void {
    this.handler = handler
  }

  snapshot(): Promise<void> {
    return this.snapshotError ? Promise.reject(this.snapshotError) : Promise.resolve()
  }

  kill(): Promise<void> {
    this.killed = true
    return Promise.resolve()
  }

  /** The entries of one kind (of a replica group's log). */
  of<T extends ShardKvCommand['t']>(t: T): Array<Extract<ShardKvCommand, { t: T }>> {
    return (this.entries as unknown as ShardKvCommand[]).filter(
      (e): e is Extract<ShardKvCommand, { t: T }> => e.t === t,
    )
  }
}

export interface Call {
  readonly at: number
  readonly to: string
  readonly request: Record<string, unknown>
}

/**
 * An answer: a reply, an Error to reject with, or `{ delay, answer }` (one of those after
 * `delay` ms).
 */
export type Answer = unknown

/**
 * A ShardRpc answering from `script(to, request)`; every call is recorded. The controller's
 * replica "ctrler-0" answers Query from `configs` (num -1 or past the end: the latest) unless
 * `configs` is empty (then `script` answers it too).
 */
export class ScriptedRpc implements ShardRpc {
  readonly calls: Call[] = []
  configs: ShardConfig[] = []
  /** While true, the controller's replica fails every call. */
  ctrlerDown = false
  /** Called at each call, before it is answered. */
  onCall: ((call: Call) => void) | undefined

  constructor(
    private readonly clock: Clock,
    public script: (to: string, request: Record<string, unknown>) => Answer = () =>
      new Error('no answer'),
  ) {}

  async call(_from: string, to: string, request: unknown): Promise<unknown> {
    const req = request as Record<string, unknown>
    const call = { at: this.clock.now(), to, request: req }
    this.calls.push(call)
    this.onCall?.(call)
    if (to === 'ctrler-0' && this.ctrlerDown) throw new Error('controller unreachable')
    if (to === 'ctrler-0' && this.configs.length > 0) {
      const num = req.num as number
      const latest = this.configs.length - 1
      return { ok: true, config: this.configs[num < 0 || num > latest ? latest : num] }
    }
    let a = this.script(to, req)
    if (a !== null && typeof a === 'object' && 'delay' in a && 'answer' in a) {
      await this.clock.sleep(a.delay as number)
      a = a.answer
    }
    if (a instanceof Error) throw a
    return a
  }

  /** Calls to group servers (not the controller) of a request type. */
  to(type: string): Call[] {
    return this.calls.filter((c) => c.to !== 'ctrler-0' && c.request.type === type)
  }

  queries(): number {
    return this.calls.filter((c) => c.to === 'ctrler-0').length
  }
}

/** A Logger that keeps every line. */
export class RecordingLogger implements Logger {
  readonly lines: Array<{ level: string; msg: string; fields: LogFields | undefined }> = []
  debug(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'debug', msg, fields })
  }
  info(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'info', msg, fields })
  }
  warn(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'warn', msg, fields })
  }
  error(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'error', msg, fields })
  }
}

/** A configuration: shard i to `shards[i]`, each gid served by `server-<gid>-0` and `-1`. */
export function config(num: number, shards: readonly number[]): ShardConfig {
  const gids = [...new Set(shards)].filter((g) => g !== 0).sort((a, b) => a - b)
  return {
    num,
    shards: [...shards],
    groups: gids.map((g) => [g, [`server-${g}-0`, `server-${g}-1`]] as const),
  }
}

/** Every shard on `gid`. */
export const all = (gid: number): number[] => new Array<number>(NSHARDS).fill(gid)
