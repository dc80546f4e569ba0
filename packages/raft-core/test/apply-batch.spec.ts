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
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('ApplyQueue batches', () => {
  it('pushAll: keeps order across batches and single pushes', async () => {
    const q = new ApplyQueue(new MemoryLogger())
    const got: number[] = []
    q.setHandler((m) => {
      got.push(m.index)
    })
    q.pushAll([cmd(1), cmd(2), cmd(3)])
    q.pushAll([cmd(4), cmd(5)])
    q.push(cmd(6))
    q.pushAll([])
    q.pushAll([cmd(7)])
    await tick()
    expect(got).to.deep.equal([1, 2, 3, 4, 5, 6, 7])
    expect(q.appliedIndex).to.equal(7)
  })

  it('a synchronous handler gets a whole batch in one go; a promise holds the next message', async () => {
    const q = new ApplyQueue(new MemoryLogger())
    const events: string[] = []
    let microtasks = 0
    q.setHandler((m) => {
      events.push(`sync ${m.index}`)
      queueMicrotask(() => microtasks++)
      if (m.index === 2)
        return (async () => {
          await tick()
          events.push(`async ${m.index} done`)
        })()
      return undefined
    })
    q.pushAll([cmd(1), cmd(2), cmd(3)])
    expect(events).to.deep.equal([]) // never synchronously from push
    await Promise.resolve()
    await Promise.resolve()
    // 1 and 2 ran back to back, before any microtask they queued; 3 waits for 2's promise.
    expect(events).to.deep.equal(['sync 1', 'sync 2'])
    await tick()
    await tick()
    expect(events).to.deep.equal(['sync 1', 'sync 2', 'async 2 done', 'sync 3'])
    expect(microtasks).to.equal(3)
  })

  it('the iterator takes batched messages one at a time; end() discards the rest', async () => {
    const q = new ApplyQueue(new MemoryLogger())
    const it = q.iterable()[Symbol.asyncIterator]()
    q.pushAll([cmd(1), cmd(2)])
    q.pushAll([cmd(3)])
    expect((await it.next()).value).to.deep.equal(cmd(1))
    expect((await it.next()).value).to.deep.equal(cmd(2))
    q.end()
    expect(await it.next()).to.deep.equal({ done: true, value: undefined })
    expect(q.appliedIndex).to.equal(2)
  })
})
