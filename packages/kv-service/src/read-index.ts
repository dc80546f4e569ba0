/**
 * The read path's wait (Raft §8, ReadIndex): `raft.readIndex()` resolves only after the leader
 * has committed an entry in its term and a fresh heartbeat round confirmed it still leads; a
 * read then waits until the state machine has applied that index, and KvServer reads the map.
 * No leases, no log entry per read. A leader cut off from the majority never confirms, so its
 * reads time out (`requestTimeoutMs`).
 *
 * Reads asked for together share the node's ReadIndex request (raft-core hands them the same
 * promise): they also share one deadline timer and one wait for the apply stream.
 */
import type { Clock, Index } from '@raftkit/raft-core'
import { TIMED_OUT, within } from './deadline.js'
import type { KvRaft } from './raft-api.js'
import { STOPPED, TIMEOUT } from './replies.js'
import type { KvReply } from './rpc.js'

export interface ReadIndexWaitOptions {
  readonly raft: Pick<KvRaft, 'readIndex'>
  readonly clock: Clock
  /** How long one read may wait for leadership confirmation and apply, in all. */
  readonly requestTimeoutMs: number
  /** Highest log index reflected in the state machine. */
  readonly applied: () => Index
  /** True once the server is killed. */
  readonly stopped: () => boolean
  /** The answer for a ReadIndex request that failed with `e`. */
  readonly failure: (e: unknown) => KvReply
}

interface ReadWaiter {
  readonly index: Index
  readonly wake: () => void
}

export class ReadIndexWait {
  private readonly options: ReadIndexWaitOptions
  /** Reads waiting for the state machine to reach their index. */
  private readonly readers = new Set<ReadWaiter>()
  /** Ends ReadIndex waits on kill (their timers included). */
  private readonly cancels = new Set<() => void>()
  /** The last ReadIndex request reads joined, and what waiting for it came to. */
  private readWait:
    { readonly source: Promise<Index>; readonly failed: Promise<KvReply | undefined> } | undefined

  constructor(options: ReadIndexWaitOptions) {
    this.options = options
  }

  /**
   * Joins the node's current ReadIndex request (or starts one): resolves undefined once a read
   * may answer from the state machine, else with the failure to answer with. Throws what
   * `raft.readIndex()` throws.
   */
  confirm(): Promise<KvReply | undefined> {
    const source = this.options.raft.readIndex()
    let wait = this.readWait
    if (wait?.source !== source) {
      wait = { source, failed: this.confirmRead(source) }
      this.readWait = wait
    }
    return wait.failed
  }

  /** The applied index moved: wakes the reads waiting for it. */
  onApplied(): void {
    if (this.readers.size > 0) this.wakeReaders()
  }

  /** Ends every wait (kill): each read is answered as its stopped() says. */
  stop(): void {
    for (const r of [...this.readers]) r.wake()
    for (const cancel of [...this.cancels]) cancel()
  }

  /**
   * Waits for a ReadIndex request's index and for the state machine to reach it: undefined once
   * a read may answer from the state machine, else the failure to answer with.
   */
  private async confirmRead(source: Promise<Index>): Promise<KvReply | undefined> {
    const started = this.options.clock.now()
    let index: Index | typeof TIMED_OUT
    const wait = within(this.options.clock, source, this.options.requestTimeoutMs)
    this.cancels.add(wait.cancel)
    try {
      index = await wait.result
    } catch (e) {
      return this.options.failure(e)
    } finally {
      this.cancels.delete(wait.cancel)
    }
    if (index === TIMED_OUT) return this.options.stopped() ? STOPPED : TIMEOUT
    const left = this.options.requestTimeoutMs - (this.options.clock.now() - started)
    if (!(await this.waitApplied(index, left))) return this.options.stopped() ? STOPPED : TIMEOUT
    return undefined
  }

  /** True once `index` is applied; false on timeout or kill. */
  private waitApplied(index: Index, ms: number): Promise<boolean> {
    if (this.options.applied() >= index) return Promise.resolve(true)
    return new Promise<boolean>((resolve) => {
      const waiter: ReadWaiter = {
        index,
        wake: () => {
          this.readers.delete(waiter)
          this.options.clock.clearTimeout(timer)
          resolve(!this.options.stopped() && this.options.applied() >= index)
        },
      }
      const timer = this.options.clock.setTimeout(waiter.wake, Math.max(0, ms))
      this.readers.add(waiter)
    })
  }

  private wakeReaders(): void {
    // wake() deletes the reader from the set, which is safe while iterating it.
    const applied = this.options.applied()
    for (const r of this.readers) if (r.index <= applied) r.wake()
  }
}
