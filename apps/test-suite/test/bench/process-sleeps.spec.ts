/**
 * The benches' wake-up count (bench/closed-loop.ts processSleeps): a process's voluntary context
 * switches summed over its threads, read from /proc, so a bench can report wake-ups per
 * operation next to CPU per operation.
 */
import { expect } from 'chai'
import { processSleeps } from '../../bench/closed-loop.js'

const linux = process.platform === 'linux'

describe('processSleeps (bench/closed-loop.ts)', () => {
  it('counts each time the event loop blocks: 20 timers waited for one after another add at least 20', async function () {
    if (!linux) this.skip()
    const before = processSleeps(process.pid)
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 2))
    const after = processSleeps(process.pid)
    expect(before).to.be.a('number').and.satisfy(Number.isInteger)
    expect(after - before).to.be.at.least(20)
  })

  it('is NaN for no pid and for a process that does not exist', () => {
    expect(processSleeps(undefined)).to.be.NaN
    expect(processSleeps(2 ** 22 + 1)).to.be.NaN
  })
})
