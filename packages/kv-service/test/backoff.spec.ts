/** The clerk's backoff (backoff.ts): doubling pauses with ±50 % jitter, capped, reset, checked. */
import { expect } from 'chai'
import type { Rng } from '@raftkit/raft-core'
import { Backoff } from '../src/backoff.js'
import { KvConfigError } from '../src/index.js'

/** An rng whose next() is always `x` (the jitter factor is 0.5 + x). */
const fixed = (x: number): Rng => ({ next: () => x, int: () => 0, fork: () => fixed(x) })

describe('Backoff', () => {
  it('doubles the pause up to maxMs, with the jitter applied to each step, and starts over on reset()', () => {
    const b = new Backoff({ initialMs: 20, maxMs: 100, multiplier: 2 }, fixed(0.5))
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).to.deep.equal([20, 40, 80, 100, 100])
    b.reset()
    expect(b.next()).to.equal(20)
    const low = new Backoff({ initialMs: 20, maxMs: 100 }, fixed(0))
    const high = new Backoff({ initialMs: 20, maxMs: 100 }, fixed(0.999))
    expect([low.next(), high.next()]).to.deep.equal([10, 30])
  })

  it('refuses non-positive initialMs, maxMs below initialMs and a multiplier below 1, naming the option', () => {
    const field = (options: ConstructorParameters<typeof Backoff>[0]): string | undefined => {
      try {
        new Backoff(options, fixed(0.5))
      } catch (e) {
        expect(e).to.be.instanceOf(KvConfigError)
        return (e as KvConfigError).field
      }
      return undefined
    }
    expect(field({ initialMs: 0 })).to.equal('backoff.initialMs')
    expect(field({ initialMs: -1 })).to.equal('backoff.initialMs')
    expect(field({ initialMs: 10, maxMs: 5 })).to.equal('backoff.maxMs')
    expect(field({ multiplier: 0.5 })).to.equal('backoff.multiplier')
    expect(field({ initialMs: 1, maxMs: 1, multiplier: 1 })).to.equal(undefined)
  })
})
