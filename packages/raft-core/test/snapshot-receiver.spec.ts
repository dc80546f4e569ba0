/**
 * SnapshotReceiver (snapshot-receiver.ts), the follower's reassembly of a chunked
 * InstallSnapshot: a stray chunk of another transfer does not cost the one under way its
 * progress, a later snapshot is made of its own chunks only, and the reassembled snapshot does
 * not change when the transport reuses a chunk's buffer afterwards. Found by mutation testing (TESTING.md "raft-core's runtime (session 20)").
 */
import { expect } from 'chai'
import { SnapshotReceiver } from '../src/snapshot-receiver.js'
import { snap } from './helpers/fixture.js'

const chunk = (offset: number, data: number[], done: boolean, index = 10) =>
  snap({
    from: 'b',
    to: 'a',
    term: 2,
    lastIncludedIndex: index,
    lastIncludedTerm: 2,
    offset,
    data: new Uint8Array(data),
    totalBytes: 6,
    done,
  })

describe('SnapshotReceiver', () => {
  it('a chunk of another transfer past its start leaves the transfer under way as it was', () => {
    const r = new SnapshotReceiver()
    expect(r.accept(chunk(0, [1, 2, 3], false))).to.deep.equal({ nextOffset: 3 })
    // A late chunk of an older snapshot (index 9), not at its start: answered 0, nothing reset.
    expect(r.accept(chunk(3, [9, 9, 9], true, 9))).to.deep.equal({ nextOffset: 0 })
    const done = r.accept(chunk(3, [4, 5, 6], true))
    expect(done.nextOffset).to.equal(6)
    expect([...done.data!]).to.deep.equal([1, 2, 3, 4, 5, 6])
  })

  it('keeps its own copy of each chunk: a reused receive buffer does not change the snapshot', () => {
    const r = new SnapshotReceiver()
    const first = chunk(0, [1, 2, 3], false)
    r.accept(first)
    first.data.fill(0) // the transport reuses its buffer for the next frame
    const done = r.accept(chunk(3, [4, 5, 6], true))
    expect([...done.data!]).to.deep.equal([1, 2, 3, 4, 5, 6])
  })
  it('reassembles a later snapshot from its own chunks only, after one completed or abandoned', () => {
    const r = new SnapshotReceiver()
    r.accept(chunk(0, [1, 2, 3], false))
    expect(r.accept(chunk(3, [4, 5, 6], true)).data).to.have.length(6)
    // The next snapshot (index 20) starts at 0 and holds its own bytes.
    expect(r.accept(chunk(0, [7, 7, 7], false, 20))).to.deep.equal({ nextOffset: 3 })
    // Abandoned for a newer one (index 30), which starts over.
    expect(r.accept(chunk(0, [8, 8], false, 30))).to.deep.equal({ nextOffset: 2 })
    r.accept(chunk(2, [8, 8], false, 30))
    const done = r.accept(chunk(4, [8, 9], true, 30))
    expect([...done.data!]).to.deep.equal([8, 8, 8, 8, 8, 9])
  })
})
