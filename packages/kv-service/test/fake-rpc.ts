/**
 * FakeRpc: a scripted KvRpcNetwork for KvClient's tests. It records every call (target,
 * request, simulated time); `script` decides each answer: a reply after 1 ms, 'timeout' (a
 * TimeoutError once the attempt's timeout has passed) or an Error to reject with at once.
 */
import type { SimulatedClock } from '@raftkit/raft-core'
import { TimeoutError, createRng } from '@raftkit/raft-core'
import type { KvReply, KvRequest, KvRpcNetwork } from '../src/index.js'
import { KvClient } from '../src/index.js'

export type ClerkOptions = Partial<ConstructorParameters<typeof KvClient>[0]>

/** The clerk the client specs use: servers a, b, c (with rng seed 1 its list starts at 'a'). */
export function clerk(
  clock: SimulatedClock,
  rpc: KvRpcNetwork,
  extra: ClerkOptions = {},
): KvClient {
  return new KvClient({
    servers: ['a', 'b', 'c'],
    rpc,
    clock,
    rng: createRng(1),
    clientId: 'ck',
    ...extra,
  })
}

export type Script = (to: string, request: KvRequest, n: number) => KvReply | 'timeout' | Error

export interface RecordedCall {
  readonly to: string
  readonly request: KvRequest
  /** clock.now() when the call was made. */
  readonly at: number
  /** The attempt's timeout the clerk gave. */
  readonly timeoutMs: number
}

export class FakeRpc implements KvRpcNetwork {
  readonly calls: RecordedCall[] = []
  constructor(
    private readonly clock: SimulatedClock,
    public script: Script,
  ) {}
  async call(_from: string, to: string, request: KvRequest, timeoutMs: number): Promise<KvReply> {
    this.calls.push({ to, request, at: this.clock.now(), timeoutMs })
    const answer = this.script(to, request, this.calls.length)
    if (answer instanceof Error) throw answer
    await this.clock.sleep(answer === 'timeout' ? timeoutMs : 1)
    if (answer === 'timeout') throw new TimeoutError()
    return answer
  }
  writes(): RecordedCall[] {
    return this.calls.filter((c) => c.request.type === 'put' || c.request.type === 'append')
  }
}

export const OK: KvReply = { ok: true, value: '' }

export const wrong = (leaderHint: string | null): KvReply => ({
  ok: false,
  error: 'WRONG_LEADER',
  leaderHint,
})

/** Settles `p` into its value or its error (for asserting on rejections). */
export const outcome = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    (v) => v,
    (e: unknown) => e,
  )
