/**
 * How clerks, controller replicas and replica groups talk: request/response calls between named
 * endpoints ("ctrler-0", "server-101-2"). `MemoryShardRpc` is the in-process network with the
 * lab's fault model (labrpc): reliable, or unreliable (every request delayed 0–26 ms, 10 % of
 * requests and 10 % of replies lost); a call to an endpoint that is not registered (a server
 * shut down) fails after 0–99 ms, and one whose server dies while handling it within 100 ms.
 * Requests and replies are copied through msgpack, so caller and handler never share
 * objects. Deterministic under a SimulatedClock: every random choice comes from the seeded Rng.
 *
 * As in labrpc, a lost request or reply fails the call at once (RpcLostError) rather than after
 * the caller's timeout: the caller learns "no reply" quickly and may try another server, and the
 * request may still have run (a lost reply), which is why clerks need at-most-once sessions.
 * `timeoutMs` bounds a handler that takes too long.
 */
import type { Clock, Rng, TimerHandle } from '@raftkit/raft-core'
import { TimeoutError, createRng, packValue, unpackValue } from '@raftkit/raft-core'
import { TlsError } from '@raftkit/kv-service'
import { ShardRpcAuthError } from './net/rpc-protocol.js'

/** A server's request handler. It validates what it receives: the network carries any value. */
export type ShardRpcHandler = (request: unknown) => Promise<unknown>

export interface ShardRpc {
  /**
   * Sends `request` from `from` to `to`. Resolves with the reply; rejects (RpcLostError, or
   * TimeoutError after `timeoutMs`) when no reply comes back — the request may or may not have run.
   */
  call(from: string, to: string, request: unknown, timeoutMs: number): Promise<unknown>
}

export interface MemoryShardRpcOptions {
  readonly clock: Clock
  readonly seed: number
  /** One-way latency added to every message, uniform in [min, max] ms. @default [1, 3] */
  readonly latencyMs?: readonly [number, number]
}

/**
 * A call failure that retrying does not fix: the node refused the cluster secret, or the TLS
 * setup is wrong (an untrusted or misnamed certificate, a node that does not speak TLS). A
 * clerk whose every server fails like this stops and throws it instead of retrying until its
 * deadline.
 */
export function isPermanentRpcFailure(e: unknown): e is Error {
  return e instanceof ShardRpcAuthError || e instanceof TlsError
}

const DROP_PER_MILLE = 100
const MAX_UNRELIABLE_DELAY_MS = 27
const UNREACHABLE_MAX_MS = 100
/** How often a call checks whether its server died while the handler runs (labrpc: 100 ms). */
const DEAD_POLL_MS = 100

/**
 * No reply will come: the request or the reply was lost, or the server is dead or unreachable
 * (labrpc's `false`). The request may or may not have run.
 */
export class RpcLostError extends Error {
  override readonly name = 'RpcLostError'
  constructor(
    readonly to: string,
    readonly why: string,
  ) {
    super(`call to ${to} failed: ${why}`)
  }
}

export class MemoryShardRpc implements ShardRpc {
  private readonly handlers = new Map<string, ShardRpcHandler>()
  private readonly clock: Clock
  private readonly rng: Rng
  private readonly latency: readonly [number, number]
  private reliable = true
  private calls = 0

  constructor(options: MemoryShardRpcOptions) {
    this.clock = options.clock
    this.rng = createRng(options.seed ^ 0x5eed)
    this.latency = options.latencyMs ?? [1, 3]
  }

  /** Installs (or replaces) the handler of endpoint `name`. */
  register(name: string, handler: ShardRpcHandler): void {
    this.handlers.set(name, handler)
  }

  /** Removes endpoint `name`: calls to it fail as to a dead server. */
  unregister(name: string): void {
    this.handlers.delete(name)
  }

  setReliable(reliable: boolean): void {
    this.reliable = reliable
  }

  /** Calls made so far. */
  count(): number {
    return this.calls
  }

  call(_from: string, to: string, request: unknown, timeoutMs: number): Promise<unknown> {
    this.calls++
    const bytes = packValue(request)
    return new Promise<unknown>((resolve, reject) => {
      let settled = false
      const timers: TimerHandle[] = []
      const after = (ms: number, fn: () => void): void => {
        timers.push(this.clock.setTimeout(fn, ms))
      }
      const settle = (fn: () => void): void => {
        if (settled) return
        settled = true
        for (const t of timers) this.clock.clearTimeout(t)
        fn()
      }
      const lost = (why: string) => () => settle(() => reject(new RpcLostError(to, why)))
      after(timeoutMs, () =>
        settle(() => reject(new TimeoutError(`no reply from ${to} within ${timeoutMs} ms`))),
      )
      if (!this.handlers.has(to)) {
        after(this.rng.int(UNREACHABLE_MAX_MS), lost('unreachable'))
        return
      }
      after(this.delay(), () => {
        if (!this.reliable && this.rng.int(1000) < DROP_PER_MILLE) {
          lost('request lost')()
          return
        }
        // The handler registered when the request arrives; a restarted server is another one.
        const h = this.handlers.get(to)
        if (!h) {
          lost('unreachable')()
          return
        }
        const dead = (): boolean => this.handlers.get(to) !== h
        const poll = (): void => {
          if (settled) return
          if (dead()) lost('server died')()
          else after(DEAD_POLL_MS, poll)
        }
        after(DEAD_POLL_MS, poll)
        h(unpackValue(bytes)).then((reply) => {
          if (settled) return
          if (dead()) return lost('server died')()
          if (!this.reliable && this.rng.int(1000) < DROP_PER_MILLE) return lost('reply lost')()
          const out = packValue(reply)
          after(this.delay(), () => settle(() => resolve(unpackValue(out))))
        }, lost('handler failed'))
      })
    })
  }

  private delay(): number {
    const [lo, hi] = this.latency
    const base = lo + this.rng.int(hi - lo + 1)
    return this.reliable ? base : base + this.rng.int(MAX_UNRELIABLE_DELAY_MS)
  }
}
