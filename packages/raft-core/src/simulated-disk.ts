/**
 * A simulated disk (FoundationDB-simulation / TigerBeetle-VOPR style): wraps any Storage so
 * that each write and compaction takes time on the injected Clock — a data phase, then an
 * fsync — drawn from a seeded latency model (disk-latency.ts). Under a SimulatedClock,
 * messages, ticks and proposals therefore reach a node while its write is in flight.
 *
 * The device has one queue: operations run one at a time, in the order they were issued, and
 * reach the wrapped storage only once durable (after their fsync), so the wrapped storage
 * always holds exactly what a crash at this instant would leave. crash() is that power cut:
 * - an operation not started, or still transferring its data, is lost (on storage without
 *   atomic batches, a partly transferred write may leave a torn prefix);
 * - a write whose data is on the device but not synced yet survives whole, is lost, or (without
 *   atomic batches) is torn: a prefix in the contract's order — snapshot, entries, hard state;
 * - what has been synced survives;
 * and survivors are always a prefix of the issued operations. A sync: false write resolves
 * after its data phase and becomes durable with the next synced operation.
 *
 * Deterministic: only the Clock's timers and the Rng are used. Crash-then-clone: call the
 * node's kill(), then crash() (which writes the survivors into the wrapped storage), then take
 * the wrapped storage's durable copy (e.g. MemoryStorage.clone()).
 */
import type { Clock, TimerHandle } from './clock.js'
import { drawOpTiming, type DiskLatency, type OpTiming } from './disk-latency.js'
import { StoppedError } from './errors.js'
import type { Rng } from './rng.js'
import type {
  PersistedState,
  Storage,
  StorageBatch,
  StorageCapabilities,
  StorageSize,
} from './storage.js'
import type { Snapshot } from './types.js'

export interface SimulatedDiskOptions {
  readonly clock: Clock
  /** Draws each operation's timing and each crash's outcome. */
  readonly rng: Rng
  readonly latency: DiskLatency
}

/** What one crash() did to the operations that were not durable yet. */
export interface DiskCrashReport {
  /** Operations that survived whole although their caller never saw them complete. */
  readonly kept: number
  /** Operations of which only a prefix survived. */
  readonly torn: number
  /** Operations that left nothing. */
  readonly lost: number
}

/** Counters for tests and reports. */
export interface SimulatedDiskStats {
  operations: number
  outliers: number
  /** Simulated milliseconds spent in data phases and fsyncs. */
  busyMs: number
}

type Phase = 'queued' | 'data' | 'unsynced' | 'applying'

interface Op {
  readonly batch?: StorageBatch
  readonly snapshot?: Snapshot
  phase: Phase
  readonly resolve: () => void
  readonly reject: (e: Error) => void
}

const crashedError = (): StoppedError => new StoppedError('the simulated disk crashed')

export class SimulatedDisk implements Storage {
  readonly capabilities: StorageCapabilities
  readonly stats: SimulatedDiskStats = { operations: 0, outliers: 0, busyMs: 0 }
  /** Issued, not durable, not resolved (the head is the one the device works on). */
  private readonly queue: Op[] = []
  /** sync: false writes that resolved but are not durable yet, in order. */
  private readonly unsynced: Op[] = []
  private timer: TimerHandle | undefined
  private applying: Promise<void> | undefined
  private crashing: Promise<DiskCrashReport> | undefined
  private closed = false

  constructor(
    readonly inner: Storage,
    private readonly options: SimulatedDiskOptions,
  ) {
    this.capabilities = inner.capabilities
  }

  /** Operations issued and not yet durable (including resolved sync: false writes). */
  get inFlight(): number {
    return this.queue.length + this.unsynced.length
  }

  /** True once crash() has been called. */
  get crashed(): boolean {
    return this.crashing !== undefined
  }

  async load(): Promise<PersistedState> {
    this.checkUsable()
    return this.inner.load()
  }

  write(batch: StorageBatch): Promise<void> {
    return this.issue({ batch })
  }

  compact(snapshot: Snapshot): Promise<void> {
    return this.issue({ snapshot })
  }

  /** What is durable (the wrapped storage's size). */
  size(): StorageSize {
    return this.inner.size()
  }

  /**
   * Closes the wrapped storage once the device is idle. A clean close (no crash) lets the
   * operations still queued finish at once, as a disk does on an orderly shutdown.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.crashing) await this.crashing
    else await this.flushNow()
    await this.inner.close()
  }

  /**
   * A power cut now: decides, from the seed, what each not-yet-durable operation leaves behind
   * (see the file header), writes the survivors into the wrapped storage, and rejects every
   * unfinished operation (and every later one) with StoppedError. Idempotent.
   */
  crash(): Promise<DiskCrashReport> {
    this.crashing ??= this.crashNow()
    return this.crashing
  }

  // --- the device ---------------------------------------------------------------------------

  private issue(op: { batch?: StorageBatch; snapshot?: Snapshot }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.checkUsable()
      this.queue.push({ ...op, phase: 'queued', resolve, reject })
      this.startNext()
    })
  }

  private startNext(): void {
    const op = this.queue[0]
    if (!op || op.phase !== 'queued' || this.crashing || this.closed) return
    const timing: OpTiming = drawOpTiming(this.options.latency, this.options.rng)
    this.stats.operations++
    if (timing.outlier) this.stats.outliers++
    this.stats.busyMs += timing.dataMs + timing.fsyncMs
    op.phase = 'data'
    this.timer = this.options.clock.setTimeout(() => {
      op.phase = 'unsynced'
      if (op.batch && !op.batch.sync) {
        // Resolves now; durable with the next synced operation (or lost in a crash).
        this.queue.shift()
        this.unsynced.push(op)
        this.timer = undefined
        op.resolve()
        this.startNext()
        return
      }
      this.timer = this.options.clock.setTimeout(() => {
        this.timer = undefined
        this.makeDurable(op)
      }, timing.fsyncMs)
    }, timing.dataMs)
  }

  /** The fsync of `op` completed: it and every unsynced write before it reach the storage. */
  private makeDurable(op: Op): void {
    op.phase = 'applying'
    const earlier = this.unsynced.splice(0)
    this.applying = (async () => {
      try {
        for (const u of earlier) await this.applyToInner(u)
        await this.applyToInner(op)
        this.queue.shift()
        op.resolve()
      } catch (e) {
        this.queue.shift()
        op.reject(e as Error)
      }
      this.applying = undefined
      this.startNext()
    })()
  }

  private applyToInner(op: Op): Promise<void> {
    if (op.snapshot) return this.inner.compact(op.snapshot)
    return this.inner.write(op.batch as StorageBatch)
  }

  /** On a clean close: every issued operation becomes durable now. */
  private async flushNow(): Promise<void> {
    this.options.clock.clearTimeout(this.timer)
    this.timer = undefined
    if (this.applying) await this.applying
    const ops = [...this.unsynced.splice(0), ...this.queue.splice(0)]
    for (const op of ops) {
      try {
        await this.applyToInner(op)
        op.resolve()
      } catch (e) {
        op.reject(e as Error)
      }
    }
  }

  private async crashNow(): Promise<DiskCrashReport> {
    this.options.clock.clearTimeout(this.timer)
    this.timer = undefined
    // An fsync that completed is durable, even if its caller has not heard of it yet.
    if (this.applying) await this.applying
    const pending = [...this.unsynced.splice(0), ...this.queue.splice(0)]
    let kept = 0
    let torn = 0
    let cut = false
    const survivors: Op[] = []
    for (const op of pending) {
      if (cut || op.phase === 'queued') {
        cut = true
        continue
      }
      const part = this.survivingPart(op)
      if (part === op) {
        kept++
        survivors.push(op)
        continue
      }
      cut = true
      if (part) {
        torn++
        survivors.push(part)
      }
    }
    for (const s of survivors) await this.applyToInner(s)
    for (const op of pending) op.reject(crashedError())
    return { kept, torn, lost: pending.length - kept - torn }
  }

  /**
   * What of `op` survives the crash: op itself, a torn prefix, or undefined. Compactions and
   * atomic batches are all-or-nothing; only data already transferred can survive whole.
   */
  private survivingPart(op: Op): Op | undefined {
    const rng = this.options.rng
    const transferred = op.phase === 'unsynced'
    if (!op.batch || this.capabilities.atomicBatch)
      return transferred && rng.int(2) === 1 ? op : undefined
    const units = batchUnits(op.batch)
    // Transferred: any prefix, the whole batch included; still transferring: a strict prefix.
    const keep = rng.int(transferred ? units + 1 : units)
    if (keep === units) return op
    return keep === 0 ? undefined : { ...op, batch: batchPrefix(op.batch, keep) }
  }

  private checkUsable(): void {
    if (this.crashing) throw crashedError()
    if (this.closed) throw new StoppedError('the storage is closed')
  }
}

/** A batch's parts in write order: snapshot, each entry, hard state. */
function batchUnits(b: StorageBatch): number {
  return (b.snapshot ? 1 : 0) + (b.entries?.length ?? 0) + (b.hardState ? 1 : 0)
}

/** The first `keep` parts of `b` (0 < keep < batchUnits(b)). */
function batchPrefix(b: StorageBatch, keep: number): StorageBatch {
  let left = keep
  const snapshot = b.snapshot && left > 0 ? b.snapshot : undefined
  if (snapshot) left--
  const entries = (b.entries ?? []).slice(0, left)
  return { ...(snapshot ? { snapshot } : {}), entries, sync: true }
}
