/**
 * RaftLog: the node's view of the replicated log (etcd's raftLog + unstable, merged).
 *
 * Layout: a snapshot covers indexes [1, snapshotIndex]; `packed` holds the entries
 * (snapshotIndex, hotBase] (segments, see packed-segments.ts) and `ents` the entries
 * (hotBase, lastIndex]. Entries that are both applied and durable move from `ents` (Entry
 * objects) to `packed` (flat arrays, see packed-entries.ts) in runs of at least RaftLog.packMin,
 * so a long log does not keep an object per entry alive; reading a packed entry makes a new
 * Entry. Entries that arrived as views of a packed segment (an AppendEntries the copying network
 * made with copyEntriesPacked) are packed by keeping that segment, and handed to storage
 * described as it, instead of being copied again. Durability and progress are tracked by
 * indexes, with invariants
 *   snapshotIndex <= applied <= applying <= committed   and   stable <= inProgress <= lastIndex
 * An entry may be applied before it is durable here: a commit counts only durable copies (the
 * leader's own once stable, bug #9), so a committed entry is on the disks of a majority already
 * (thesis §10.2.1: a leader may commit, and apply, before its own write completes). Compaction
 * stays within what is durable here.
 * - stable:     last index the driver confirmed durable (advance()).
 * - inProgress: last index handed out in a Ready (being written now).
 * - applying:   last index handed out in Ready.committed (or covered by a handed-out snapshot).
 * - applied:    last index the driver confirmed applied (advance()).
 */
import { CompactedError } from './errors.js'
import { describePacked, entryOf, pack, termOf } from './packed-entries.js'
import { PackedSegments } from './packed-segments.js'
import { ReceivedSegments } from './received-segments.js'
import type { Entry, Index, Membership, Snapshot, Term } from './types.js'

/** Bytes an entry counts for against maxBytesPerAppend (payload plus a small fixed overhead). */
export function entrySize(e: Entry): number {
  return e.data.length + 16
}

export class RaftLog {
  /**
   * Fewest applied-and-durable entries moved to packed form at once. Tests lower it to
   * exercise the packed paths on short logs.
   */
  static packMin = 1024

  /**
   * Fewest entries of a received packed segment the log keeps by reference (smaller runs are
   * copied when packed, so a log of one-entry messages does not keep a segment per entry).
   */
  static adoptMin = 64

  /** Entries (snapshotIndex, hotBase], packed (see packed-segments.ts). */
  private readonly packed = new PackedSegments()
  /** Last index held in `packed` (snapshotIndex when nothing is packed). */
  private hotBase: Index
  /** Entries (hotBase, lastIndex]. */
  private ents: Entry[]
  /** Received segments that hot entries view (see received-segments.ts). */
  private readonly received = new ReceivedSegments()
  /** Latest snapshot (restored, received or made by compact()); its data is what we send. */
  private snap: Snapshot | undefined
  /** A snapshot received from the leader and not yet handed out in a Ready. */
  pendingSnapshot: Snapshot | undefined
  committed: Index
  applying: Index
  applied: Index
  stable: Index
  inProgress: Index

  constructor(snapshot: Snapshot | undefined, entries: readonly Entry[], committed: Index) {
    this.snap = snapshot
    this.ents = [...entries]
    const base = snapshot?.meta.index ?? 0
    this.hotBase = base
    this.committed = Math.max(committed, base)
    this.applying = base
    this.applied = base
    this.stable = this.lastIndex()
    this.inProgress = this.stable
  }

  get snapshot(): Snapshot | undefined {
    return this.snap
  }
  get snapshotIndex(): Index {
    return this.snap?.meta.index ?? 0
  }
  get snapshotTerm(): Term {
    return this.snap?.meta.term ?? 0
  }
  firstIndex(): Index {
    return this.snapshotIndex + 1
  }
  lastIndex(): Index {
    return this.hotBase + this.ents.length
  }
  lastTerm(): Term {
    return this.term(this.lastIndex()) ?? 0
  }

  /** Term of the entry at `i`; answers for the snapshot index too; undefined if unknown. */
  term(i: Index): Term | undefined {
    const hot = this.hotBase
    if (i > hot) return this.ents[i - hot - 1]?.term
    const base = this.snapshotIndex
    if (i > base) return termOf(this.packed.at(i), i)
    return i === base ? this.snapshotTerm : undefined
  }

  matchTerm(i: Index, term: Term): boolean {
    return this.term(i) === term
  }

  /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up-to-date as ours? */
  isUpToDate(lastIndex: Index, lastTerm: Term): boolean {
    const myTerm = this.lastTerm()
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex())
  }

  /**
   * Entries [lo, hi). With `maxBytes`, stops before the entry that would exceed it, but always
   * returns at least one entry when the range is not empty. Throws CompactedError below the log.
   */
  slice(lo: Index, hi: Index, maxBytes = Infinity): Entry[] {
    if (lo <= this.snapshotIndex)
      throw new CompactedError(`index ${lo} is compacted (log starts at ${this.firstIndex()})`)
    if (hi > this.lastIndex() + 1 || lo > hi)
      throw new RangeError(
        `range [${lo}, ${hi}) is outside the log [${this.firstIndex()}, ${this.lastIndex() + 1})`,
      )
    const hot = this.hotBase
    if (lo > hot) {
      if (maxBytes === Infinity) return this.ents.slice(lo - hot - 1, hi - hot - 1)
      let end = lo
      let bytes = 0
      for (; end < hi; end++) {
        bytes += entrySize(this.ents[end - hot - 1] as Entry)
        if (end > lo && bytes > maxBytes) break
      }
      return this.ents.slice(lo - hot - 1, end - hot - 1)
    }
    // Starts in the packed part: rebuild those entries.
    const out: Entry[] = []
    let bytes = 0
    for (let i = lo; i < hi; i++) {
      const e = i > hot ? (this.ents[i - hot - 1] as Entry) : entryOf(this.packed.at(i), i)
      bytes += entrySize(e)
      if (out.length > 0 && bytes > maxBytes) break
      out.push(e)
    }
    return out
  }

  /** Leader path: appends entries that continue the log. */
  append(entries: readonly Entry[]): void {
    for (const e of entries) this.appendOne(e)
  }

  /** Appends one entry that continues the log. */
  appendOne(e: Entry): void {
    const last = this.hotBase + this.ents.length
    if (e.index !== last + 1) throw new Error(`invariant: append of ${e.index} after ${last}`)
    this.ents.push(e)
  }

  /**
   * Position in `entries` (consecutive, starting at prevIndex + 1, prevIndex matching) of the
   * first entry that is not already in our log with the same term: a conflict or a new entry.
   * entries.length when every entry is already here. Only entries up to our last index are
   * compared, so a batch that extends the log costs nothing per entry.
   */
  firstNew(entries: readonly Entry[]): number {
    const last = this.lastIndex()
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k] as Entry
      if (e.index > last || this.term(e.index) !== e.term) return k
    }
    return entries.length
  }

  /**
   * Follower path (AppendEntries receiver, steps 2-4): if our log has `prevTerm` at `prevIndex`,
   * append the entries, truncating our log only at the first real conflict, and return the index
   * of the last new entry; otherwise return undefined. Matching entries are never dropped, so a
   * stale or reordered AppendEntries cannot shorten the log.
   */
  maybeAppend(prevIndex: Index, prevTerm: Term, entries: readonly Entry[]): Index | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined
    const k = this.firstNew(entries)
    const conflict = entries[k]
    if (conflict !== undefined) {
      if (conflict.index <= this.committed)
        throw new Error(
          `invariant: entry ${conflict.index} conflicts with the committed prefix (${this.committed})`,
        )
      this.truncateAndAppend(conflict.index - 1, entries, k)
      this.received.add(entries, k, RaftLog.adoptMin)
    }
    return prevIndex + entries.length
  }

  /**
   * Drops our entries after `after` and appends entries[from..] (the first is at after + 1) in
   * their place. Only uncommitted entries are replaced, and packed ones are all committed.
   */
  private truncateAndAppend(after: Index, entries: readonly Entry[], from: number): void {
    if (after < this.lastIndex()) {
      if (after < this.hotBase)
        throw new Error(`invariant: truncation at ${after} inside the packed log (${this.hotBase})`)
      this.ents.length = after - this.hotBase
      this.received.trimAfter(after)
      // Storage truncates its suffix when it receives entries starting at or below its last index.
      this.stable = Math.min(this.stable, after)
      this.inProgress = Math.min(this.inProgress, after)
    }
    for (let k = from; k < entries.length; k++) this.appendOne(entries[k] as Entry)
  }

  /** First index of the term that the entry at `i` has (the fast back-up hint, §5.3). */
  firstIndexOfTerm(i: Index): Index {
    const term = this.term(i)
    let j = i
    while (j - 1 > this.snapshotIndex && this.term(j - 1) === term) j--
    return j
  }

  /** Last index in our log holding `term`, or undefined when we have no entry of that term. */
  lastIndexOfTerm(term: Term): Index | undefined {
    for (let i = this.lastIndex(); i > this.snapshotIndex; i--) {
      const t = this.term(i) ?? 0
      if (t === term) return i
      if (t < term) return undefined
    }
    return this.snapshotTerm === term && this.snapshotIndex > 0 ? this.snapshotIndex : undefined
  }

  /**
   * The leader's commit rule (Figure 2, Figure 8; etcd's raftLog.maybeCommit): commits `index`
   * only if the entry there is of `term` (the leader's current term); an entry of an earlier
   * term is committed only indirectly, by a later entry of the current term. False when the
   * commit index did not move.
   */
  maybeCommit(index: Index, term: Term): boolean {
    if (index <= this.committed || this.term(index) !== term) return false
    return this.commitTo(index)
  }

  commitTo(i: Index): boolean {
    if (i <= this.committed) return false
    if (i > this.lastIndex())
      throw new Error(`invariant: commit ${i} beyond last index ${this.lastIndex()}`)
    this.committed = i
    return true
  }

  /** Entries not yet handed out for persistence (never packed: packed entries are durable). */
  unstableEntries(): Entry[] {
    const out = this.ents.slice(this.inProgress - this.hotBase)
    if (out.length >= RaftLog.adoptMin) {
      // Described as segments, so that storage keeps them: the received segments that cover
      // them, or else (none overlaps them) one packed here, which the log keeps for itself too.
      const from = this.inProgress + 1
      const pieces = this.received.cover(from, this.lastIndex()) ?? this.received.packOwn(out, from)
      if (pieces !== undefined) describePacked(out, pieces)
    }
    return out
  }

  /**
   * Committed entries not yet handed out for applying. They are durable on a majority (a commit
   * counts only durable copies, bug #9), though perhaps not yet here.
   */
  nextCommitted(): Entry[] {
    if (this.committed <= this.applying) return []
    return this.slice(this.applying + 1, this.committed + 1)
  }

  hasNextCommitted(): boolean {
    return this.committed > this.applying
  }

  /** The unstable entries up to `index` were handed out in a Ready (being written now). */
  acceptInProgress(index: Index): void {
    this.inProgress = index
  }

  /** The committed entries up to `index` were handed out for applying. */
  acceptApplying(index: Index): void {
    this.applying = index
  }

  /** The snapshot received from the leader was handed out in a Ready. */
  acceptSnapshot(): void {
    this.pendingSnapshot = undefined
  }

  /** The driver made entries up to (index, term) durable; ignored if the log changed since. */
  stableTo(index: Index, term: Term): void {
    if (index > this.stable && this.matchTerm(index, term)) {
      this.stable = index
      this.inProgress = Math.max(this.inProgress, index)
      this.maybePack()
    }
  }

  appliedTo(i: Index): void {
    if (i > this.applied) {
      this.applied = Math.min(i, this.applying)
      this.maybePack()
    }
  }

  /**
   * Installs a snapshot from the leader: keeps the entries after it if our log has its last
   * entry, otherwise discards the whole log (Figure 13, steps 6-7). True when it kept entries.
   */
  restore(s: Snapshot): boolean {
    const { index, term } = s.meta
    const keep = this.matchTerm(index, term) && index <= this.lastIndex()
    if (keep) {
      this.dropThrough(index)
      this.stable = Math.max(this.stable, index)
      this.inProgress = Math.max(this.inProgress, index)
    } else {
      this.packed.clear()
      this.received.clear()
      this.ents = []
      this.hotBase = index
      this.stable = index
      this.inProgress = index
    }
    this.snap = s
    this.pendingSnapshot = s
    this.committed = Math.max(this.committed, index)
    this.applying = Math.max(this.applying, index)
    return keep
  }

  /** Service-driven compaction at an applied index; returns the new snapshot. */
  compact(index: Index, data: Uint8Array, membership?: Membership): Snapshot {
    if (index <= this.snapshotIndex)
      throw new CompactedError(
        `index ${index} is already covered by the snapshot at ${this.snapshotIndex}`,
      )
    if (index > this.applied)
      throw new RangeError(`cannot compact at ${index}: only ${this.applied} is applied`)
    if (index > this.stable)
      throw new RangeError(`cannot compact at ${index}: only ${this.stable} is durable here`)
    const term = this.term(index) ?? 0
    this.dropThrough(index)
    this.snap = { meta: membership ? { index, term, membership } : { index, term }, data }
    return this.snap
  }

  // --- packed part ----------------------------------------------------------------------------

  /** Moves applied, durable entries to the packed part once there are packMin of them. */
  private maybePack(): void {
    const upTo = Math.min(this.applied, this.stable, this.lastIndex())
    const n = upTo - this.hotBase
    if (n < RaftLog.packMin || n <= 0) return
    const hot = this.hotBase
    this.received.packInto(this.packed.list, hot + 1, upTo, RaftLog.adoptMin, (lo, hi) =>
      pack(this.ents, lo - hot - 1, hi - hot),
    )
    this.ents = this.ents.slice(n)
    this.hotBase = upTo
    this.received.dropThrough(upTo)
  }

  /** Drops every entry up to and including `index` (which is in the log or below it). */
  private dropThrough(index: Index): void {
    if (index >= this.hotBase) {
      this.ents = this.ents.slice(Math.min(index - this.hotBase, this.ents.length))
      this.hotBase = Math.max(this.hotBase, index)
      this.packed.clear()
      this.received.dropThrough(index)
    } else {
      this.packed.dropThrough(index)
    }
  }
}
