import { expect } from 'chai'
import { MemoryStorage } from '../src/memory-storage.js'
import { StorageError, StoppedError } from '../src/errors.js'
import { packValue } from '../src/codec.js'
import type { Entry } from '../src/types.js'

function entry(index: number, term: number, byte = index): Entry {
  return { index, term, kind: 'command', data: new Uint8Array([byte]) }
}
function range(lo: number, hi: number, term: number): Entry[] {
  const out: Entry[] = []
  for (let i = lo; i <= hi; i++) out.push(entry(i, term))
  return out
}
const indexes = (es: readonly Entry[]): number[] => es.map((e) => e.index)

describe('MemoryStorage', () => {
  it('starts empty and reports its capabilities', async () => {
    const s = new MemoryStorage()
    expect(s.capabilities).to.deep.equal({ durable: false, atomicBatch: true })
    const st = await s.load()
    expect(st.hardState).to.deep.equal({ term: 0, votedFor: null, commit: 0 })
    expect(st.snapshot).to.equal(undefined)
    expect(st.entries).to.deep.equal([])
  })

  it('writes entries and hard state, and loads them back', async () => {
    const s = new MemoryStorage()
    await s.write({
      entries: range(1, 3, 1),
      hardState: { term: 1, votedFor: 'a', commit: 2 },
      sync: true,
    })
    const st = await s.load()
    expect(indexes(st.entries)).to.deep.equal([1, 2, 3])
    expect(st.hardState).to.deep.equal({ term: 1, votedFor: 'a', commit: 2 })
  })

  it('truncates the stored suffix at entries[0].index (conflict resolution)', async () => {
    const s = new MemoryStorage()
    await s.write({ entries: range(1, 5, 1), sync: true })
    await s.write({ entries: [entry(3, 2, 30)], sync: true })
    const st = await s.load()
    expect(indexes(st.entries)).to.deep.equal([1, 2, 3])
    expect(st.entries[2]).to.deep.include({ index: 3, term: 2 })
    expect([...st.entries[2]!.data]).to.deep.equal([30])
  })

  it('rejects a gap, non-consecutive or compacted entries with StorageError and changes nothing', async () => {
    const s = new MemoryStorage()
    await s.write({ entries: range(1, 2, 1), sync: true })
    const before = await s.load()
    await expectReject(s.write({ entries: [entry(4, 1)], sync: true }), StorageError, /gap/)
    await expectReject(
      s.write({ entries: [entry(3, 1), entry(5, 1)], sync: true }),
      StorageError,
      /consecutive/,
    )
    // ... also when its first entry would overwrite (truncate) the stored suffix
    await expectReject(
      s.write({ entries: [entry(2, 3), entry(4, 3)], sync: true }),
      StorageError,
      /consecutive/,
    )
    // a bad batch also leaves its hard state unwritten
    await expectReject(
      s.write({
        entries: [entry(9, 1)],
        hardState: { term: 9, votedFor: null, commit: 0 },
        sync: true,
      }),
      StorageError,
    )
    expect(await s.load()).to.deep.equal(before)
    await s.compact({ meta: { index: 2, term: 1 }, data: new Uint8Array() })
    await expectReject(s.write({ entries: [entry(2, 1)], sync: true }), StorageError, /compacted/)
  })

  it('a snapshot that matches the log keeps the entries after it', async () => {
    const s = new MemoryStorage()
    await s.write({ entries: range(1, 5, 1), sync: true })
    await s.write({
      snapshot: { meta: { index: 3, term: 1 }, data: new Uint8Array([7]) },
      sync: true,
    })
    const st = await s.load()
    expect(st.snapshot?.meta).to.deep.equal({ index: 3, term: 1 })
    expect(indexes(st.entries)).to.deep.equal([4, 5])
  })

  it('a snapshot that does not match the log discards the whole log; entries may follow in one batch', async () => {
    const s = new MemoryStorage()
    await s.write({ entries: range(1, 5, 1), sync: true })
    await s.write({
      snapshot: { meta: { index: 4, term: 3 }, data: new Uint8Array([1]) },
      entries: [entry(5, 3)],
      sync: true,
    })
    const st = await s.load()
    expect(st.snapshot?.meta).to.deep.equal({ index: 4, term: 3 })
    expect(st.entries).to.have.length(1)
    expect(st.entries[0]).to.deep.include({ index: 5, term: 3 })
  })

  it('compact drops covered entries; rejects compaction past the log or below the snapshot', async () => {
    const s = new MemoryStorage()
    await s.write({ entries: range(1, 6, 2), sync: true })
    await s.compact({ meta: { index: 4, term: 2 }, data: new Uint8Array([1, 2]) })
    let st = await s.load()
    expect(indexes(st.entries)).to.deep.equal([5, 6])
    expect([...st.snapshot!.data]).to.deep.equal([1, 2])
    await expectReject(
      s.compact({ meta: { index: 9, term: 2 }, data: new Uint8Array() }),
      StorageError,
      /ends at 6/,
    )
    await expectReject(
      s.compact({ meta: { index: 3, term: 2 }, data: new Uint8Array() }),
      StorageError,
      /older/,
    )
    st = await s.load()
    expect(st.snapshot?.meta.index).to.equal(4)
    expect(indexes(st.entries)).to.deep.equal([5, 6])
    // re-compacting at the snapshot's own index keeps the log
    await s.compact({ meta: { index: 4, term: 2 }, data: new Uint8Array([3]) })
    st = await s.load()
    expect(indexes(st.entries)).to.deep.equal([5, 6])
    expect([...st.snapshot!.data]).to.deep.equal([3])
  })

  it('load() returns deep copies, and writes copy their input', async () => {
    const s = new MemoryStorage()
    const data = new Uint8Array([1])
    await s.write({ entries: [{ index: 1, term: 1, kind: 'command', data }], sync: true })
    data[0] = 2
    const a = await s.load()
    a.entries[0]!.data[0] = 3
    const b = await s.load()
    expect([...b.entries[0]!.data]).to.deep.equal([1])
    expect(b.entries[0]).to.not.equal(a.entries[0])
  })

  it('copies a Node Buffer instead of keeping a view of it', async () => {
    const s = new MemoryStorage()
    const buf = Buffer.from([5, 6])
    await s.write({ entries: [{ index: 1, term: 1, kind: 'command', data: buf }], sync: true })
    buf[0] = 0
    expect([...(await s.load()).entries[0]!.data]).to.deep.equal([5, 6])
  })

  it('size() counts hard state and entries (payload + fixed overhead), and snapshot bytes', async () => {
    const s = new MemoryStorage()
    const hs = { term: 2, votedFor: 'b', commit: 1 }
    const es = range(1, 3, 2)
    await s.write({ entries: es, hardState: hs, sync: true })
    const expected =
      packValue(hs).byteLength + es.reduce((n, e) => n + MemoryStorage.entryBytes(e), 0)
    expect(s.size()).to.deep.equal({ raftStateBytes: expected, snapshotBytes: 0 })
    await s.compact({ meta: { index: 2, term: 2 }, data: new Uint8Array(100) })
    const after = s.size()
    expect(after.snapshotBytes).to.equal(100)
    expect(after.raftStateBytes).to.equal(
      packValue(hs).byteLength + MemoryStorage.entryBytes(es[2]!),
    )
  })

  it('clone() copies what is persisted now; the two then evolve independently', async () => {
    const s = new MemoryStorage()
    await s.write({
      entries: range(1, 2, 1),
      hardState: { term: 1, votedFor: 'a', commit: 1 },
      sync: true,
    })
    const c = s.clone()
    await s.write({
      entries: [entry(3, 1)],
      hardState: { term: 2, votedFor: null, commit: 2 },
      sync: true,
    })
    const cs = await c.load()
    expect(indexes(cs.entries)).to.deep.equal([1, 2])
    expect(cs.hardState.term).to.equal(1)
    await c.write({ entries: [entry(3, 5)], sync: true })
    expect((await s.load()).entries[2]!.term).to.equal(1)
  })

  it('restores from an initial state and rejects an inconsistent one', async () => {
    const s = new MemoryStorage({
      hardState: { term: 3, votedFor: null, commit: 5 },
      snapshot: { meta: { index: 4, term: 2 }, data: new Uint8Array([9]) },
      entries: [entry(5, 3)],
    })
    const st = await s.load()
    expect(st.snapshot?.meta.index).to.equal(4)
    expect(indexes(st.entries)).to.deep.equal([5])
    expect(
      () =>
        new MemoryStorage({
          hardState: { term: 1, votedFor: null, commit: 0 },
          entries: [entry(2, 1)],
        }),
    ).to.throw(StorageError)
  })

  it('close() is idempotent; operations after it reject with StoppedError; clone still works', async () => {
    const s = new MemoryStorage()
    await s.write({ entries: [entry(1, 1)], sync: true })
    await s.close()
    await s.close()
    await expectReject(s.load(), StoppedError)
    await expectReject(s.write({ entries: [entry(2, 1)], sync: true }), StoppedError)
    await expectReject(
      s.compact({ meta: { index: 1, term: 1 }, data: new Uint8Array() }),
      StoppedError,
    )
    expect(indexes((await s.clone().load()).entries)).to.deep.equal([1])
  })
})

async function expectReject(
  p: Promise<unknown>,
  type: new (...args: never[]) => Error,
  re?: RegExp,
): Promise<void> {
  try {
    await p
  } catch (e) {
    expect(e).to.be.instanceOf(type)
    if (re) expect((e as Error).message).to.match(re)
    return
  }
  expect.fail('expected a rejection')
}
