/**
 * ReadIndexQueue on its own: a read moves waiting → unsent → confirming and is handed out only
 * once a quorum acknowledged a round sent after it, in request order; round ids never repeat.
 * Written from the survivors of the mutation run (TESTING.md); the protocol-level rules are in
 * paper/read-index.spec.ts.
 */
import { expect } from 'chai'
import { ReadIndexQueue } from '../src/read-index.js'

const all = () => true

describe('ReadIndexQueue', () => {
  it('a new queue holds no read: nothing unsent, nothing to confirm, nothing waiting', () => {
    const q = new ReadIndexQueue()
    expect(q.hasUnsent()).to.equal(false)
    expect(q.confirmed(all)).to.deep.equal([])
    q.releaseWaiting(3)
    expect(q.hasUnsent(), 'releasing an empty waiting list adds no read').to.equal(false)
    q.markSent(q.nextRound())
    expect(q.confirmed(all)).to.deep.equal([])
  })

  it('a waiting read takes the commit index it is released at, and goes out with the next round', () => {
    const q = new ReadIndexQueue()
    q.wait(1)
    expect(q.hasUnsent(), 'a waiting read is not sent').to.equal(false)
    q.releaseWaiting(4)
    expect(q.hasUnsent()).to.equal(true)
    q.releaseWaiting(9) // released once: a later commit does not re-add or move it
    const round = q.nextRound()
    q.markSent(round)
    expect(q.hasUnsent()).to.equal(false)
    expect(q.confirmed((r) => r === round)).to.deep.equal([{ requestId: 1, index: 4 }])
  })

  it('a read is handed out only once its round is acknowledged, oldest round first, once', () => {
    const q = new ReadIndexQueue()
    q.add(1, 5)
    q.add(2, 5)
    const r1 = q.nextRound()
    q.markSent(r1)
    q.add(3, 6)
    const r2 = q.nextRound()
    q.markSent(r2)
    expect(q.confirmed(() => false)).to.deep.equal([])
    const seen: number[] = []
    expect(
      q.confirmed((r) => {
        seen.push(r)
        return r <= r1
      }),
    ).to.deep.equal([
      { requestId: 1, index: 5 },
      { requestId: 2, index: 5 },
    ])
    expect(seen, 'stops at the first round not acknowledged').to.deep.equal([r1, r1, r2])
    expect(q.confirmed((r) => r <= r2)).to.deep.equal([{ requestId: 3, index: 6 }])
    expect(q.confirmed(all), 'a confirmed read is not handed out again').to.deep.equal([])
  })

  it('round ids increase and are never reused, even across clear() (bug #3)', () => {
    const q = new ReadIndexQueue()
    const a = q.nextRound()
    const b = q.nextRound()
    expect(b).to.be.greaterThan(a)
    q.add(1, 1)
    q.clear()
    expect(q.nextRound()).to.be.greaterThan(b)
  })

  it('clear() drops every read in every stage', () => {
    const q = new ReadIndexQueue()
    q.wait(1)
    q.add(2, 3)
    q.markSent(q.nextRound())
    q.add(3, 3)
    q.clear()
    expect(q.hasUnsent()).to.equal(false)
    expect(q.confirmed(all)).to.deep.equal([])
    q.releaseWaiting(5)
    expect(q.hasUnsent(), 'a waiting read does not survive clear()').to.equal(false)
  })
})
