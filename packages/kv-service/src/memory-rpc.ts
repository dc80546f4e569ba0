/**
 * An in-process KvRpcNetwork with the lab's fault model, shared with the Raft networks
 * (raft-core's `Reachability` and `planDelivery`, the labrpc values): connect / disconnect,
 * partitions (only endpoints in the same group can talk; an endpoint in no group is isolated
 * while a partition is in force — list clerks in a group, or leave partitions to the Raft
 * network and restrict clerks with `setLinks`), per-clerk links, and an unreliable mode that
 * delays every request and every reply by 0–26 ms and drops 10 % of requests and 10 % of
 * replies. A lost request or reply makes the caller wait for its own timeout. A call to a
 * disconnected, unreachable or killed server fails after a random 0–99 ms; a call whose server
 * dies or becomes unreachable while the handler runs fails within 0–99 ms and its reply is
 * discarded (the handler may still have changed state, which is why clerks need at-most-once
 * sessions).
 *
 * Deterministic: every random choice comes from its own seeded Rng and every delay from the
 * injected Clock, so a run under SimulatedClock replays from its seed. Requests and replies
 * are copied through msgpack, so caller and handler never share objects.
 */
import type { Clock, FaultModes, Rng, TimerHandle } from '@raftkit/raft-core'
import {
  Reachability,
  StoppedError,
  TimeoutError,
  createRng,
  packValue,
  planDelivery,
  unpackValue,
} from '@raftkit/raft-core'
import type { KvHandler, KvReply, KvRequest, KvRpcNetwork } from './rpc.js'
import { validateReply, validateRequest } from './rpc.js'

export interface MemoryKvRpcOptions {
  readonly seed: number
  readonly clock: Clock
}

export interface MemoryKvRpcStats {
  /** Every call made, including dropped and undeliverable ones. */
  readonly rpcs: number
  /** Bytes of every request plus every reply delivered. */
  readonly bytes: number
  /** Per server: requests handed to its current handler (restarts reset it). */
  readonly delivered: Readonly<Record<string, number>>
}

/** Calls that cannot reach their server fail after a uniform 0..99 ms (labrpc's short failure). */
const UNREACHABLE_MAX_MS = 100

interface Server {
  readonly handler: KvHandler
  delivered: number
}

class InFlight {
  settled = false
  /** The server incarnation that received the request, once delivered. */
  server: Server | undefined
  /** A failure is already scheduled (the target died or became unreachable). */
  dying = false
  private readonly timers = new Set<TimerHandle>()

  constructor(
    readonly from: string,
    readonly to: string,
    readonly bytes: Uint8Array,
    private readonly clock: Clock,
    private readonly resolve: (reply: KvReply) => void,
    private readonly reject: (err: Error) => void,
    private readonly done: (call: InFlight) => void,
  ) {}

  after(ms: number, fn: () => void): void {
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle)
      if (!this.settled) fn()
    }, ms)
    this.timers.add(handle)
  }

  succeed(reply: KvReply): void {
    if (this.finish()) this.resolve(reply)
  }

  fail(err: Error): void {
    if (this.finish()) this.reject(err)
  }

  private finish(): boolean {
    if (this.settled) return false
    this.settled = true
    for (const t of this.timers) this.clock.clearTimeout(t)
    this.timers.clear()
    this.done(this)
    return true
  }
}

export class MemoryKvRpc implements KvRpcNetwork {
  private readonly clock: Clock
  private readonly rng: Rng
  private readonly servers = new Map<string, Server>()
  private readonly reach = new Reachability()
  private readonly links = new Map<string, ReadonlySet<string>>()
  private readonly inFlight = new Set<InFlight>()
  private reliable = true
  private closed = false
  private rpcs = 0
  private bytes = 0

  constructor(options: MemoryKvRpcOptions) {
    this.clock = options.clock
    this.rng = createRng(options.seed)
  }

  /** Installs (or, for a restarted server, replaces) the handler of server `name`. */
  register(name: string, handler: KvHandler): void {
    this.servers.set(name, { handler, delivered: 0 })
    this.sweep()
  }

  /** Kills server `name`: new calls fail as unreachable; replies of running handlers are discarded. */
  unregister(name: string): void {
    this.servers.delete(name)
    this.sweep()
  }

  connect(name: string): void {
    this.reach.connect(name)
  }

  disconnect(name: string): void {
    this.reach.disconnect(name)
    this.sweep()
  }

  /**
   * Only endpoints in the same group can talk; an endpoint in no group is isolated until
   * heal() (raft-core's `Reachability` rule, as on the Raft networks).
   */
  partition(groups: ReadonlyArray<readonly string[]>): void {
    this.reach.partition(groups)
    this.sweep()
  }

  /** Removes partitions and disconnections (clerk links set with `setLinks` stay). */
  heal(): void {
    this.reach.heal()
  }

  /** Lets clerk `from` reach only the servers in `to` (null: every server again). */
  setLinks(from: string, to: readonly string[] | null): void {
    if (to === null) this.links.delete(from)
    else this.links.set(from, new Set(to))
    this.sweep()
  }

  setReliable(reliable: boolean): void {
    this.reliable = reliable
  }

  stats(): MemoryKvRpcStats {
    const delivered: Record<string, number> = {}
    for (const [name, s] of this.servers) delivered[name] = s.delivered
    return { rpcs: this.rpcs, bytes: this.bytes, delivered }
  }

  call(from: string, to: string, request: KvRequest, timeoutMs: number): Promise<KvReply> {
    if (this.closed) return Promise.reject(new StoppedError('the rpc network is closed'))
    const bytes = packValue(request) // copied at call time, like labrpc
    this.rpcs++
    this.bytes += bytes.length
    return new Promise<KvReply>((resolve, reject) => {
      const call = new InFlight(from, to, bytes, this.clock, resolve, reject, (c) =>
        this.inFlight.delete(c),
      )
      this.inFlight.add(call)
      call.after(timeoutMs, () =>
        call.fail(new TimeoutError(`no reply from ${to} within ${timeoutMs} ms`)),
      )
      if (!this.reachable(from, to)) {
        this.failSoon(call)
        return
      }
      const plan = planDelivery(this.rng, this.modes(), true)
      if (plan.drop) return // request lost: the caller times out
      call.after(plan.delayMs, () => this.deliver(call))
    })
  }

  /** Fails every call in flight with StoppedError and clears every timer. */
  async close(): Promise<void> {
    this.closed = true
    for (const call of [...this.inFlight]) call.fail(new StoppedError('the rpc network is closed'))
  }

  private deliver(call: InFlight): void {
    const server = this.servers.get(call.to)
    if (!server || !this.reachable(call.from, call.to)) {
      this.failSoon(call)
      return
    }
    call.server = server
    server.delivered++
    let request: KvRequest
    try {
      request = validateRequest(unpackValue(call.bytes))
    } catch (e) {
      call.fail(e as Error)
      return
    }
    server.handler(request).then(
      (reply) => this.reply(call, reply),
      () => undefined, // a handler that throws gives no reply: the caller times out
    )
  }

  private reply(call: InFlight, reply: KvReply): void {
    if (call.settled) return
    if (!this.alive(call)) {
      this.failSoon(call)
      return
    }
    const plan = planDelivery(this.rng, this.modes(), false)
    if (plan.drop) return // reply lost
    const bytes = packValue(reply)
    this.bytes += bytes.length
    const deliver = (): void => call.succeed(validateReply(unpackValue(bytes)))
    if (plan.delayMs === 0) deliver()
    else call.after(plan.delayMs, deliver)
  }

  private modes(): FaultModes {
    return { reliable: this.reliable, longReordering: false }
  }

  private reachable(from: string, to: string): boolean {
    if (!this.servers.has(to) || !this.reach.canReach(from, to)) return false
    const allowed = this.links.get(from)
    return allowed === undefined || allowed.has(to)
  }

  /** A delivered call is alive while the same server incarnation is reachable from the caller. */
  private alive(call: InFlight): boolean {
    return this.servers.get(call.to) === call.server && this.reachable(call.from, call.to)
  }

  private failSoon(call: InFlight): void {
    if (call.dying) return
    call.dying = true
    call.after(this.rng.int(UNREACHABLE_MAX_MS), () =>
      call.fail(new TimeoutError(`server ${call.to} is unreachable or down`)),
    )
  }

  /** After a topology change: calls whose handler is running on a now-dead target fail soon. */
  private sweep(): void {
    for (const call of this.inFlight) if (call.server && !this.alive(call)) this.failSoon(call)
  }
}

export function createMemoryKvRpc(options: MemoryKvRpcOptions): MemoryKvRpc {
  return new MemoryKvRpc(options)
}
