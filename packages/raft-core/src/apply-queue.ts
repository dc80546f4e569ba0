/**
 * The ordered hand-off of committed entries and snapshots to the service. The runtime pushes
 * without waiting (so a service may call back into Raft, e.g. snapshot(), from its apply
 * handler without deadlock); one consumer takes messages in order, either as an async
 * iterator or through a handler that is awaited one message at a time.
 */
import type { ApplyMsg } from './apply.js'
import type { Logger } from './logger.js'
import type { Index } from './types.js'

type Waiter = (result: IteratorResult<ApplyMsg, undefined>) => void

export class ApplyQueue {
  private buffer: ApplyMsg[] = []
  /** Next log index the queue accepts; a snapshot moves it past the snapshot. */
  private expected: Index = 1
  private delivered: Index = 0
  private ended = false
  private consumer: 'none' | 'iterator' | 'handler' = 'none'
  private readonly waiters: Waiter[] = []
  private handler: ((msg: ApplyMsg) => void | Promise<void>) | null = null
  private draining = false

  constructor(private readonly logger: Logger) {}

  /** Last index handed to the service (a snapshot counts as its index). */
  get appliedIndex(): Index {
    return this.delivered
  }

  /**
   * Queues `msg` unless it is already covered: entries below the expected index are
   * duplicates, and a snapshot that covers nothing new is redundant.
   */
  push(msg: ApplyMsg): void {
    if (this.ended) return
    if (msg.index < this.expected) return
    if (msg.kind !== 'snapshot' && msg.index > this.expected)
      this.logger.error('apply stream gap: entries are missing', {
        expected: this.expected,
        got: msg.index,
      })
    this.expected = msg.index + 1
    this.buffer.push(msg)
    this.wake()
  }

  /** Ends the stream: undelivered messages are discarded, a waiting iterator finishes. */
  end(): void {
    if (this.ended) return
    this.ended = true
    this.buffer = []
    for (const w of this.waiters.splice(0)) w({ done: true, value: undefined })
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

  setHandler(handler: (msg: ApplyMsg) => void | Promise<void>): void {
    this.claim('handler')
    this.handler = handler
    this.wake()
  }

  private claim(kind: 'iterator' | 'handler'): void {
    if (this.consumer !== 'none')
      throw new Error(
        `the apply stream already has a consumer (${this.consumer}); use applied() or onApply(), once`,
      )
    this.consumer = kind
  }

  private next(): Promise<IteratorResult<ApplyMsg, undefined>> {
    const msg = this.buffer.shift()
    if (msg) return Promise.resolve(this.take(msg))
    if (this.ended) return Promise.resolve({ done: true, value: undefined })
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private take(msg: ApplyMsg): IteratorResult<ApplyMsg, undefined> {
    this.delivered = msg.index
    return { done: false, value: msg }
  }

  private wake(): void {
    if (this.consumer === 'iterator') {
      while (this.waiters.length > 0 && this.buffer.length > 0) {
        const waiter = this.waiters.shift() as Waiter
        waiter(this.take(this.buffer.shift() as ApplyMsg))
      }
    } else if (this.consumer === 'handler' && !this.draining) {
      // Never call the handler synchronously from push(): the runtime finishes handling its
      // Ready (advance) first, so the handler may call back into Raft (e.g. snapshot()).
      this.draining = true
      queueMicrotask(() => void this.drain())
    }
  }

  /** Calls the handler for each queued message in order, one at a time. Never rejects. */
  private async drain(): Promise<void> {
    try {
      for (let msg = this.buffer.shift(); msg && !this.ended; msg = this.buffer.shift()) {
        try {
          await this.handler?.(msg)
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
