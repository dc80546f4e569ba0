/**
 * Received segments: packed segments (packed-entries.ts) that a follower's hot log entries view
 * because they arrived that way (an AppendEntries the copying network made with
 * copyEntriesPacked). RaftLog keeps them so that it packs those entries, and hands them to
 * storage, by keeping the segment instead of copying every payload again. A leaf: it knows index
 * ranges and segments, not the log.
 */
import type { PackedEntries } from './packed-entries.js'
import { firstOf, lastOf, pack, packedSegmentsOf } from './packed-entries.js'
import type { Entry, Index } from './types.js'

export class ReceivedSegments {
  /** Own objects (sharing the segments' arrays); sorted, not overlapping. */
  private runs: PackedEntries[] = []

  /**
   * Keeps the segment `entries` view (they were appended from position k on, at the log's end)
   * when it covers at least `min` of the appended entries.
   */
  add(entries: readonly Entry[], k: number, min: number): void {
    if (entries.length - k < min) return
    const segs = packedSegmentsOf(entries)
    if (segs === undefined || segs.length !== 1) return
    const s = segs[0] as PackedEntries
    this.runs.push({ ...s, lo: s.lo + k })
  }

  /** Forgets every position after `index` (the log was truncated there). */
  trimAfter(index: Index): void {
    const runs = this.runs
    while (runs.length > 0) {
      const r = runs[runs.length - 1] as PackedEntries
      if (firstOf(r) <= index) {
        if (lastOf(r) > index) r.hi = index - r.base + 1
        return
      }
      runs.pop()
    }
  }

  /**
   * Forgets segments that end at or before `index` (packed or dropped); one that straddles it
   * stays whole, since packInto and cover only read the positions they are asked for.
   */
  dropThrough(index: Index): void {
    const runs = this.runs
    let k = 0
    while (k < runs.length && lastOf(runs[k] as PackedEntries) <= index) k++
    if (k > 0) this.runs = runs.slice(k)
  }

  clear(): void {
    this.runs = []
  }

  /**
   * Appends entries [from, to] to `out` as packed segments, in order: pieces of kept segments of
   * at least `min` entries (new objects sharing their arrays), and `copy(lo, hi)` for each range
   * between them.
   */
  packInto(
    out: PackedEntries[],
    from: Index,
    to: Index,
    min: number,
    copy: (lo: Index, hi: Index) => PackedEntries,
  ): void {
    let next = from
    for (const run of this.runs) {
      if (next > to) return
      const lo = Math.max(next, firstOf(run))
      const hi = Math.min(to, lastOf(run))
      if (hi - lo + 1 < min) continue
      if (lo > next) out.push(copy(next, lo - 1))
      out.push({ ...run, lo: lo - run.base, hi: hi - run.base + 1 })
      next = hi + 1
    }
    if (next <= to) out.push(copy(next, to))
  }

  /**
   * Packs `entries` (consecutive from `from`, the log's last ones) into a new segment and keeps
   * it, when no kept segment reaches `from`; returns it as one piece, or undefined.
   */
  packOwn(entries: readonly Entry[], from: Index): PackedEntries[] | undefined {
    const last = this.runs[this.runs.length - 1]
    if (last !== undefined && lastOf(last) >= from) return undefined
    const s = pack(entries)
    this.runs.push(s)
    return [{ ...s }]
  }

  /** Pieces (new objects) of kept segments covering exactly [from, to], or undefined. */
  cover(from: Index, to: Index): PackedEntries[] | undefined {
    let next = from
    const pieces: PackedEntries[] = []
    for (const run of this.runs) {
      if (next > to) break
      if (lastOf(run) < next) continue
      if (firstOf(run) > next) return undefined
      const hi = Math.min(to, lastOf(run))
      pieces.push({ ...run, lo: next - run.base, hi: hi - run.base + 1 })
      next = hi + 1
    }
    return next > to ? pieces : undefined
  }
}
