/**
 * Rules of the search (src/search.ts) that the verdict-level specs do not pin: its statistics and
 * when it first looks at the budget. Written from the mutation run of the checker group
 * (TESTING.md "linearizability").
 */
import { expect } from 'chai'
import { checkOperations, kvModel } from '../src/index.js'
import { get, put } from './helpers.js'

describe('linearizability: search rules', () => {
  it('counts each candidate tried as a step and each undone choice as a backtrack', () => {
    // put 1 then put 2 is tried first and leaves '2' for the get of '1': undo both (2 backtracks),
    // then put 2, put 1, get: 6 candidates tried in all, 5 configurations stored, none met twice.
    const r = checkOperations(kvModel, [
      put(1, 0, 10, 'x', '1'),
      put(2, 0, 10, 'x', '2'),
      get(3, 11, 12, 'x', '1'),
    ])
    expect(r.result).to.equal('ok')
    expect(r.partitions[0]!.stats).to.deep.equal({
      steps: 6,
      cacheHits: 0,
      cacheSize: 5,
      backtracks: 2,
    })
  })

  it('without a budget the clock is read once, at the start, however long the search', () => {
    let reads = 0
    const history = Array.from({ length: 600 }, (_, i) => put(1, i * 10, i * 10 + 5, 'x', `${i}`))
    const r = checkOperations(kvModel, history, { now: () => ++reads })
    expect(r.result).to.equal('ok')
    expect(r.partitions[0]!.stats!.steps).to.be.greaterThan(512)
    expect(reads).to.equal(1)
  })

  it('with a budget the clock is read once per STEPS_PER_CLOCK_CHECK steps, not at every step', () => {
    let reads = 0
    const history = Array.from({ length: 600 }, (_, i) => put(1, i * 10, i * 10 + 5, 'x', `${i}`))
    const r = checkOperations(kvModel, history, { timeoutMs: 1e9, now: () => ++reads })
    expect(r.result).to.equal('ok')
    // 600 steps (one per operation): the start, then iterations 0, 256 and 512.
    expect(r.partitions[0]!.stats!.steps).to.equal(600)
    expect(reads).to.equal(4)
  })

  it('a budget spent before the search starts stops it before its first step', () => {
    // One operation is a single step; with timeoutMs 0 the budget is already spent at that step.
    const r = checkOperations(kvModel, [put(1, 0, 1, 'x', 'v')], { timeoutMs: 0, now: () => 5 })
    expect(r.result).to.equal('unknown')
    expect(r.partitions[0]!.verdict).to.equal('timeout')
    expect(r.partitions[0]!.stats!.steps).to.equal(0)
  })
})
