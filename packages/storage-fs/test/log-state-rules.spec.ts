/**
 * The logical state every WAL record applies to (log-state.ts), live and on replay: which ops
 * are refused (a snapshot older than the stored one, entries at compacted indexes, a gap), how
 * a snapshot keeps or drops the entries after it, how an append truncates a conflicting
 * suffix, and that the entry byte count FileStorage.size() reports follows every change.
 */
import { expect } from 'chai'
import type { Entry } from '@raftkit/raft-core'
import { StorageError } from '@raftkit/raft-core'
import { LogState, entrySize } from '../src/log-state.js'
import type { LogOp } from '../src/log-state.js'
import { createFileStorage } from '../src/index.js'
import { removeDir, tempDir } from './helpers.js'

/** Entry `index` of `term` with `index` bytes of data (so byte counts tell entries apart). */
const e = (index: number, term = 1): Entry => ({
  index,
  term,
  kind: 'command',
  data: new Uint8Array(index),
})
const run = (from: number, to: number, term = 1): Entry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => e(from + i, term))
const ids = (s: LogState): string[] => s.entries.map((x) => `${x.index}@${x.term}`)
const bytes = (es: readonly Entry[]): number => es.reduce((n, x) => n + x.data.length + 12, 0)

function state(op: LogOp, base = new LogState()): LogState {
  base.check(op)
  base.apply(op)
  return base
}

function refusal(s: LogState, op: LogOp): string {
  const before = { ids: ids(s), snapshot: s.snapshot, bytes: s.entryBytes }
  try {
    s.check(op)
  } catch (err) {
    expect(err).to.be.instanceOf(StorageError)
    expect({ ids: ids(s), snapshot: s.snapshot, bytes: s.entryBytes }).to.deep.equal(before)
    return (err as Error).message
  }
  return expect.fail('accepted')
}

describe('log state rules', function () {
  it('counts an entry as its data plus 12 bytes', function () {
    expect(entrySize(e(5))).to.equal(17)
    expect(
      LogState.from(null, run(1, 4), { term: 0, votedFor: null, commit: 0 }).entryBytes,
    ).to.equal(bytes(run(1, 4)))
  })

  it('answers terms at the snapshot index and in the log, nothing past either end', function () {
    const s = state({ snapshot: { index: 3, term: 2 } })
    state({ entries: [e(4, 2), e(5, 3)] }, s)
    expect([2, 3, 4, 5, 6].map((i) => s.termAt(i))).to.deep.equal([undefined, 2, 2, 3, undefined])
    expect(s.lastIndex).to.equal(5)
    expect(new LogState().termAt(0)).to.equal(0)
  })

  it('refuses entries at compacted indexes, a gap, and a snapshot older than the stored one', function () {
    const s = state({ snapshot: { index: 3, term: 1 }, entries: run(4, 6) })
    expect(refusal(s, { entries: [e(3)] })).to.equal(
      'cannot write entry 3: indexes up to 3 are compacted',
    )
    expect(refusal(s, { entries: [e(8)] })).to.equal(
      'entries start at 8 but the log ends at 6: a gap',
    )
    expect(refusal(s, { snapshot: { index: 2, term: 1 } })).to.equal(
      'snapshot at index 2 is older than the stored snapshot at 3',
    )
    // Judged after the op's own snapshot: it moves the compacted prefix and the log's end.
    expect(refusal(s, { snapshot: { index: 5, term: 1 }, entries: [e(5)] })).to.equal(
      'cannot write entry 5: indexes up to 5 are compacted',
    )
    expect(refusal(s, { snapshot: { index: 5, term: 9 }, entries: [e(7)] })).to.equal(
      'entries start at 7 but the log ends at 5: a gap',
    )
    // Accepted at the edges: right after the snapshot, right after the end, the same snapshot.
    for (const op of [
      { entries: [e(4, 2)] },
      { entries: [e(7)] },
      { snapshot: { index: 3, term: 1 } },
      { snapshot: { index: 9, term: 1 }, entries: [e(10)] },
      { snapshot: { index: 6, term: 1 }, entries: [e(7)] },
      { snapshot: { index: 4, term: 1 }, entries: [e(7)] },
    ])
      expect(() => s.clone().check(op), JSON.stringify(op)).not.to.throw()
  })

  it('a snapshot the log agrees with keeps the entries after it; one it does not drops them all', function () {
    const base = state({ entries: [...run(1, 3, 1), ...run(4, 6, 2)] })
    const kept = state({ snapshot: { index: 4, term: 2 } }, base.clone())
    expect(ids(kept)).to.deep.equal(['5@2', '6@2'])
    expect(kept.entryBytes).to.equal(bytes(run(5, 6)))
    const dropped = state({ snapshot: { index: 4, term: 3 } }, base.clone())
    expect(ids(dropped)).to.deep.equal([])
    expect(dropped.entryBytes).to.equal(0)
    expect(dropped.lastIndex).to.equal(4)
    // Past the end of the log: nothing to keep.
    const beyond = state({ snapshot: { index: 9, term: 2 } }, base.clone())
    expect([ids(beyond), beyond.entryBytes, beyond.lastIndex]).to.deep.equal([[], 0, 9])
    // A second snapshot counts from the first.
    const twice = state({ snapshot: { index: 5, term: 2 } }, kept)
    expect([ids(twice), twice.entryBytes]).to.deep.equal([['6@2'], bytes([e(6)])])
    expect(twice.snapshot).to.deep.equal({ index: 5, term: 2 })
  })

  it('an append overlapping the log replaces the suffix from its first index, byte count included', function () {
    const s = state({ snapshot: { index: 2, term: 1 }, entries: run(3, 8, 1) })
    state({ entries: run(5, 6, 2) }, s)
    expect(ids(s)).to.deep.equal(['3@1', '4@1', '5@2', '6@2'])
    expect(s.entryBytes).to.equal(bytes([...run(3, 4), ...run(5, 6)]))
    state({ entries: [] }, s)
    expect(ids(s)).to.have.length(4)
    state({ entries: [e(3, 3)] }, s)
    expect(ids(s)).to.deep.equal(['3@3'])
    expect(s.entryBytes).to.equal(bytes([e(3)]))
  })

  it('applies the snapshot, then the entries, then the hard state of one op', function () {
    const s = state({ entries: run(1, 4) })
    const hs = { term: 2, votedFor: 'b', commit: 6 }
    state({ snapshot: { index: 4, term: 2 }, entries: [e(5, 2), e(6, 2)], hardState: hs }, s)
    expect(ids(s)).to.deep.equal(['5@2', '6@2'])
    expect(s.hardState).to.equal(hs)
  })

  it('a clone is independent of the state it was taken from', function () {
    const s = state({ entries: run(1, 3) })
    const c = s.clone()
    state({ entries: [e(2, 2)] }, s)
    expect(ids(c)).to.deep.equal(['1@1', '2@1', '3@1'])
    expect(c.entryBytes).to.equal(bytes(run(1, 3)))
  })

  it('FileStorage.size() counts the stored entries and the hard state, before and after a reopen', async function () {
    const dir = await tempDir()
    try {
      const s = await createFileStorage({ dir })
      await s.write({
        entries: run(1, 10),
        hardState: { term: 1, votedFor: 'abc', commit: 2 },
        sync: true,
      })
      await s.write({ entries: run(6, 7, 2), sync: true })
      await s.compact({ meta: { index: 3, term: 1 }, data: new Uint8Array(5) })
      const expected = { raftStateBytes: bytes(run(4, 7)) + 24 + 3, snapshotBytes: 5 }
      expect(s.size()).to.deep.equal(expected)
      await s.close()
      const again = await createFileStorage({ dir })
      expect(again.size()).to.deep.equal(expected)
      await again.close()
    } finally {
      await removeDir(dir)
    }
  })
})
