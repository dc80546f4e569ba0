/**
 * Concurrent KvClient workers over the nodes' HTTP API (or their WebSocket RPC, all workers
 * sharing one connection per node), every operation recorded (call and return on the real
 * monotonic clock) for the linearizability checker. Written values are unique, so a
 * final read tells which acknowledged writes survived.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { ClusterConfig } from '../index.js'
import { HttpKvRpc, KvClient, WsKvRpc, readClientTls } from '../index.js'
import type { Rng } from '@raftkit/raft-core'
import { SystemClock, TimeoutError } from '@raftkit/raft-core'
import type { KvInput, KvOp, KvOutput, Operation } from '@raftkit/linearizability'
import { HistoryRecorder } from '@raftkit/linearizability'
import type { KvRecorder } from './compact-history.js'

export type KvHistory = Operation<KvInput, KvOutput>[]

/** Real time in ms on a monotonic clock: what the history records. */
export const monotonicClock = { now: (): number => performance.now() }

export function newRecorder(): HistoryRecorder<KvInput, KvOutput> {
  return new HistoryRecorder<KvInput, KvOutput>(monotonicClock)
}

export interface ClientOptions {
  readonly config: ClusterConfig
  /** Limit of one operation, retries included; then its outcome is recorded unknown. */
  readonly deadlineMs: number
  /** One attempt on one node. Default: the cluster file's client.requestTimeoutMs. */
  readonly requestTimeoutMs?: number
  /** Only these nodes (default all). */
  readonly servers?: readonly string[]
  /** Redirects followed to addresses outside `servers` (default 3; 0 keeps it on `servers`). */
  readonly maxRedirects?: number
  readonly rng?: Rng
  readonly clientId?: string
  /** A network to use instead of an HttpKvRpc of its own (not closed by close()). */
  readonly rpc?: HttpKvRpc | WsKvRpc
}

/** The endpoints (node id → "host:port") and TLS trust of a cluster's clients. */
function targetOf(
  config: ClusterConfig,
  servers?: readonly string[],
): { endpoints: Record<string, string>; tls?: { ca?: Buffer } } {
  const endpoints: Record<string, string> = {}
  for (const n of config.nodes)
    if (!servers || servers.includes(n.id)) endpoints[n.id] = `${n.http.host}:${n.http.port}`
  const tls = readClientTls(config)
  return { endpoints, ...(tls ? { tls } : {}) }
}

/** A KvClient over HTTP and the RPC it owns (or `options.rpc`); close() closes both. */
export function httpClient(options: ClientOptions): { client: KvClient; close(): void } {
  let own: HttpKvRpc | undefined
  let rpc: HttpKvRpc | WsKvRpc
  if (options.rpc !== undefined) rpc = options.rpc
  else {
    own = new HttpKvRpc({
      ...targetOf(options.config, options.servers),
      ...(options.maxRedirects !== undefined ? { maxRedirects: options.maxRedirects } : {}),
    })
    rpc = own
  }
  const client = new KvClient({
    servers: rpc.servers,
    rpc,
    clock: new SystemClock(),
    requestTimeoutMs: Math.min(
      options.requestTimeoutMs ?? options.config.client.requestTimeoutMs,
      options.deadlineMs,
    ),
    deadlineMs: options.deadlineMs,
    backoff: options.config.client.backoff,
    ...(options.rng ? { rng: options.rng } : {}),
    ...(options.clientId !== undefined ? { clientId: options.clientId } : {}),
  })
  return {
    client,
    close: () => {
      client.close()
      own?.close()
    },
  }
}

export type OpOutcome = 'ok' | 'unknown'

/**
 * Runs one operation and records it: the output when it returns, unknown when it times out or
 * fails in any other way (it may or may not have taken effect). Never throws.
 */
export async function recordedOp(
  recorder: KvRecorder,
  clientName: string,
  client: KvClient,
  input: KvInput,
): Promise<{ outcome: OpOutcome; value?: string; error?: unknown }> {
  const token = recorder.begin(clientName, input)
  try {
    if (input.op === 'get') {
      const value = await client.get(input.key)
      recorder.end(token, { value })
      return { outcome: 'ok', value }
    }
    await client[input.op](input.key, input.value ?? '')
    recorder.end(token, {})
    return { outcome: 'ok' }
  } catch (error) {
    recorder.unknown(token)
    return { outcome: 'unknown', error }
  }
}

export interface OpCounts {
  ok: number
  unknown: number
  readonly byOp: Record<KvOp, { ok: number; unknown: number }>
}

export function emptyCounts(): OpCounts {
  return {
    ok: 0,
    unknown: 0,
    byOp: { get: { ok: 0, unknown: 0 }, put: { ok: 0, unknown: 0 }, append: { ok: 0, unknown: 0 } },
  }
}

export interface WorkloadOptions {
  readonly config: ClusterConfig
  readonly clients: number
  readonly keys: readonly string[]
  readonly rng: Rng
  /** HistoryRecorder (newRecorder) or, for long runs, CompactKvRecorder. */
  readonly recorder: KvRecorder
  /** Per-operation deadline (ms). */
  readonly deadlineMs: number
  /** Relative weights of the operations. Default get 2, put 1, append 2. */
  readonly mix?: Readonly<Record<KvOp, number>>
  /** Pause between two operations of one worker (ms). Default 0. */
  readonly thinkMs?: number
  /**
   * Prefix of the workers' session (client) ids. Default: random. Ids must differ from every
   * earlier run on the same cluster: the servers remember sessions, and a write numbered at or
   * below a session's last sequence number is answered as a duplicate without running again.
   */
  readonly clientIdPrefix?: string
  /** How the workers reach the nodes: HTTP (default) or one WebSocket RPC all workers share. */
  readonly protocol?: 'http' | 'ws'
}

/** C workers, each a KvClient running get/put/append on random keys until stop(). */
export class Workload {
  readonly counts = emptyCounts()
  /** The first error of each kind other than a timeout, for the report. */
  readonly errors = new Map<string, string>()
  private stopping = false
  private readonly running: Promise<void>[] = []
  private readonly clients: { close(): void }[] = []

  constructor(private readonly options: WorkloadOptions) {
    if (!(options.clients >= 1)) throw new RangeError('clients must be at least 1')
    if (options.keys.length === 0) throw new RangeError('keys must not be empty')
  }

  start(): void {
    const prefix = this.options.clientIdPrefix ?? `w-${randomBytes(8).toString('hex')}-`
    const shared =
      this.options.protocol === 'ws' ? new WsKvRpc(targetOf(this.options.config)) : undefined
    for (let i = 1; i <= this.options.clients; i++) {
      const rng = this.options.rng.fork()
      const c = httpClient({
        config: this.options.config,
        deadlineMs: this.options.deadlineMs,
        rng: rng.fork(),
        clientId: `${prefix}c${i}`,
        ...(shared ? { rpc: shared } : {}),
      })
      this.clients.push(c)
      this.running.push(this.worker(`c${i}`, c.client, rng))
    }
    // Closed after the workers' clients (stop() closes in this order).
    if (shared) this.clients.push(shared)
  }

  /**
   * Stops issuing operations; those in flight get `graceMs` to finish, then the clients are
   * closed (what is still in flight is recorded unknown).
   */
  async stop(graceMs = this.options.deadlineMs): Promise<void> {
    this.stopping = true
    const all = Promise.all(this.running)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))])
    clearTimeout(timer)
    for (const c of this.clients) c.close()
    await all
  }

  private async worker(name: string, client: KvClient, rng: Rng): Promise<void> {
    const mix = this.options.mix ?? { get: 2, put: 1, append: 2 }
    const total = mix.get + mix.put + mix.append
    let n = 0
    while (!this.stopping) {
      const key = this.options.keys[rng.int(this.options.keys.length)] as string
      const r = rng.next() * total
      const op: KvOp = r < mix.get ? 'get' : r < mix.get + mix.put ? 'put' : 'append'
      const input: KvInput = op === 'get' ? { op, key } : { op, key, value: uniqueValue(name, ++n) }
      const result = await recordedOp(this.options.recorder, name, client, input)
      this.counts[result.outcome]++
      this.counts.byOp[op][result.outcome]++
      if (result.error !== undefined && !(result.error instanceof TimeoutError) && !this.stopping) {
        const e = result.error as Error
        if (!this.errors.has(e.name)) this.errors.set(e.name, e.message)
      }
      const think = this.options.thinkMs ?? 0
      if (think > 0 && !this.stopping) await new Promise((r) => setTimeout(r, think))
    }
  }
}

/** A value no other write uses, delimited so that one value never contains another. */
export function uniqueValue(client: string, n: number): string {
  return `<${client}.${n}>`
}

/**
 * Reads every key with a fresh client and records the reads; returns the values (a key whose
 * read did not complete is missing from the map).
 */
export async function finalReads(
  config: ClusterConfig,
  recorder: KvRecorder,
  keys: readonly string[],
  deadlineMs = 15_000,
): Promise<Map<string, string>> {
  const c = httpClient({ config, deadlineMs })
  const values = new Map<string, string>()
  try {
    for (const key of keys) {
      const r = await recordedOp(recorder, 'final', c.client, { op: 'get', key })
      if (r.outcome === 'ok') values.set(key, r.value ?? '')
    }
  } finally {
    c.close()
  }
  return values
}

export interface LostWrite {
  readonly key: string
  readonly op: 'put' | 'append'
  readonly value: string
  readonly finalValue: string
}

/**
 * Acknowledged writes the final values do not show, where no other write could have been ordered
 * after them: an acknowledged append must still be in the key's final value unless some put on
 * that key (acknowledged or not) may have come after it; an acknowledged put must still begin
 * the final value unless another put may have come after it. Sound (never reports a write that
 * linearizability allows to vanish) as long as every final read began after every write ended
 * or was abandoned, and values are unique (uniqueValue).
 */
export function lostAcknowledgedWrites(
  history: readonly Operation<KvInput, KvOutput>[],
  finalValues: ReadonlyMap<string, string>,
): LostWrite[] {
  const lost: LostWrite[] = []
  // "Some other put on the key returned after this write was called" is "the latest return among
  // the key's other puts is after the call": one pass keeps each key's two latest put returns
  // (the op holding the latest is left out for itself), so the check is linear in the history.
  // (It scanned the key's puts per write before: quadratic, minutes for a 10-minute run.)
  const latest = new Map<string, LatestPuts>()
  for (const op of history) {
    if (op.input.op !== 'put') continue
    let l = latest.get(op.input.key)
    if (!l) latest.set(op.input.key, (l = { op: undefined, first: -Infinity, second: -Infinity }))
    if (op.return > l.first) {
      l.second = l.first
      l.first = op.return
      l.op = op
    } else if (op.return > l.second) {
      l.second = op.return
    }
  }
  for (const op of history) {
    const { key, value } = op.input
    const final = finalValues.get(key)
    if (op.input.op === 'get' || op.return === Infinity || final === undefined) continue
    const l = latest.get(key)
    const laterPut = l !== undefined && (l.op === op ? l.second : l.first) > op.call
    if (laterPut) continue
    const present =
      op.input.op === 'append' ? final.includes(value ?? '') : final.startsWith(value ?? '')
    if (!present) lost.push({ key, op: op.input.op, value: value ?? '', finalValue: final })
  }
  return lost
}

/** A key's latest put return, the put holding it, and the next latest return among its puts. */
interface LatestPuts {
  op: Operation<KvInput, KvOutput> | undefined
  first: number
  second: number
}

export interface DuplicatedWrite {
  readonly key: string
  readonly value: string
  readonly times: number
}

/**
 * Written values that a final value holds more than once: every write carries a value no
 * other write uses (uniqueValue), so a value seen twice in a key means a write ran twice (a
 * retried append executed again, across a leader change or a shard migration).
 */
export function duplicatedWrites(finalValues: ReadonlyMap<string, string>): DuplicatedWrite[] {
  const out: DuplicatedWrite[] = []
  for (const [key, value] of finalValues) {
    const seen = new Map<string, number>()
    for (const part of value.match(/<[^<>]*>/g) ?? []) seen.set(part, (seen.get(part) ?? 0) + 1)
    for (const [v, times] of seen) if (times > 1) out.push({ key, value: v, times })
  }
  return out
}
