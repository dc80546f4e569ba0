import { expect } from 'chai'
import { NotConsecutiveError, entryOf, kindOf, pack, payloadBytes } from '../src/packed-entries.js'
import { MemoryStorage } from '../src/memory-storage.js'
import type { Entry } from '../src/types.js'

/** Entries 1..n whose payloads are views, back to back, of one buffer (as the network copies). */
function contiguous(sizes: readonly number[]): { entries: Entry[]; buf: Uint8Array } {
  const total = sizes.reduce((a, b) => a + b, 0)
  const buf = new Uint8Array(total).map((_, i) => (i * 7 + 3) & 0xff)
  const entries: Entry[] = []
  let at = 0
  sizes.forEach((n, i) => {
    entries.push({
      index: i + 1,
      term: 1 + (i >> 1),
      kind: 'command',
      data: buf.subarray(at, at + n),
    })
    at += n
  })
  return { entries, buf }
}

const bytesOf = (es: readonly Entry[]): number[][] => es.map((e) => [...e.data])

describe('packed entries', () => {
  const sizes = [0, 1, 16, 100, 3, 0, 70]

  it('packs terms, kinds and payloads; entryOf reads each entry back', () => {
    const { entries } = contiguous(sizes)
    entries[3] = { ...(entries[3] as Entry), kind: 'noop' }
    const expected = bytesOf(entries)
    const p = pack(entries, 0, entries.length)
    expect(p.base).to.equal(1)
    expect(payloadBytes(p)).to.equal(sizes.reduce((a, b) => a + b, 0))
    const back = entries.map((e) => entryOf(p, e.index))
    expect(back.map((e) => [e.index, e.term, e.kind])).to.deep.equal(
      entries.map((e) => [e.index, e.term, e.kind]),
    )
    expect(bytesOf(back)).to.deep.equal(expected)
    expect(kindOf(p, 3)).to.equal('noop')
  })

  it('copies the payloads, even when they lie back to back in one buffer', () => {
    const { entries, buf } = contiguous(sizes)
    const separate = [1, 2, 3].map((i): Entry => ({
      index: i,
      term: 1,
      kind: 'command',
      data: new Uint8Array([i, i]),
    }))
    const p = pack(entries)
    expect(p.buf.buffer).to.not.equal(buf.buffer)
    buf[0] = buf[0] === 0 ? 1 : 0 // entry 2's only byte (entry 1 is empty)
    expect(entryOf(p, 2).data[0]).to.not.equal(buf[0])
    const q = pack(separate)
    for (const e of separate) expect(q.buf.buffer).to.not.equal(e.data.buffer)
    expect(bytesOf(separate.map((e) => entryOf(q, e.index)))).to.deep.equal(bytesOf(separate))
  })

  it('refuses entries whose indexes are not consecutive, naming the position', () => {
    const { entries } = contiguous([1, 1, 1, 1])
    entries[2] = { ...(entries[2] as Entry), index: 9 }
    expect(() => pack(entries)).to.throw(NotConsecutiveError, /position 2/)
    expect(() => pack(entries, 0, 2)).to.not.throw()
  })

  it('packs a sub-range', () => {
    const { entries } = contiguous(sizes)
    const p = pack(entries, 2, 5)
    expect(p.base).to.equal(3)
    expect(p.hi).to.equal(3)
    expect(bytesOf([3, 4, 5].map((i) => entryOf(p, i)))).to.deep.equal(bytesOf(entries.slice(2, 5)))
  })
})

describe('MemoryStorage copies what it is given', () => {
  it('later changes to written payloads (shared or not) do not reach what it stores', async () => {
    const { entries, buf } = contiguous([1, 16, 100])
    const own: Entry = { index: 4, term: 2, kind: 'command', data: new Uint8Array([9, 9]) }
    const all = [...entries, own]
    const expected = bytesOf(all)
    const s = new MemoryStorage()
    await s.write({ entries: all, sync: true })
    buf.fill(0xee)
    own.data.fill(0xee)
    const loaded = await s.load()
    expect(bytesOf(loaded.entries)).to.deep.equal(expected)
    loaded.entries[0]?.data.fill(0x55) // nor do changes to what load() returned
    expect(bytesOf((await s.load()).entries)).to.deep.equal(expected)
  })
})
