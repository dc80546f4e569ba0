/**
 * The apply stream's rules (apply-queue.ts) that the runtime's specs do not reach: an iterator
 * whose next() calls wait ahead of the messages, breaking out of a for-await loop, an ended
 * stream that takes nothing more and keeps its first reason, a synchronous handler that costs
 * no microtask whatever plain value it returns, and the unconsumed-stream warning (once, with
 * its text). Found by mutation testing (TESTING.md "raft-core's runtime (session 20)").
 */
import { expect } from 'chai'
import type { ApplyMsg } from '../src/apply.js'
import { ApplyQueue, UNCONSUMED_APPLY_WARNING_MS } from '../src/apply-queue.js'
import { SimulatedClock } from '../src/clock.js'
import { ApplyOrderError } from '../src/errors.js'
import { MemoryLogger } from '../src/logger.js'

const cmd = (index: number): ApplyMsg => ({
  kind: 'command',
  index,
  term: 1,
  command: new Uint8Array([index]),
})
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** 'pending' unless `p` has settled after the microtasks and I/O callbacks of one turn. */
async function state<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, tick().then(() => 'pending' as const)])
}

describe('ApplyQueue rules', () => {
  it('hands each message to the next() call that waited longest, one message per call', async () => {
    const q = new ApplyQueue(new MemoryLogger())
    const it = q.iterable()[Symbol.asyncIterator]()
    const first = it.next()
    const second = it.next()
    q.push(cmd(1))
    expect(await first).to.deep.equal({ done: false, value: cmd(1) })
    expect(await state(second)).to.equal('pending')
    q.pushAll([cmd(2), cmd(3)])
    expect(await second).to.deep.equal({ done: false, value: cmd(2) })
    expect(await it.next()).to.deep.equal({ done: false, value: cmd(3) })
    expect(q.appliedIndex).to.equal(3)
  })

  it('breaking out of a for-await loop ends the stream: what comes later is not delivered', async () => {
    const q = new ApplyQueue(new MemoryLogger())
    const stream = q.iterable()
    q.pushAll([cmd(1), cmd(2)])
    const got: number[] = []
    for await (const m of stream) {
      got.push(m.index)
      break
    }
    q.push(cmd(3))
    expect(got).to.deep.equal([1])
    expect(await stream[Symbol.asyncIterator]().next()).to.deep.equal({
      done: true,
      value: undefined,
    })
    expect(q.appliedIndex).to.equal(1)
    const iterator = q.iterable.bind(q)
    expect(iterator).to.throw(/already has a consumer/)
  })

  it('the iterator’s return() answers done', async () => {
    const q = new ApplyQueue(new MemoryLogger())
    const it = q.iterable()[Symbol.asyncIterator]()
    expect(await it.return!()).to.deep.equal({ done: true, value: undefined })
  })

  it('an ended stream takes nothing more: push and pushAll after end() deliver nothing', async () => {
    const q = new ApplyQueue(new MemoryLogger())
    const got: number[] = []
    q.setHandler((m) => {
      got.push(m.index)
    })
    q.push(cmd(1))
    await tick()
    q.end()
    q.push(cmd(2))
    q.pushAll([cmd(3), cmd(4)])
    // Out of order too: no ApplyOrderError once ended.
    expect(() => q.push(cmd(9))).not.to.throw()
    await tick()
    expect(got).to.deep.equal([1])
    expect(q.appliedIndex).to.equal(1)
  })

  it('an ended stream keeps the reason it first ended with', async () => {
    const q = new ApplyQueue(new MemoryLogger())
    const it = q.iterable()[Symbol.asyncIterator]()
    expect(() => q.push(cmd(2))).to.throw(ApplyOrderError)
    q.end() // the runtime stopping afterwards
    const error = await it.next().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(ApplyOrderError)
    expect(await it.next()).to.deep.equal({ done: true, value: undefined })
  })

  it('calls a synchronous handler for a whole batch before any microtask it queued, whatever plain value it returns', async () => {
    const logger = new MemoryLogger()
    const q = new ApplyQueue(logger)
    const events: string[] = []
    const returns: unknown[] = [undefined, null, { then: 'not a function' }, 0, 'done']
    q.setHandler((m) => {
      events.push(`handler ${m.index}`)
      queueMicrotask(() => events.push(`microtask ${m.index}`))
      return returns[m.index - 1] as undefined
    })
    q.pushAll([cmd(1), cmd(2), cmd(3), cmd(4), cmd(5)])
    await tick()
    expect(events).to.deep.equal([
      ...[1, 2, 3, 4, 5].map((i) => `handler ${i}`),
      ...[1, 2, 3, 4, 5].map((i) => `microtask ${i}`),
    ])
    expect(logger.records).to.deep.equal([])
    expect(q.appliedIndex).to.equal(5)
  })

  it('logs which entry a throwing handler failed on, and why', async () => {
    const logger = new MemoryLogger()
    const q = new ApplyQueue(logger)
    q.setHandler((m) => {
      if (m.index === 2) throw new Error('boom')
    })
    q.pushAll([cmd(1), cmd(2), cmd(3)])
    await tick()
    expect(logger.records).to.deep.equal([
      {
        level: 'error',
        msg: 'apply handler threw; continuing with the next entry',
        fields: { index: 2, error: 'Error: boom' },
      },
    ])
    expect(q.appliedIndex).to.equal(3)
  })

  it('warns once, with how long entries waited and how to consume them, however many were queued', async () => {
    const clock = new SimulatedClock()
    const logger = new MemoryLogger()
    const q = new ApplyQueue(logger, clock)
    for (let i = 1; i <= 3; i++) {
      q.push(cmd(i))
      await clock.advance(UNCONSUMED_APPLY_WARNING_MS / 4)
    }
    await clock.advance(2 * UNCONSUMED_APPLY_WARNING_MS)
    expect(logger.records.map((r) => r.msg)).to.deep.equal([
      'raftkit: committed entries have waited 5 s and nobody consumes the apply stream: ' +
        'appliedIndex() does not advance until raft.onApply(handler) or a ' +
        '`for await (const msg of raft.applied())` loop takes them',
    ])
    expect(clock.pending()).to.equal(0)
    q.end()
  })

  it('without a clock, queues and delivers as usual and never warns', async () => {
    const logger = new MemoryLogger()
    const q = new ApplyQueue(logger)
    q.push(cmd(1))
    q.pushAll([cmd(2)])
    const it = q.iterable()[Symbol.asyncIterator]()
    expect((await it.next()).value).to.deep.equal(cmd(1))
    expect((await it.next()).value).to.deep.equal(cmd(2))
    expect(logger.records).to.deep.equal([])
  })
})
