/**
 * The lab tester's record of what every server applied (config.go `logs`, `lastApplied`,
 * `maxIndex`), and the checks made on each apply. Records survive a restart (a restarted
 * server re-applies from index 1, and each value must equal the old one) unless a snapshot
 * replaces them.
 */
import type { Applied } from './values.js'
import { decodeSnapshot, sameValue, show } from './values.js'

export class AppliedLogs {
  private readonly logs: Array<Map<number, Applied>>
  /** Per server: the last index applied by its current incarnation (applierSnap order check). */
  readonly lastApplied: number[]
  /** The highest index any server has applied. */
  maxIndex = 0

  constructor(readonly n: number) {
    this.logs = Array.from({ length: n }, () => new Map<number, Applied>())
    this.lastApplied = Array.from({ length: n }, () => 0)
  }

  /** Server i's applied log (index -> value). */
  log(i: number): ReadonlyMap<number, Applied> {
    return this.at(i)
  }

  /**
   * Checks `value` at `index` against every server's record (server i's earlier life
   * included), then records it. Returns the first problem found, or null.
   */
  record(i: number, index: number, value: Applied): string | null {
    const conflict = this.crossCheck(i, index, value)
    const log = this.at(i)
    const prevOk = index <= 1 || log.has(index - 1)
    log.set(index, value)
    if (index > this.maxIndex) this.maxIndex = index
    if (conflict !== null) return conflict
    if (!prevOk) return `server ${i} apply out of order ${index}`
    return null
  }

  /** The cross-server comparison alone, without recording. */
  crossCheck(i: number, index: number, value: Applied): string | null {
    for (let j = 0; j < this.n; j++) {
      const old = this.at(j).get(index)
      if (old !== undefined && !sameValue(old, value))
        return `commit index=${index} server=${i} ${show(value)} != server=${j} ${show(old)}`
    }
    return null
  }

  /**
   * applierSnap's ingestion: decodes the snapshot, replaces server i's record with its
   * contents and sets lastApplied. Returns an error when the snapshot is not in the expected
   * format or its index disagrees with the ApplyMsg's.
   */
  ingestSnapshot(i: number, bytes: Uint8Array, index: number): string | null {
    const snap = decodeSnapshot(bytes)
    if (snap === null) return `server ${i}: snapshot Decode() error`
    if (snap.index !== index)
      return `server ${i}: snapshot doesn't match m.SnapshotIndex (${snap.index} != ${index})`
    this.logs[i] = snap.log
    this.lastApplied[i] = index
    return null
  }

  /**
   * How many servers have applied `index`, and the value. Throws when two servers applied
   * different values there ("committed values do not match").
   */
  committed(index: number): { count: number; value: Applied } {
    let count = 0
    let value: Applied = undefined
    for (let i = 0; i < this.n; i++) {
      const log = this.at(i)
      if (!log.has(index)) continue
      const v = log.get(index)
      if (count > 0 && !sameValue(value, v))
        throw new Error(`committed values do not match: index ${index}, ${show(value)}, ${show(v)}`)
      count++
      value = v
    }
    return { count, value }
  }

  private at(i: number): Map<number, Applied> {
    const log = this.logs[i]
    if (log === undefined) throw new RangeError(`no server ${i}`)
    return log
  }
}
