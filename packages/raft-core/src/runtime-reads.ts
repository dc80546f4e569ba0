/**
 * The runtime's side of ReadIndex (read-index.ts is the core's): the promises that
 * `Raft.readIndex` returns. Calls made before the pump next runs form one batch that shares one
 * promise; the pump hands the batch to the core as one request (`submit`), and settles the
 * requests from each Ready's read states (`settle`), rejecting those whose leadership or term
 * is gone. No timers of its own and no I/O: the pump drives it.
 */
import { NotLeaderError } from './errors.js'
import type { RawNode } from './raw-node.js'
import type { Ready, ReadState } from './ready.js'
import type { Index, Term } from './types.js'

/** What the read bookkeeping asks of the core. */
type ReadCore = Pick<RawNode, 'readIndex' | 'getState' | 'status'>

interface PendingRead {
  readonly term: Term
  readonly resolve: (index: Index) => void
  readonly reject: (error: Error) => void
}

/** The readIndex() calls not yet handed to the core: they share one request and one promise. */
interface ReadBatch {
  readonly promise: Promise<Index>
  readonly resolve: (index: Index) => void
  readonly reject: (error: Error) => void
}

export class ReadRequests {
  /** Requests handed to the core, by request id, not yet confirmed. */
  private readonly pending = new Map<number, PendingRead>()
  /** Reads asked for since the pump last ran; the pump hands them to the core as one request. */
  private batch: ReadBatch | undefined
  private nextId = 1

  /** `wake` asks for a pump turn: called when a read starts a new batch. */
  constructor(
    private readonly node: ReadCore,
    private readonly wake: () => void,
  ) {}

  /** The promise of the batch being gathered; a new batch calls `wake` (the pump must run). */
  join(): Promise<Index> {
    const batch = this.batch
    if (batch) return batch.promise
    let resolve!: (index: Index) => void
    let reject!: (error: Error) => void
    const promise = new Promise<Index>((res, rej) => {
      resolve = res
      reject = rej
    })
    this.batch = { promise, resolve, reject }
    this.wake()
    return promise
  }

  /** Hands the batched readIndex() calls to the core as one request (see Raft.readIndex()). */
  submit(): void {
    const batch = this.batch
    if (!batch) return
    this.batch = undefined
    const requestId = this.nextId++
    try {
      this.node.readIndex(requestId)
    } catch (error) {
      batch.reject(error instanceof Error ? error : new Error(String(error)))
      return
    }
    const term = this.node.getState().term
    this.pending.set(requestId, { term, resolve: batch.resolve, reject: batch.reject })
  }

  /** Resolves the confirmed reads. */
  confirm(readStates: readonly ReadState[]): void {
    for (const rs of readStates) {
      this.pending.get(rs.requestId)?.resolve(rs.index)
      this.pending.delete(rs.requestId)
    }
  }

  /** Resolves confirmed reads; rejects the rest once leadership or the term is lost. */
  settle(rd: Ready): void {
    this.confirm(rd.readStates)
    if (this.pending.size === 0) return
    const { term, isLeader } = this.node.getState()
    const leader = rd.softState?.leader ?? this.node.status().leader
    for (const [id, read] of this.pending) {
      if (isLeader && read.term === term) continue
      read.reject(new NotLeaderError(isLeader ? null : leader))
      this.pending.delete(id)
    }
  }

  /** Rejects every read, handed to the core or not, with `reason` (the node stopped). */
  rejectAll(reason: Error): void {
    for (const read of this.pending.values()) read.reject(reason)
    this.pending.clear()
    this.batch?.reject(reason)
    this.batch = undefined
  }
}
