/**
 * How clerks, controller replicas and replica groups talk: request/response calls between named
 * endpoints ("ctrler-0", "server-101-2"). `MemoryShardRpc` is the in-process network with the
 * lab's fault model (labrpc): reliable, or unreliable (every request delayed 0–26 ms, 10 % of
 * requests and 10 % of replies lost); a call to an endpoint that is not registered (a server
 * shut down) fails after 0–99 ms; a lost request or reply makes the caller wait for its own
 * timeout. Requests and replies are copied through msgpack, so caller and handler never share
 * objects. Deterministic under a SimulatedClock: every random choice comes from the seeded Rng.
 */
import type { Clock, Rng } from '@raftkit/raft-core'
import { TimeoutError, createRng, packValue, unpackValue } from '@raftkit/raft-core'

/** A server's request handler. It validates what it receives: the network carries any value. */
export type ShardRpcHandler = (request: unknown) => Promise<unknown>

export interface ShardRpc {
  /**
   * Sends `request` from `from` to `to`. Resolves with the reply; rejects with TimeoutError
   * when no reply came back in `timeoutMs` (the request may or may not have run).
   */
  call(from: string, to: string, request: unknown, timeoutMs: number): Promise<unknown>
}

export interface MemoryShardRpcOptions {
  readonly clock: Clock
  readonly seed: number
  /** One-way latency added to every message, uniform in [min, max] ms. @default [1, 3] */
  readonly latencyMs?: readonly [number, number]
}

const DROP_PER_MILLE = 100
const MAX_UNRELIABLE_DELAY_MS = 27
const UNREACHABLE_MAX_MS = 100

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
      const timer = this.clock.setTimeout(() => {
        if (settled) return
        settled = true
        reject(new TimeoutError(`no reply from ${to} within ${timeoutMs} ms`))
      }, timeoutMs)
      const settle = (fn: () => void): void => {
        if (settled) return
        settled = true
        this.clock.clearTimeout(timer)
        fn()
      }
      const handler = this.handlers.get(to)
      if (!handler) {
        this.clock.setTimeout(
          () => settle(() => reject(new TimeoutError(`${to} is unreachable`))),
          this.rng.int(UNREACHABLE_MAX_MS),
        )
        return
      }
      if (!this.reliable && this.rng.int(1000) < DROP_PER_MILLE) return
      this.clock.setTimeout(() => {
        // The handler that was registered when the request arrived (a restarted server is another).
        const h = this.handlers.get(to)
        if (!h) {
          settle(() => reject(new TimeoutError(`${to} is unreachable`)))
          return
        }
        h(unpackValue(bytes)).then(
          (reply) => {
            if (this.handlers.get(to) !== h) return // died meanwhile: the reply is lost
            if (!this.reliable && this.rng.int(1000) < DROP_PER_MILLE) return
            const out = packValue(reply)
            this.clock.setTimeout(() => settle(() => resolve(unpackValue(out))), this.delay())
          },
          () => undefined, // a handler failure is a lost reply
        )
      }, this.delay())
    })
  }

  private delay(): number {
    const [lo, hi] = this.latency
    const base = lo + this.rng.int(hi - lo + 1)
    return this.reliable ? base : base + this.rng.int(MAX_UNRELIABLE_DELAY_MS)
  }
}
