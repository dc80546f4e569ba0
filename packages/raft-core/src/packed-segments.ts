/**
 * PackedSegments: the log's packed part (RaftLog's entries (snapshotIndex, hotBase]) as packed
 * segments (packed-entries.ts), consecutive and oldest first. It finds the segment holding an
 * index, remembering the one found last (term lookups walk neighbours), and drops a prefix
 * without writing to any segment object (a segment that straddles the cut is replaced by a new
 * object sharing its arrays). A leaf: it knows index ranges and segments, not the log.
 */
import type { PackedEntries } from './packed-entries.js'
import { findPacked, firstOf, lastOf } from './packed-entries.js'
import type { Index } from './types.js'

export class PackedSegments {
  /** Consecutive, oldest first. */
  private segs: PackedEntries[] = []
  /** Position in `segs` of the segment found last. */
  private lastFound = 0

  /** The segments, oldest first; new ones, continuing the last, are pushed here. */
  get list(): PackedEntries[] {
    return this.segs
  }

  /** The segment holding `i`; `i` must be in the packed part (this is not checked). */
  at(i: Index): PackedEntries {
    const segs = this.segs
    const cached = segs[this.lastFound]
    if (cached !== undefined && i >= firstOf(cached) && i <= lastOf(cached)) return cached
    const at = findPacked(segs, i)
    this.lastFound = at
    return segs[at] as PackedEntries
  }

  /**
   * Drops every position up to and including `index`: segments that end there or before go, and
   * one that straddles it is replaced by a new object that starts after it.
   */
  dropThrough(index: Index): void {
    const kept: PackedEntries[] = []
    for (const s of this.segs) {
      if (lastOf(s) <= index) continue
      kept.push(firstOf(s) <= index ? { ...s, lo: index - s.base + 1 } : s)
    }
    this.segs = kept
    this.lastFound = 0
  }

  /** Drops every segment. */
  clear(): void {
    this.segs = []
    this.lastFound = 0
  }
}
