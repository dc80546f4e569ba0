// The apply stream warns when committed messages wait and nobody consumes it (appliedIndex()
// would never advance), once, and never when a consumer is attached in time.
import { expect } from 'chai'
import type { ApplyMsg } from '../src/apply.js'
import { ApplyQueue, UNCONSUMED_APPLY_WARNING_MS } from '../src/apply-queue.js'
import { SimulatedClock } from '../src/clock.js'
import { MemoryLogger } from '../src/logger.js'

const cmd = (index: number): ApplyMsg => ({
  kind: 'command',
  index,
  term: 1,
  command: new Uint8Array([index]),
})

/** Collects the process warnings with our code while `fn` runs. */
async function processWarnings(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = []
  const listener = (w: Error & { code?: string }): void => {
    if (w.code === 'RAFTKIT_APPLY_STREAM_UNCONSUMED') seen.push(w.message)
  }
  process.on('warning', listener)
  try {
    await fn()
    await new Promise((r) => setImmediate(r)) // warnings are emitted on the next tick
  } finally {
    process.off('warning', listener)
  }
  return seen
}

describe('apply stream: nobody consumes it', () => {
  it(`warns once after ${UNCONSUMED_APPLY_WARNING_MS} ms of waiting messages, through the logger and the process`, async () => {
    const clock = new SimulatedClock()
    const logger = new MemoryLogger()
    const q = new ApplyQueue(logger, clock)
    const seen = await processWarnings(async () => {
      q.push(cmd(1))
      await clock.advance(UNCONSUMED_APPLY_WARNING_MS - 1)
      expect(logger.records.filter((r) => r.level === 'warn')).to.have.length(0)
      await clock.advance(1)
      q.push(cmd(2))
      await clock.advance(2 * UNCONSUMED_APPLY_WARNING_MS)
    })
    const warnings = logger.records.filter((r) => r.level === 'warn')
    expect(warnings).to.have.length(1)
    expect(warnings[0]?.msg).to.match(/nobody consumes the apply stream/)
    expect(seen).to.have.length(1)
    q.end()
  })

  it('does not warn when a consumer is attached before the delay, nor after the stream ended', async () => {
    const clock = new SimulatedClock()
    const logger = new MemoryLogger()
    const consumed = new ApplyQueue(logger, clock)
    const ended = new ApplyQueue(logger, clock)
    const seen = await processWarnings(async () => {
      consumed.push(cmd(1))
      ended.push(cmd(1))
      await clock.advance(UNCONSUMED_APPLY_WARNING_MS / 2)
      consumed.setHandler(() => undefined)
      ended.end()
      await clock.advance(2 * UNCONSUMED_APPLY_WARNING_MS)
    })
    expect(logger.records.filter((r) => r.level === 'warn')).to.have.length(0)
    expect(seen).to.have.length(0)
    expect(clock.pending()).to.equal(0)
    consumed.end()
  })
})
