/**
 * ReplayLog (replay-log.ts), recovery's log in columns, against LogState: the same random ops —
 * snapshots that keep or drop the log, appends that truncate a suffix, ops that do not apply —
 * applied to both, read from record bytes (readOpAt) or decoded by decodeOp, must give the same
 * errors and the same final state, with every kept entry owning its data.
 */
import { expect } from 'chai'
import { createRng } from '@raftkit/raft-core'
import type { Entry, EntryKind, HardState, Rng } from '@raftkit/raft-core'
import type { LogOp } from '../src/log-state.js'
import { LogState } from '../src/log-state.js'
import { readOpAt } from '../src/op-decode.js'
import { opRecord } from '../src/op-record.js'
import { HEADER_BYTES } from '../src/record.js'
import { ReplayLog } from '../src/replay-log.js'
import { decodeOp } from '../src/wal-codec.js'

const KINDS: EntryKind[] = ['command', 'noop', 'config']

function randomEntries(rng: Rng, first: number, n: number): Entry[] {
  return Array.from({ length: n }, (_, i) => ({
    index: first + i,
    term: 1 + rng.int(4),
    kind: KINDS[rng.int(3)]!,
    data: Uint8Array.from({ length: rng.int(40) }, () => rng.int(256)),
  }))
}

/** An op near the log's bounds: most apply, some do not (a gap, compacted indexes, an old snapshot). */
function randomOp(rng: Rng, log: LogState): LogOp {
  const lo = log.snapshotIndex
  const hi = log.lastIndex
  const around = (): number => Math.max(0, lo - 2 + rng.int(hi - lo + 6))
  let snapshot
  if (rng.int(6) === 0) {
    const index = around()
    snapshot = { index, term: rng.int(3) === 0 ? 1 + rng.int(4) : (log.termAt(index) ?? 1) }
  }
  const first = Math.max(1, around())
  const hardState: HardState = {
    term: rng.int(9),
    votedFor: rng.int(3) === 0 ? null : `n${rng.int(5)}`,
    commit: rng.int(500),
  }
  return {
    ...(snapshot ? { snapshot } : {}),
    ...(rng.int(5) > 0 ? { entries: randomEntries(rng, first, 1 + rng.int(6)) } : {}),
    ...(rng.int(2) === 0 ? { hardState } : {}),
  }
}

/** `f`'s error message, or undefined if it returned. */
function failure(f: () => void): string | undefined {
  try {
    f()
    return undefined
  } catch (e) {
    return (e as Error).message
  }
}

const plain = (s: LogState): unknown => ({
  snapshot: s.snapshot,
  hardState: s.hardState,
  entryBytes: s.entryBytes,
  entries: s.entries.map((e) => ({ ...e, data: Buffer.from(e.data).toString('hex') })),
})

describe('ReplayLog: recovery applies ops as LogState does', function () {
  it("gives LogState's errors and final state on 300 random runs of 200 ops, by either decoding", function () {
    const rng = createRng(77)
    let failed = 0
    for (let run = 0; run < 300; run++) {
      // A checkpoint's state to start from (entries as views into a larger buffer, as decoded).
      const base = rng.int(3) === 0 ? null : { index: rng.int(50), term: 1 }
      const start = randomEntries(rng, (base?.index ?? 0) + 1, rng.int(10))
      const hard: HardState = { term: 1, votedFor: 'n1', commit: 0 }
      const ref = LogState.from(base, start.slice(), hard)
      // Small columns in some runs, so they are moved and grown often.
      const log = new ReplayLog(base, start, hard, rng.int(2) === 0 ? 1 + rng.int(8) : 1024)
      for (let i = 0; i < 200; i++) {
        const op = randomOp(rng, ref)
        const want = failure(() => {
          ref.check(op)
          ref.apply(op)
        })
        // The record inside a larger buffer, as in a segment.
        const record = opRecord(op)
        const pad = rng.int(9)
        const seg = Buffer.concat([Buffer.alloc(pad, 0xee), record, Buffer.alloc(rng.int(9))])
        const from = pad + HEADER_BYTES
        const to = pad + record.length
        const got = failure(() => {
          if (rng.int(4) > 0 && readOpAt(seg, from, to)) log.applyScanned(seg)
          else log.applyOp(decodeOp(seg.subarray(from, to)))
        })
        expect(got, `run ${run}, op ${i}`).to.equal(want)
        if (want) failed++
      }
      const state = log.toLogState()
      expect(plain(state), `run ${run}`).to.deep.equal(plain(ref))
      for (const e of state.entries) {
        expect(e.data.constructor, 'a plain Uint8Array').to.equal(Uint8Array)
        expect(e.data.buffer.byteLength, 'its own buffer').to.equal(e.data.length)
      }
    }
    expect(failed, 'ops that do not apply').to.be.greaterThan(1000)
  })
})
