import { expect } from 'chai'
import type { ApplyMsg } from '../src/apply.js'
import { ApplyQueue } from '../src/apply-queue.js'
import { ApplyOrderError } from '../src/errors.js'
import { MemoryLogger } from '../src/logger.js'

const cmd = (index: number): ApplyMsg => ({
  kind: 'command',
  index,
  term: 1,
  command: new Uint8Array([index]),
})
const snap = (index: number): ApplyMsg => ({
  kind: 'snapshot',
  index,
  term: 1,
  snapshot: new Uint8Array(),
})
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('ApplyQueue', () => {
  it('delivers each index once, in order; a snapshot moves the stream past it', async () => {
    const q = new ApplyQueue(new MemoryLogger())
    const got: number[] = []
    q.setHandler((m) => {
      got.push(m.index)
    })
    for (const m of [cmd(1), cmd(2), snap(5), cmd(6), snap(7), cmd(8)]) q.push(m)
    await tick()
    expect(got).to.deep.equal([1, 2, 5, 6, 7, 8])
    expect(q.appliedIndex).to.equal(8)
  })

  const refusals: Array<[string, ApplyMsg[], ApplyMsg, number]> = [
    ['a gap', [cmd(1), cmd(2)], cmd(4), 3],
    ['a repeated entry', [cmd(1), cmd(2)], cmd(2), 3],
    ['an older entry', [cmd(1), cmd(2), cmd(3)], cmd(1), 4],
    ['a snapshot below the next index', [cmd(1), snap(5), cmd(6), cmd(7)], snap(6), 8],
    ['an entry the snapshot covered', [cmd(1), snap(5)], cmd(4), 6],
  ]
  for (const [what, before, bad, expected] of refusals)
    it(`refuses ${what} with ApplyOrderError and ends the stream; nothing after it is delivered`, async () => {
      const q = new ApplyQueue(new MemoryLogger())
      const got: number[] = []
      q.setHandler((m) => {
        got.push(m.index)
      })
      for (const m of before) q.push(m)
      await tick()
      let thrown: unknown
      try {
        q.pushAll([bad, cmd(bad.index + 1)])
      } catch (e) {
        thrown = e
      }
      expect(thrown).to.be.instanceOf(ApplyOrderError)
      expect(thrown).to.include({ code: 'RAFT_APPLY_ORDER', expected, index: bad.index })
      q.push(cmd(expected)) // ignored: the stream has ended
      await tick()
      expect(got).to.deep.equal(before.map((m) => m.index))
    })

  it('an iterator learns the failure that ended the stream once, then is done', async () => {
    const q = new ApplyQueue(new MemoryLogger())
    const it = q.iterable()[Symbol.asyncIterator]()
    q.push(cmd(1))
    expect(await it.next()).to.deep.equal({ done: false, value: cmd(1) })
    const waiting = it.next()
    expect(() => q.push(cmd(3))).to.throw(ApplyOrderError)
    let thrown: unknown
    await waiting.catch((e: unknown) => (thrown = e))
    expect(thrown).to.be.instanceOf(ApplyOrderError)
    expect(await it.next()).to.deep.equal({ done: true, value: undefined })
  })

  it('never calls the handler synchronously from push, and awaits it one message at a time', async () => {
    const q = new ApplyQueue(new MemoryLogger())
    const events: string[] = []
    q.setHandler(async (m) => {
      events.push(`start ${m.index}`)
      await tick()
      events.push(`end ${m.index}`)
    })
    q.push(cmd(1))
    q.push(cmd(2))
    expect(events).to.deep.equal([])
    await tick()
    await tick()
    await tick()
    expect(events).to.deep.equal(['start 1', 'end 1', 'start 2', 'end 2'])
  })

  it('logs a throwing handler, and keeps going', async () => {
    const logger = new MemoryLogger()
    const q = new ApplyQueue(logger)
    const got: number[] = []
    q.setHandler((m) => {
      got.push(m.index)
      if (m.index === 1) throw new Error('service bug')
    })
    q.push(cmd(1))
    q.push(cmd(2))
    await tick()
    expect(got).to.deep.equal([1, 2])
    expect(logger.records.map((r) => r.msg)).to.deep.equal([
      'apply handler threw; continuing with the next entry',
    ])
  })

  it('as an iterator: waits for messages, ends on end(), allows only one consumer', async () => {
    const q = new ApplyQueue(new MemoryLogger())
    const it = q.iterable()[Symbol.asyncIterator]()
    expect(() => q.iterable()).to.throw(/already has a consumer/)
    const first = it.next()
    q.push(cmd(1))
    expect(await first).to.deep.equal({ done: false, value: cmd(1) })
    q.push(cmd(2))
    q.end()
    expect(await it.next()).to.deep.equal({ done: true, value: undefined }) // undelivered are discarded
    q.push(cmd(3))
    expect(q.appliedIndex).to.equal(1)
  })
})
