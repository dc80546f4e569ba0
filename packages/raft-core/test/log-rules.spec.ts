/**
 * RaftLog's own rules, one by one (what callers rely on: indexes never move back, invariants
 * throw, compaction stays within what is applied and durable), and a differential property:
 * packing entries (RaftLog.packMin), and keeping received packed segments instead of copying
 * (RaftLog.adoptMin, entries made by copyEntriesPacked), is never observable, whatever the
 * operations.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { CompactedError } from '../src/errors.js'
import { RaftLog } from '../src/log.js'
import { copyEntriesPacked, entryOf, packedSegmentsOf } from '../src/packed-entries.js'
import type { Entry } from '../src/types.js'

const e = (index: number, term: number): Entry => ({
  index,
  term,
  kind: 'command',
  data: new Uint8Array([index & 0xff, term]),
})
const run = (lo: number, hi: number, term: number): Entry[] =>
  Array.from({ length: hi - lo + 1 }, (_, i) => e(lo + i, term))
const plain = (es: readonly Entry[]) =>
  es.map((x) => `${x.index}@${x.term}:${[...x.data].join('.')}`)

/** 1..n of `term`, durable, committed, applied up to `applied`. */
function log(n: number, term = 1, applied = 0): RaftLog {
  const l = new RaftLog(undefined, [], 0)
  l.append(run(1, n, term))
  l.stableTo(n, term)
  l.commitTo(applied)
  l.acceptApplying(applied)
  l.appliedTo(applied)
  return l
}
const snapshotAt = (index: number, term: number) => ({
  meta: { index, term },
  data: new Uint8Array([index]),
})

describe('RaftLog rules', () => {
  it('append refuses an entry that does not continue the log', () => {
    const l = log(3)
    expect(() => l.append([e(5, 1)])).to.throw(/invariant/)
    expect(() => l.append([e(3, 1)])).to.throw(/invariant/)
    expect(l.lastIndex()).to.equal(3)
  })

  it('slice refuses a range past the end or reversed with RangeError, and a compacted start with CompactedError', () => {
    const l = log(5, 1, 5)
    expect(() => l.slice(2, 8)).to.throw(RangeError)
    expect(() => l.slice(4, 3)).to.throw(RangeError)
    expect(l.slice(6, 6)).to.deep.equal([])
    l.compact(2, new Uint8Array())
    expect(() => l.slice(2, 4)).to.throw(CompactedError)
  })

  it('slice after a snapshot returns exactly the range asked for, with and without a byte limit', () => {
    const l = log(5, 1, 5)
    l.append(run(6, 12, 2))
    l.compact(4, new Uint8Array())
    expect(plain(l.slice(6, 9))).to.deep.equal(plain(run(6, 8, 2)))
    expect(plain(l.slice(6, 9, 1_000_000))).to.deep.equal(plain(run(6, 8, 2)))
    expect(l.slice(5, 13, (2 + 16) * 2).map((x) => x.index)).to.deep.equal([5, 6])
  })

  it('commitTo never moves the commit index back, refuses one past the log, and says whether it moved', () => {
    const l = log(5)
    expect(l.commitTo(3)).to.equal(true)
    expect(l.commitTo(3)).to.equal(false)
    expect(l.commitTo(2)).to.equal(false)
    expect(l.committed).to.equal(3)
    expect(() => l.commitTo(6)).to.throw(/invariant/)
    expect(l.committed).to.equal(3)
  })

  it('maybeCommit commits an index only when its entry has the given (current) term (Figure 8)', () => {
    const l = new RaftLog(undefined, [], 0)
    l.append([...run(1, 2, 1), ...run(3, 4, 2)])
    expect(l.maybeCommit(2, 2)).to.equal(false) // entry 2 is of term 1: not by counting replicas
    expect(l.committed).to.equal(0)
    expect(l.maybeCommit(4, 2)).to.equal(true) // an entry of term 2 commits everything before it
    expect(l.committed).to.equal(4)
    expect(l.maybeCommit(3, 2)).to.equal(false) // never back
    expect(l.committed).to.equal(4)
  })

  it('stableTo never moves back and ignores an index whose term changed meanwhile (bug #10)', () => {
    const l = new RaftLog(undefined, [], 0)
    l.append(run(1, 5, 1))
    l.stableTo(4, 1)
    expect(l.stable).to.equal(4)
    l.stableTo(2, 1)
    expect(l.stable).to.equal(4)
    l.stableTo(5, 2) // entry 5 has term 1: an old write's completion
    expect(l.stable).to.equal(4)
  })

  it('appliedTo never moves back and never past what was handed out (applying)', () => {
    const l = log(5)
    l.commitTo(5)
    l.acceptApplying(3)
    l.appliedTo(5)
    expect(l.applied).to.equal(3)
    l.appliedTo(1)
    expect(l.applied).to.equal(3)
  })

  it('compact refuses an index above what is applied or above what is durable here', () => {
    const l = log(5, 1, 4)
    expect(() => l.compact(5, new Uint8Array())).to.throw(RangeError, /applied/)
    const m = new RaftLog(undefined, [], 0)
    m.append(run(1, 5, 1))
    m.stableTo(2, 1)
    m.commitTo(5)
    m.acceptApplying(5)
    m.appliedTo(5)
    expect(() => m.compact(4, new Uint8Array())).to.throw(RangeError, /durable/)
    expect(m.compact(2, new Uint8Array()).meta).to.deep.include({ index: 2, term: 1 })
  })

  it('a conflicting AppendEntries truncates: what was durable past the conflict is not durable any more', () => {
    const l = log(5, 1, 2)
    expect(l.maybeAppend(3, 1, [e(4, 2)])).to.equal(4)
    expect(l.lastIndex()).to.equal(4)
    expect(l.stable).to.equal(3)
    expect(plain(l.unstableEntries())).to.deep.equal(plain([e(4, 2)]))
    expect(() => l.maybeAppend(1, 1, [e(2, 3)])).to.throw(/committed/) // 2 is committed
  })

  it('entries already in the log (same index and term) are not appended again: nothing becomes unstable', () => {
    const l = log(5, 1)
    expect(l.maybeAppend(2, 1, run(3, 5, 1))).to.equal(5)
    expect(l.stable).to.equal(5)
    expect(l.unstableEntries()).to.deep.equal([])
  })

  it('firstIndexOfTerm and lastIndexOfTerm stop at the snapshot (which answers for its own index)', () => {
    const l = log(5, 2, 5)
    l.append(run(6, 8, 2))
    l.append(run(9, 10, 3))
    l.stableTo(10, 3)
    l.compact(5, new Uint8Array())
    expect(l.firstIndexOfTerm(7)).to.equal(6)
    expect(l.lastIndexOfTerm(2)).to.equal(8)
    expect(l.lastIndexOfTerm(3)).to.equal(10)
    expect(l.lastIndexOfTerm(1)).to.equal(undefined)
    const onlySnapshot = log(5, 2, 5)
    onlySnapshot.append(run(6, 7, 3))
    onlySnapshot.stableTo(7, 3)
    onlySnapshot.compact(5, new Uint8Array())
    expect(onlySnapshot.lastIndexOfTerm(2)).to.equal(5)
    expect(new RaftLog(undefined, [], 0).lastIndexOfTerm(0)).to.equal(undefined)
  })

  it('restore keeps the entries after a snapshot it has the last entry of, with stable and inProgress at least there', () => {
    const l = new RaftLog(undefined, [], 0)
    l.append(run(1, 8, 1))
    l.stableTo(3, 1)
    expect(l.restore(snapshotAt(5, 1))).to.equal(true)
    expect(l.firstIndex()).to.equal(6)
    expect(plain(l.slice(6, 9))).to.deep.equal(plain(run(6, 8, 1)))
    expect(l.stable).to.equal(5)
    expect(plain(l.unstableEntries())).to.deep.equal(plain(run(6, 8, 1)))
    expect(l).to.include({ committed: 5, applying: 5 })
  })

  it('restore discards the whole log when its entry at the snapshot index has another term', () => {
    const l = new RaftLog(undefined, [], 0)
    l.append(run(1, 8, 1))
    expect(l.restore(snapshotAt(5, 2))).to.equal(false)
    expect(l.lastIndex()).to.equal(5)
    expect(l.term(6)).to.equal(undefined)
    expect(l.term(5)).to.equal(2)
  })
})

describe('RaftLog rules: errors and hand-outs', () => {
  it('its errors name the index asked for and the bounds of the log', () => {
    const l = log(8, 1, 6)
    l.compact(3, new Uint8Array())
    expect(() => l.slice(2, 5)).to.throw(CompactedError, 'index 2 is compacted (log starts at 4)')
    expect(() => l.slice(5, 10)).to.throw(RangeError, 'range [5, 10) is outside the log [4, 9)')
    expect(() => l.compact(3, new Uint8Array())).to.throw(
      CompactedError,
      'index 3 is already covered by the snapshot at 3',
    )
  })

  it('entries handed out for persistence are not handed out again while their write is in flight (pipelining)', () => {
    const l = new RaftLog(undefined, [], 0)
    l.append(run(1, 3, 1))
    expect(plain(l.unstableEntries())).to.deep.equal(plain(run(1, 3, 1)))
    l.acceptInProgress(3)
    expect(l.unstableEntries()).to.deep.equal([])
    l.append(run(4, 4, 1))
    expect(plain(l.unstableEntries())).to.deep.equal(plain(run(4, 4, 1)))
    expect(l.stable, 'nothing is durable yet').to.equal(0)
  })
})

describe('RaftLog rules: compaction inside the packed part', () => {
  /** 1..12 (terms 1 then 2 from 7), durable and applied up to 10, packed in two segments. */
  function packedLog(): RaftLog {
    const saved = RaftLog.packMin
    RaftLog.packMin = 2
    try {
      const l = new RaftLog(undefined, [], 0)
      l.append([...run(1, 6, 1), ...run(7, 12, 2)])
      l.stableTo(12, 2)
      l.commitTo(10)
      for (const upTo of [5, 10]) {
        l.acceptApplying(upTo)
        l.appliedTo(upTo) // packs 1..5, then 6..10
      }
      return l
    } finally {
      RaftLog.packMin = saved
    }
  }

  for (const at of [3, 5, 6, 8, 10])
    it(`compact(${at}) keeps exactly the entries after ${at}, whatever segment it falls in`, () => {
      const l = packedLog()
      const snap = l.compact(at, new Uint8Array([at]))
      expect(snap.meta).to.deep.equal({ index: at, term: at < 7 ? 1 : 2 })
      expect(l.firstIndex()).to.equal(at + 1)
      expect(plain(l.slice(at + 1, 13))).to.deep.equal(
        plain([...run(1, 6, 1), ...run(7, 12, 2)].slice(at)),
      )
      expect(l.term(at)).to.equal(at < 7 ? 1 : 2)
      expect(() => l.slice(at, 13)).to.throw(CompactedError)
      if (at === 10) return
      // A second compaction further on, in the same or the next segment.
      l.compact(at + 1, new Uint8Array())
      expect(plain(l.slice(at + 2, 13))).to.deep.equal(
        plain([...run(1, 6, 1), ...run(7, 12, 2)].slice(at + 1)),
      )
    })
})

// --- packing is never observable --------------------------------------------------------------

type Op =
  | { kind: 'leaderAppend'; n: number; termUp: number }
  | { kind: 'followerAppend'; prev: number; n: number; termUp: number; packedCopy: boolean }
  | { kind: 'commit'; upTo: number }
  | { kind: 'apply'; upTo: number }
  | { kind: 'stable'; upTo: number }
  | { kind: 'compact'; at: number }
  | { kind: 'restore'; at: number; termUp: number; matching: boolean }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('leaderAppend' as const),
      n: fc.integer({ min: 1, max: 6 }),
      termUp: fc.integer({ min: 0, max: 1 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('followerAppend' as const),
      prev: fc.nat(40),
      n: fc.integer({ min: 0, max: 6 }),
      termUp: fc.integer({ min: 0, max: 1 }),
      packedCopy: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('commit' as const), upTo: fc.nat(8) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('apply' as const), upTo: fc.nat(8) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('stable' as const), upTo: fc.nat(8) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), at: fc.nat(100) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('restore' as const),
      at: fc.nat(60),
      termUp: fc.integer({ min: 0, max: 1 }),
      matching: fc.boolean(),
    }),
  },
)

/**
 * Applies `op` to `l` with RaftLog.packMin set to `packMin`; returns a trace of what it said.
 * With `adopt`, a follower append with `packedCopy` hands over copyEntriesPacked's copy and the
 * log keeps received segments of any length (adoptMin 1).
 */
function apply(l: RaftLog, op: Op, packMin: number, adopt = false): string {
  const saved = [RaftLog.packMin, RaftLog.adoptMin] as const
  RaftLog.packMin = packMin
  RaftLog.adoptMin = adopt ? 1 : 1_000_000
  try {
    const last = l.lastIndex()
    const lastTerm = l.lastTerm()
    switch (op.kind) {
      case 'leaderAppend':
        l.append(run(last + 1, last + op.n, Math.max(1, lastTerm) + op.termUp))
        return 'ok'
      case 'followerAppend': {
        const prev = Math.min(op.prev, last)
        const prevTerm = l.term(prev)
        if (prevTerm === undefined) return 'compacted'
        const t = Math.max(1, lastTerm) + op.termUp
        const entries = run(prev + 1, prev + op.n, t)
        const conflict = entries[l.firstNew(entries)]
        if (conflict !== undefined && conflict.index <= l.committed) return 'would conflict'
        const given = adopt && op.packedCopy ? copyEntriesPacked(entries) : entries
        return String(l.maybeAppend(prev, prevTerm, given))
      }
      case 'commit':
        return String(l.commitTo(Math.min(l.committed + op.upTo, last)))
      case 'apply': {
        const upTo = Math.min(l.applied + op.upTo, l.committed)
        l.acceptApplying(Math.max(l.applying, upTo))
        l.appliedTo(upTo)
        return 'ok'
      }
      case 'stable': {
        const upTo = Math.min(l.stable + op.upTo, last)
        l.stableTo(upTo, l.term(upTo) ?? 0)
        return 'ok'
      }
      case 'compact': {
        const upTo = Math.min(l.applied, l.stable)
        if (upTo <= l.snapshotIndex) return 'nothing to compact'
        const at = l.snapshotIndex + 1 + (op.at % (upTo - l.snapshotIndex))
        return JSON.stringify(l.compact(at, new Uint8Array([at])).meta)
      }
      case 'restore': {
        const at = l.committed + 1 + (op.at % 12)
        const t =
          op.matching && l.term(at) !== undefined
            ? (l.term(at) as number)
            : lastTerm + 1 + op.termUp
        return String(l.restore(snapshotAt(at, t)))
      }
    }
  } finally {
    ;[RaftLog.packMin, RaftLog.adoptMin] = saved
  }
}

/** Everything observable about `l`. */
function view(l: RaftLog, adopt: boolean): string {
  const first = l.firstIndex()
  const last = l.lastIndex()
  const terms: string[] = []
  for (let i = Math.max(0, first - 2); i <= last + 1; i++) terms.push(`${i}:${l.term(i)}`)
  const mid = first + Math.floor((last - first) / 2)
  return JSON.stringify({
    first,
    last,
    snapshot: [l.snapshotIndex, l.snapshotTerm],
    indexes: [l.committed, l.applying, l.applied, l.stable, l.inProgress],
    terms,
    all: last >= first ? plain(l.slice(first, last + 1)) : [],
    tail: last >= first ? plain(l.slice(mid, last + 1)) : [],
    limited: last >= first ? l.slice(first, last + 1, 18 * 3).map((x) => x.index) : [],
    unstable: plain(unstable(l, adopt)),
    next: plain(l.nextCommitted()),
    firstOfTerm: last >= first ? l.firstIndexOfTerm(last) : null,
    lastOfTerms: [1, 2, 3, 4, 5, 6].map((t) => l.lastIndexOfTerm(t) ?? null),
  })
}

/**
 * The unstable entries, read as storage reads them: through their packed segments if described.
 * Only the log under test (`adopt`) describes them; the reference log hands out its plain entries.
 */
function unstable(l: RaftLog, adopt: boolean): Entry[] {
  const saved = RaftLog.adoptMin
  RaftLog.adoptMin = adopt ? 1 : 1_000_000
  try {
    const out = l.unstableEntries()
    const segs = packedSegmentsOf(out)
    if (segs === undefined) return out
    return segs.flatMap((s) => {
      const es: Entry[] = []
      for (let p = s.lo; p < s.hi; p++) es.push(entryOf(s, s.base + p))
      return es
    })
  } finally {
    RaftLog.adoptMin = saved
  }
}

describe('RaftLog: packing is never observable', () => {
  it('the same operations on a log that packs eagerly and keeps received segments, and on one that never packs, give the same answers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(opArb, fc.integer({ min: 1, max: 3 })), { minLength: 30, maxLength: 80 }),
        (ops) => {
          const packed = new RaftLog(undefined, [], 0)
          const plainLog = new RaftLog(undefined, [], 0)
          for (const [op, packMin] of ops) {
            const a = apply(packed, op, packMin, true)
            const b = apply(plainLog, op, 1_000_000)
            expect(a, JSON.stringify(op)).to.equal(b)
            expect(view(packed, true), JSON.stringify(op)).to.equal(view(plainLog, false))
          }
        },
      ),
      { numRuns: 100 },
    )
  })
})
