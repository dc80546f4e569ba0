/** PackedSegments (packed-segments.ts): finding the segment that holds an index, dropping a prefix. */
import { expect } from 'chai'
import type { PackedEntries } from '../src/packed-entries.js'
import { firstOf, lastOf, pack, termOf } from '../src/packed-entries.js'
import { PackedSegments } from '../src/packed-segments.js'
import type { Entry } from '../src/types.js'

/** Entries lo..hi, the term of each being its index (so termOf tells which entry was read). */
function entries(lo: number, hi: number): Entry[] {
  const out: Entry[] = []
  for (let i = lo; i <= hi; i++)
    out.push({ index: i, term: i, kind: 'command', data: new Uint8Array(1) })
  return out
}

/** Segments [1, 3], [4, 6] and [7, 10]. */
function threeSegments(): { p: PackedSegments; segs: PackedEntries[] } {
  const p = new PackedSegments()
  const segs = [pack(entries(1, 3)), pack(entries(4, 6)), pack(entries(7, 10))]
  p.list.push(...segs)
  return { p, segs }
}

const range = (s: PackedEntries): [number, number] => [firstOf(s), lastOf(s)]

describe('packed segments', () => {
  it('at(i) is the segment holding i, whichever was found before it', () => {
    const { p } = threeSegments()
    const order = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 5, 1, 10, 4, 3, 7]
    for (const i of order) {
      const s = p.at(i)
      expect(i, `at(${i})`).to.be.within(firstOf(s), lastOf(s))
      expect(termOf(s, i)).to.equal(i)
    }
  })

  it('dropThrough inside a segment: earlier segments go, that one starts after the cut in a new object', () => {
    const { p, segs } = threeSegments()
    p.at(10) // found last: the third, at a position the list will not have after the drop
    p.dropThrough(5)
    expect(p.list.map(range)).to.deep.equal([
      [6, 6],
      [7, 10],
    ])
    expect(p.list[1]).to.equal(segs[2])
    expect(range(segs[1] as PackedEntries)).to.deep.equal([4, 6]) // not written to: it may be shared
    for (const i of [6, 7, 10, 6]) expect(termOf(p.at(i), i)).to.equal(i)
  })

  it('dropThrough at the end of a segment keeps the next one as it is', () => {
    const { p, segs } = threeSegments()
    p.dropThrough(6)
    expect(p.list).to.have.length(1)
    expect(p.list[0]).to.equal(segs[2])
    p.dropThrough(10)
    expect(p.list).to.deep.equal([])
  })

  it('clear drops every segment', () => {
    const { p } = threeSegments()
    p.clear()
    expect(p.list).to.deep.equal([])
  })
})
