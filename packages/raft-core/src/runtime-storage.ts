/**
 * The runtime's storage side: every storage operation (Ready writes and service compactions)
 * runs one after another on one chain, and each fails with the stop reason once the node has
 * stopped. Tracks the term and vote as last written, which decides whether a leader's messages
 * may leave while its own write is in flight (`keepsTermAndVote`), and lets a commit-index-only
 * hard state ride along with the next write that must happen anyway.
 */
import type { Ready } from './ready.js'
import type { PersistedState, Storage } from './storage.js'
import type { HardState, NodeId, Snapshot, Term } from './types.js'

export class RuntimeStorage {
  /** Term and vote as last written to storage (what a reply may depend on). */
  private durableTerm: Term
  private durableVote: NodeId | null
  /**
   * The newest hard state whose only change was the commit index, not yet written: the commit
   * index is volatile state (Figure 2), so it rides along with the next write that must happen
   * anyway (new entries, term or vote) instead of costing a write of its own.
   */
  private unwrittenHardState: HardState | undefined
  /** Serializes every storage operation (Ready writes and service compactions). */
  private chain: Promise<void> = Promise.resolve()

  /** `stopReason` is asked as each operation's turn comes: once it is set, operations fail with it. */
  constructor(
    private readonly storage: Storage,
    restored: PersistedState,
    private readonly stopReason: () => Error | null,
  ) {
    this.durableTerm = restored.hardState.term
    this.durableVote = restored.hardState.votedFor
  }

  /** Settles once every operation queued so far has run. Never rejects. */
  get idle(): Promise<void> {
    return this.chain
  }

  /** True when `hs` (a Ready's hard state, if any) holds the term and vote already written. */
  keepsTermAndVote(hs: HardState | undefined): boolean {
    return !hs || (hs.term === this.durableTerm && hs.votedFor === this.durableVote)
  }

  /** Writes a Ready (queued behind the operations before it). */
  write(rd: Ready): Promise<void> {
    return this.enqueue(() => this.persist(rd))
  }

  /** Stores a snapshot the service made and drops the log it covers (queued likewise). */
  compact(snap: Snapshot): Promise<void> {
    return this.enqueue(() => this.storage.compact(snap))
  }

  /** Closes the storage once the queued operations have run. */
  close(): Promise<void> {
    return this.chain.then(() => this.storage.close())
  }

  private async persist(rd: Ready): Promise<void> {
    if (!rd.mustSync) {
      // Nothing but a new commit index (mustSync covers entries, snapshot, term and vote).
      if (rd.hardState) this.unwrittenHardState = rd.hardState
      return
    }
    const hardState = rd.hardState ?? this.unwrittenHardState
    this.unwrittenHardState = undefined
    await this.storage.write({
      ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
      entries: rd.entries,
      ...(hardState ? { hardState } : {}),
      sync: true,
    })
    if (rd.hardState) {
      this.durableTerm = rd.hardState.term
      this.durableVote = rd.hardState.votedFor
    }
  }

  /** Runs storage operations one after another; each fails with the stop reason once stopped. */
  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.chain.then(() => {
      const stopped = this.stopReason()
      if (stopped) throw stopped
      return op()
    })
    this.chain = run.catch(() => undefined)
    return run
  }
}
