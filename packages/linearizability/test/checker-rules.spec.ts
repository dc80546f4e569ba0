/**
 * Rules of the checker's entry point (src/checker.ts, src/history.ts) that its specs did not pin:
 * the summary of several failing or unfinished partitions, and the option and time checks that
 * must reject values of the wrong type rather than coerce them. Written from the mutation run of
 * the checker group (TESTING.md "linearizability").
 */
import { expect } from 'chai'
import {
  checkOperations,
  InvalidCheckOptionsError,
  InvalidHistoryError,
  kvModel,
  type CheckOptions,
} from '../src/index.js'
import { get, put, type KvOperation } from './helpers.js'

/** A stale read on `key`: not linearizable. */
function stale(key: string): KvOperation[] {
  return [put(1, 0, 10, key, 'v'), get(2, 20, 30, key, '')]
}

describe('linearizability: checker rules', () => {
  it('explains one failing partition by its own explanation, with nothing appended', () => {
    const r = checkOperations(kvModel, [...stale('a'), put(1, 0, 1, 'b', 'v')], { verbose: true })
    expect(r.result).to.equal('illegal')
    expect(r.explanation).to.equal(r.partitions[0]!.explanation)
  })

  it('names every other failing partition after the first one, in key order', () => {
    const r = checkOperations(kvModel, [...stale('c'), ...stale('a'), ...stale('b')], {
      verbose: true,
    })
    expect(r.result).to.equal('illegal')
    expect(r.explanation).to.equal(
      `${r.partitions[0]!.explanation}\n(2 more partition(s) are not linearizable: key 'b', key 'c')`,
    )
  })

  it('counts skipped partitions as unfinished when the budget runs out', () => {
    const history = [put(1, 0, 1, 'a', 'v'), put(1, 0, 1, 'b', 'v'), put(1, 0, 1, 'c', 'v')]
    const r = checkOperations(kvModel, history, { timeoutMs: 0, now: () => 0 })
    expect(r.result).to.equal('unknown')
    expect(r.partitions.map((p) => p.verdict)).to.deep.equal(['timeout', 'skipped', 'skipped'])
    expect(r.explanation).to.equal(
      "linearizability check ran out of its 0 ms budget: 0 of 3 partition(s) are linearizable, not finished: key 'a', key 'b', key 'c'",
    )
  })

  it('rejects a budget that is not a number, naming the option and the value', () => {
    for (const timeoutMs of ['10', null, -1]) {
      let err: unknown
      try {
        checkOperations(kvModel, [], { timeoutMs } as unknown as CheckOptions)
      } catch (e) {
        err = e
      }
      expect(err, String(timeoutMs)).to.be.instanceOf(InvalidCheckOptionsError)
      expect((err as Error).message).to.include(
        `"timeoutMs": got ${String(timeoutMs)}; expected a number >= 0`,
      )
    }
  })

  it('rejects a return time that is not a number (a string or null), not coercing it', () => {
    for (const ret of ['30', null]) {
      const op = { ...put(1, 0, 10, 'k', 'v'), return: ret } as unknown as KvOperation
      expect(() => checkOperations(kvModel, [op]))
        .to.throw(InvalidHistoryError)
        .with.property('message')
        .that.includes(`has return time ${String(ret)}`)
    }
  })
})
