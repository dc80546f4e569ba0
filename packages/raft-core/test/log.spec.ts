import { expect } from 'chai'
import { CompactedError } from '../src/errors.js'
import { RaftLog } from '../src/log.js'
import type { Entry } from '../src/types.js'

function entry(index: number, term: number): Entry {
  return { index, term, kind: index % 4 === 0 ? 'noop' : 'command', data: new Uint8Array([index]) }
}
function run(lo: number, hi: number, term: (i: number) => number): Entry[] {
  const out: Entry[] = []
  for (let i = lo; i <= hi; i++) out.push(entry(i, term(i)))
  return out
}
const plain = (es: readonly Entry[]) =>
  es.map((e) => ({ index: e.index, term: e.term, kind: e.kind, data: [...e.data] }))

/** Terms 1 for 1..4, 2 for 5..9, 3 for 10..12. */
const termOf = (i: number): number => (i <= 4 ? 1 : i <= 9 ? 2 : 3)

/** A log of 1..12, committed, durable and applied up to `applied`. */
function logWith(applied: number): RaftLog {
  const log = new RaftLog(undefined, [], 0)
  log.append(run(1, 12, termOf))
  log.stableTo(12, 3)
  log.commitTo(applied)
  log.acceptApplying(applied)
  log.appliedTo(applied)
  return log
}

describe('RaftLog (packed prefix)', () => {
  const saved = RaftLog.packMin
  afterEach(() => {
    RaftLog.packMin = saved
  })

  for (const packMin of [1, 3, 1024]) {
    it(`answers the same whether entries are packed or not (packMin ${packMin})`, () => {
      RaftLog.packMin = packMin
      const log = logWith(10)
      for (let i = 0; i <= 13; i++)
        expect(log.term(i), `term(${i})`).to.equal(i <= 12 ? (i === 0 ? 0 : termOf(i)) : undefined)
      expect(plain(log.slice(1, 13))).to.deep.equal(plain(run(1, 12, termOf)))
      expect(plain(log.slice(3, 11))).to.deep.equal(plain(run(3, 10, termOf)))
      // maxBytes: each entry counts 1 + 16 bytes; at least one entry always.
      expect(log.slice(2, 13, 17 * 3).map((e) => e.index)).to.deep.equal([2, 3, 4])
      expect(log.slice(2, 13, 1).map((e) => e.index)).to.deep.equal([2])
      expect(log.firstIndexOfTerm(8)).to.equal(5)
      expect(log.firstIndexOfTerm(3)).to.equal(1)
      expect(log.lastIndexOfTerm(1)).to.equal(4)
      expect(log.lastIndexOfTerm(2)).to.equal(9)
      expect(log.lastIndexOfTerm(4)).to.equal(undefined)
      expect(log.lastIndex()).to.equal(12)
      expect(log.lastTerm()).to.equal(3)
      expect(log.unstableEntries()).to.deep.equal([])
      // The follower path still appends after the packed prefix, and rejects a mismatch.
      expect(log.maybeAppend(12, 3, run(11, 14, () => 3).slice(2))).to.equal(14)
      expect(log.maybeAppend(7, 3, [])).to.equal(undefined)
      expect(log.maybeAppend(7, 2, run(8, 9, termOf))).to.equal(9)
      expect(log.lastIndex()).to.equal(14)
    })

    it(`compacts and restores across the packed prefix (packMin ${packMin})`, () => {
      RaftLog.packMin = packMin
      const log = logWith(10)
      log.compact(6, new Uint8Array([6]))
      expect(log.snapshotIndex).to.equal(6)
      expect(log.term(6)).to.equal(2)
      expect(log.term(5)).to.equal(undefined)
      expect(() => log.slice(6, 8)).to.throw(CompactedError)
      expect(plain(log.slice(7, 13))).to.deep.equal(plain(run(7, 12, termOf)))
      // A snapshot we have the last entry of keeps what follows it.
      log.restore({ meta: { index: 9, term: 2 }, data: new Uint8Array() })
      expect(log.firstIndex()).to.equal(10)
      expect(plain(log.slice(10, 13))).to.deep.equal(plain(run(10, 12, termOf)))
      // One we do not match discards the whole log.
      log.restore({ meta: { index: 20, term: 5 }, data: new Uint8Array() })
      expect(log.lastIndex()).to.equal(20)
      expect(log.term(20)).to.equal(5)
      expect(log.term(12)).to.equal(undefined)
      log.append([entry(21, 5)])
      expect(log.slice(21, 22).map((e) => e.index)).to.deep.equal([21])
    })
  }

  it('packs only entries that are both applied and durable, in runs of packMin', () => {
    RaftLog.packMin = 4
    const log = new RaftLog(undefined, [], 0)
    const es = run(1, 12, termOf)
    log.append(es)
    log.commitTo(12)
    log.acceptApplying(12)
    log.appliedTo(12)
    // Nothing is durable yet: every entry is still the object that was appended.
    expect(log.slice(1, 13)).to.deep.equal(es)
    expect(log.slice(1, 2)[0]).to.equal(es[0])
    log.stableTo(3, 1) // 3 < packMin: still objects
    expect(log.slice(1, 2)[0]).to.equal(es[0])
    log.stableTo(12, 3) // packed now: equal entries, new objects
    expect(log.slice(1, 2)[0]).to.not.equal(es[0])
    expect(plain(log.slice(1, 13))).to.deep.equal(plain(es))
  })
})
