/**
 * A history recorder for long chaos runs: the same begin / end / unknown calls as the
 * linearizability package's HistoryRecorder, but the finished operations are kept per key in
 * columns (call and return times in arrays of doubles, client and operation as small integers,
 * one string: the written value, or the value a get read) instead of one object graph per
 * operation. A 60-minute soak records ~6.7 M operations: as objects (~520 bytes each) they
 * filled V8's default 4 GB heap before the check could finish (TESTING.md, session 19); in
 * columns they take ~30 bytes plus the value's string. `operationsOf(key)` builds the objects
 * the checker wants one key at a time (check.ts), so only one key's are alive at once.
 */
import type { KvInput, KvOp, KvOutput, Operation, TimeSource } from '@raftkit/linearizability'
import { RecorderMisuseError } from '@raftkit/linearizability'

/** Operation codes in the columns. */
const OPS: readonly KvOp[] = ['get', 'put', 'append']
const OP_CODE: Readonly<Record<KvOp, number>> = { get: 0, put: 1, append: 2 }

/** Anything that records KV operations as they run (HistoryRecorder, CompactKvRecorder). */
export interface KvRecorder<T = unknown> {
  begin(clientId: string, input: KvInput): T
  end(token: T, output: KvOutput): void
  unknown(token: T): void
}

interface KeyColumns {
  readonly call: number[]
  /** Infinity: the outcome is unknown. */
  readonly ret: number[]
  readonly client: number[]
  readonly op: number[]
  /** put/append: the value written; get: the value read (undefined: unknown outcome). */
  readonly value: (string | undefined)[]
  /** The value the latest get of this key read: equal reads share one string. */
  lastRead: string | undefined
}

interface InFlight {
  readonly client: number
  readonly input: KvInput
  readonly call: number
}

export class CompactKvRecorder implements KvRecorder<number> {
  private readonly keys = new Map<string, KeyColumns>()
  private readonly clients: string[] = []
  private readonly clientIndex = new Map<string, number>()
  private readonly inFlight = new Map<number, InFlight>()
  private nextToken = 1
  private count = 0

  constructor(private readonly clock: TimeSource) {}

  begin(clientId: string, input: KvInput): number {
    let client = this.clientIndex.get(clientId)
    if (client === undefined) {
      client = this.clients.push(clientId) - 1
      this.clientIndex.set(clientId, client)
    }
    const token = this.nextToken++
    this.inFlight.set(token, { client, input, call: this.clock.now() })
    return token
  }

  /** The operation completed and the client saw `output`. */
  end(token: number, output: KvOutput): void {
    this.add(this.take(token), this.clock.now(), output)
  }

  /** The client gave up on the operation; it may or may not have taken effect. */
  unknown(token: number): void {
    this.add(this.take(token), Infinity, undefined)
  }

  /** Operations recorded, those in flight included. */
  get size(): number {
    return this.count + this.inFlight.size
  }

  /** Every key with an operation, finished or in flight. */
  keyNames(): string[] {
    const names = new Set(this.keys.keys())
    for (const f of this.inFlight.values()) names.add(f.input.key)
    return [...names]
  }

  /**
   * The operations on `key` as the checker takes them; those still in flight with an unknown
   * outcome, as HistoryRecorder.operations() gives them.
   */
  operationsOf(key: string): Operation<KvInput, KvOutput>[] {
    const out: Operation<KvInput, KvOutput>[] = []
    const c = this.keys.get(key)
    if (c !== undefined)
      for (let i = 0; i < c.call.length; i++) {
        const op = OPS[c.op[i]!]!
        const value = c.value[i]
        const ret = c.ret[i]!
        const input: KvInput = op === 'get' ? { op, key } : { op, key, value: value ?? '' }
        const output: KvOutput | undefined =
          ret === Infinity ? undefined : op === 'get' ? { value: value ?? '' } : {}
        out.push({
          clientId: this.clients[c.client[i]!]!,
          input,
          output,
          call: c.call[i]!,
          return: ret,
        })
      }
    for (const f of this.inFlight.values())
      if (f.input.key === key)
        out.push({
          clientId: this.clients[f.client]!,
          input: f.input,
          output: undefined,
          call: f.call,
          return: Infinity,
        })
    return out
  }

  /** Every operation, key by key (for short runs and tests: it builds them all at once). */
  operations(): Operation<KvInput, KvOutput>[] {
    return this.keyNames().flatMap((k) => this.operationsOf(k))
  }

  private add(f: InFlight, ret: number, output: KvOutput | undefined): void {
    const { key, op } = f.input
    let c = this.keys.get(key)
    if (c === undefined) {
      c = { call: [], ret: [], client: [], op: [], value: [], lastRead: undefined }
      this.keys.set(key, c)
    }
    let value: string | undefined
    if (op !== 'get') value = f.input.value
    else if (output !== undefined) {
      const read = output.value ?? ''
      if (read !== c.lastRead) c.lastRead = read
      value = c.lastRead
    }
    c.call.push(f.call)
    c.ret.push(ret)
    c.client.push(f.client)
    c.op.push(OP_CODE[op])
    c.value.push(value)
    this.count++
  }

  private take(token: number): InFlight {
    const f = this.inFlight.get(token)
    if (f === undefined)
      throw new RecorderMisuseError(
        `token ${token} is not in flight: it was never returned by begin() or was already ended`,
      )
    this.inFlight.delete(token)
    return f
  }
}
