/**
 * The ordered hand-off of committed entries and snapshots to the service. The runtime pushes
 * without waiting (so a service may call back into Raft, e.g. snapshot(), from its apply
 * handler without deadlock); one consumer takes messages in order, either as an async
 * iterator or through a handler.
 *
 * Messages are queued in batches (one array per Ready) and a handler is called in a plain loop:
 * a handler that returns nothing costs no promise and no microtask per message; one that returns
 * a promise is awaited before the next message is handed over.
 *
 * The stream is strictly ordered: each entry has the next index, and a snapshot covers at least
 * that index. Anything else (a gap, a repeat, a snapshot below what was handed out) would
 * corrupt the service's state, so push() refuses it with ApplyOrderError and the stream ends.
 *
 * appliedIndex() only advances as the consumer takes messages. When committed messages have
 * waited UNCONSUMED_APPLY_WARNING_MS with nobody consuming the stream (neither applied() nor
 * onApply() was called), it warns once, through the logger and process.emitWarning.
 */
import type { ApplyMsg } from './apply.js'
import type { Clock, TimerHandle } from './clock.js'
import { ApplyOrderError } from './errors.js'
import type { Logger } from './logger.js'
import type { Index } from './types.js'

interface Waiter {
  readonly resolve: (result: IteratorResult<ApplyMsg, undefined>) => void
  readonly reject: (error: Error) => void
}
type Handler = (msg: ApplyMsg) => void | Promise<void>

/** How long committed messages may wait for a consumer of the apply stream before a warning. */
export const UNCONSUMED_APPLY_WARNING_MS = 5_000

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
}

export class ApplyQueue {
  /** Queued batches, oldest first; `pos` is the next message of batches[0]. */
  private batches: (readonly ApplyMsg[])[] = []
  private pos = 0
  /** Next log index the queue accepts; a snapshot moves it past the snapshot. */
  private expected: Index = 1
  private delivered: Index = 0
  private ended = false
  /** Why the stream ended, until an iterator has been told. */
  private failure: Error | null = null
  private consumer: 'none' | 'iterator' | 'handler' = 'none'
  private readonly waiters: Waiter[] = []
  private handler: Handler | null = null
  private draining = false
  /** The unconsumed-stream check, armed by the first message queued while nobody consumes. */
  private watch: TimerHandle | undefined
  private warned = false

  constructor(
    private readonly logger: Logger,
    private readonly clock?: Clock,
  ) {}

  /** Last index handed to the service (a snapshot counts as its index). */
  get appliedIndex(): Index {
    return this.delivered
  }

  /** Queues `msg`. Throws ApplyOrderError (and ends the stream) if it is out of order. */
  push(msg: ApplyMsg): void {
    if (this.ended) return
    this.accept(msg)
    this.batches.push([msg])
    this.wake()
  }

  /**
   * push() for each message of `msgs`, in order, as one batch; throws ApplyOrderError (and ends
   * the stream) if one is out of order. The array is not copied: the caller must not modify it.
   */
  pushAll(msgs: readonly ApplyMsg[]): void {
    if (this.ended || msgs.length === 0) return
    for (let i = 0; i < msgs.length; i++) this.accept(msgs[i] as ApplyMsg)
    this.batches.push(msgs)
    this.wake()
  }

  /**
   * Ends the stream: undelivered messages are discarded. A waiting iterator finishes, or, with
   * `failure`, its next call rejects with it once (then the iterator is done).
   */
  end(failure?: Error): void {
    if (this.ended) return
    this.ended = true
    this.clock?.clearTimeout(this.watch)
    this.watch = undefined
    this.failure = failure ?? null
    this.batches = []
    this.pos = 0
    for (const w of this.waiters.splice(0)) this.finish(w)
  }

  iterable(): AsyncIterable<ApplyMsg> {
    this.claim('iterator')
    const iterator: AsyncIterableIterator<ApplyMsg> = {
      next: () => this.next(),
      return: async () => {
        this.end()
        return { done: true, value: undefined }
      },
      [Symbol.asyncIterator]: () => iterator,
    }
    return iterator
  }

  setHandler(handler: Handler): void {
    this.claim('handler')
    this.handler = handler
    this.wake()
  }

  /** Order check of one message; advances the expected index, or ends the stream and throws. */
  private accept(msg: ApplyMsg): void {
    const ok = msg.kind === 'snapshot' ? msg.index >= this.expected : msg.index === this.expected
    if (!ok) {
      const error = new ApplyOrderError(this.expected, msg.kind, msg.index)
      this.end(error)
      throw error
    }
    this.expected = msg.index + 1
  }

  /** Takes the oldest queued message. */
  private shift(): ApplyMsg | undefined {
    for (;;) {
      const batch = this.batches[0]
      if (batch === undefined) return undefined
      if (this.pos < batch.length) return batch[this.pos++]
      this.batches.shift()
      this.pos = 0
    }
  }

  private hasQueued(): boolean {
    const first = this.batches[0]
    return first !== undefined && (this.pos < first.length || this.batches.length > 1)
  }

  private claim(kind: 'iterator' | 'handler'): void {
    if (this.consumer !== 'none')
      throw new Error(
        `the apply stream already has a consumer (${this.consumer}); use applied() or onApply(), once`,
      )
    this.consumer = kind
    this.clock?.clearTimeout(this.watch)
    this.watch = undefined
  }

  /** Arms the warning for messages that nobody consumes (once per queue). */
  private watchUnconsumed(): void {
    if (this.warned || this.watch !== undefined || this.clock === undefined) return
    this.watch = this.clock.setTimeout(() => {
      this.watch = undefined
      if (this.consumer !== 'none' || this.ended || !this.hasQueued()) return
      this.warned = true
      const message =
        `raftkit: committed entries have waited ${UNCONSUMED_APPLY_WARNING_MS / 1000} s and nobody ` +
        'consumes the apply stream: appliedIndex() does not advance until raft.onApply(handler) ' +
        'or a `for await (const msg of raft.applied())` loop takes them'
      this.logger.warn(message)
      process.emitWarning(message, { code: 'RAFTKIT_APPLY_STREAM_UNCONSUMED' })
    }, UNCONSUMED_APPLY_WARNING_MS)
  }

  private next(): Promise<IteratorResult<ApplyMsg, undefined>> {
    const msg = this.shift()
    if (msg) return Promise.resolve(this.take(msg))
    if (this.ended) return new Promise((resolve, reject) => this.finish({ resolve, reject }))
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }))
  }

  /** Tells an iterator waiting on an ended stream: the failure once, then done. */
  private finish(w: Waiter): void {
    const failure = this.failure
    this.failure = null
    if (failure) w.reject(failure)
    else w.resolve({ done: true, value: undefined })
  }

  private take(msg: ApplyMsg): IteratorResult<ApplyMsg, undefined> {
    this.delivered = msg.index
    return { done: false, value: msg }
  }

  private wake(): void {
    if (this.consumer === 'none') this.watchUnconsumed()
    else if (this.consumer === 'iterator') {
      while (this.waiters.length > 0 && this.hasQueued()) {
        const waiter = this.waiters.shift() as Waiter
        waiter.resolve(this.take(this.shift() as ApplyMsg))
      }
    } else if (this.consumer === 'handler' && !this.draining) {
      // Never call the handler synchronously from push(): the runtime finishes handling its
      // Ready (advance) first, so the handler may call back into Raft (e.g. snapshot()).
      this.draining = true
      queueMicrotask(() => void this.drain())
    }
  }

  /**
   * Calls the handler for each queued message in order, one at a time: synchronously while it
   * returns plain values, awaiting each promise it returns. Never rejects.
   */
  private async drain(): Promise<void> {
    try {
      for (let msg = this.shift(); msg && !this.ended; msg = this.shift()) {
        let result: unknown
        try {
          result = this.handler?.(msg)
          if (isThenable(result)) await result
        } catch (error) {
          this.logger.error('apply handler threw; continuing with the next entry', {
            index: msg.index,
            error: String(error),
          })
        }
        this.delivered = msg.index
      }
    } finally {
      this.draining = false
    }
  }
}
