import { expect } from 'chai'
import type { ApplyMsg } from '../src/apply.js'
import { ApplyQueue } from '../src/apply-queue.js'
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
    for (const m of [cmd(1), cmd(2), cmd(2), cmd(1), snap(5), cmd(4), cmd(5), cmd(6), snap(3)])
      q.push(m)
    await tick()
    expect(got).to.deep.equal([1, 2, 5, 6])
    expect(q.appliedIndex).to.equal(6)
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

  it('logs a gap and a throwing handler, and keeps going', async () => {
    const logger = new MemoryLogger()
    const q = new ApplyQueue(logger)
    const got: number[] = []
    q.setHandler((m) => {
      got.push(m.index)
      if (m.index === 1) throw new Error('service bug')
    })
    q.push(cmd(1))
    q.push(cmd(3))
    await tick()
    expect(got).to.deep.equal([1, 3])
    expect(logger.records.map((r) => r.msg)).to.have.members([
      'apply stream gap: entries are missing',
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
