/**
 * Follower side of a chunked InstallSnapshot transfer: reassembles the chunks of one snapshot
 * from one leader. A chunk is accepted only at the offset equal to the bytes received so far;
 * duplicates and out-of-order chunks are answered with that offset so the leader resends from
 * there. A transfer is keyed by leader, term and snapshot (index, term): two leaders may
 * serialize the same index differently, so their chunks must never be mixed.
 */
import type { InstallSnapshot } from './messages.js'

export interface ChunkResult {
  /** The next byte offset expected. */
  readonly nextOffset: number
  /** The whole snapshot, once its last chunk arrived. */
  readonly data?: Uint8Array
}

export class SnapshotReceiver {
  private key: string | undefined
  private chunks: Uint8Array[] = []
  private received = 0

  accept(m: InstallSnapshot): ChunkResult {
    const key = `${m.from}/${m.term}/${m.lastIncludedIndex}/${m.lastIncludedTerm}/${m.totalBytes}`
    if (key !== this.key) {
      // A chunk of another transfer: only its first chunk may start a new reassembly.
      if (m.offset !== 0) return { nextOffset: 0 }
      this.reset()
      this.key = key
    }
    if (m.offset === this.received) {
      this.chunks.push(m.data.slice())
      this.received += m.data.byteLength
    }
    if (!m.done || this.received < m.totalBytes || m.offset + m.data.byteLength !== m.totalBytes)
      return { nextOffset: this.received }
    const data = concat(this.chunks, this.received)
    this.reset()
    return { nextOffset: data.byteLength, data }
  }

  reset(): void {
    this.key = undefined
    this.chunks = []
    this.received = 0
  }
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}
