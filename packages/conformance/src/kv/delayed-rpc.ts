/**
 * A clerk-side KvRpcNetwork that adds a one-way latency, drawn uniformly from
 * [minMs, maxMs] by a seeded Rng, to each request and each reply, on the harness's clock. Under a SimulatedClock the reliable in-process networks deliver in
 * zero simulated time, so a clerk looping on operations would never let simulated time move;
 * this latency stands in for the time a real request takes. With latency 0 (the real clock)
 * calls go straight through.
 */
import { StoppedError } from '@raftkit/raft-core'
import type { Clock, Rng, TimerHandle } from '@raftkit/raft-core'
import type { KvReply, KvRequest, KvRpcNetwork } from '@raftkit/kv-service'

/** One-way latency bounds in ms (both inclusive). */
export interface RpcLatency {
  readonly minMs: number
  readonly maxMs: number
}

export const NO_LATENCY: RpcLatency = Object.freeze({ minMs: 0, maxMs: 0 })

export class DelayedKvRpc implements KvRpcNetwork {
  private readonly waits = new Map<TimerHandle, (error: Error | null) => void>()
  private closed = false

  constructor(
    private readonly inner: KvRpcNetwork,
    private readonly clock: Clock,
    readonly latency: RpcLatency,
    private readonly rng: Rng,
  ) {
    const { minMs, maxMs } = latency
    if (!Number.isSafeInteger(minMs) || minMs < 0 || !Number.isSafeInteger(maxMs) || maxMs < minMs)
      throw new RangeError(
        `latency must be integers 0 <= minMs <= maxMs, got ${String(minMs)}..${String(maxMs)}`,
      )
  }

  async call(from: string, to: string, request: KvRequest, timeoutMs: number): Promise<KvReply> {
    if (this.latency.maxMs === 0) return this.inner.call(from, to, request, timeoutMs)
    await this.delay()
    const reply = await this.inner.call(from, to, request, timeoutMs)
    await this.delay()
    return reply
  }

  /** Ends every pending delay with StoppedError and clears its timer. */
  close(): void {
    this.closed = true
    for (const [handle, settle] of [...this.waits]) {
      this.clock.clearTimeout(handle)
      settle(new StoppedError('the rpc network is closed'))
    }
    this.waits.clear()
  }

  private delay(): Promise<void> {
    if (this.closed) return Promise.reject(new StoppedError('the rpc network is closed'))
    return new Promise<void>((resolve, reject) => {
      const { minMs, maxMs } = this.latency
      const ms = minMs + this.rng.int(maxMs - minMs + 1)
      const handle = this.clock.setTimeout(() => settle(null), ms)
      const settle = (error: Error | null): void => {
        this.waits.delete(handle)
        if (error) reject(error)
        else resolve()
      }
      this.waits.set(handle, settle)
    })
  }
}
