import { expect } from 'chai'
import {
  checkOperations,
  InvalidCheckOptionsError,
  InvalidHistoryError,
  kvModel,
  type Model,
  type Operation,
} from '../src/index.js'
import { append, expectWitness, get, put, type KvOperation } from './helpers.js'

/** A register that can be written once: a second write is illegal. */
type OnceInput = { op: 'write'; value: string } | { op: 'read' }
const writeOnceModel: Model<string | null, OnceInput, string | null> = {
  init: () => null,
  step(state, input, output) {
    if (input.op === 'write') return { ok: state === null, state: input.value }
    return { ok: output === undefined || output === state, state }
  },
  describeOperation: (input, output) =>
    input.op === 'write' ? `write(${input.value})` : `read() -> ${String(output)}`,
  describeState: (s) => String(s),
}

/** Deterministic pseudo-random numbers for building large histories. */
function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

/**
 * `n` operations on one key from a real sequential execution (one linearization point every 10
 * time units), each stretched to an interval reaching `spread` units either side, so that about
 * `spread / 5` operations overlap at any moment. Puts draw from a few values, so many different
 * orders reach the same state: the configuration cache is what keeps the search small.
 */
function concurrentHistory(n: number, spread: number, seed: number): KvOperation[] {
  const rand = lcg(seed)
  let value = ''
  const ops: KvOperation[] = []
  for (let i = 0; i < n; i++) {
    const t = 10 * i + spread
    const call = t - Math.floor(rand() * spread)
    const ret = t + Math.floor(rand() * spread)
    const client = i % 5
    if (rand() < 0.5) {
      value = String(Math.floor(rand() * 3))
      ops.push(put(client, call, ret, 'k', value))
    } else ops.push(get(client, call, ret, 'k', value))
  }
  return ops
}

describe('linearizability: checker', () => {
  it('works with a model that has no partition function (one partition)', () => {
    const ops: Operation<OnceInput, string | null>[] = [
      { clientId: 1, input: { op: 'write', value: 'a' }, output: 'ignored', call: 0, return: 10 },
      { clientId: 2, input: { op: 'read' }, output: 'a', call: 20, return: 30 },
    ]
    const r = checkOperations(writeOnceModel, ops)
    expect(r.result).to.equal('ok')
    expect(r.partitions.map((p) => p.label)).to.deep.equal(['all operations'])
  })

  it('lets an unknown-outcome op never take effect when it could not take effect anywhere', () => {
    // write(a) cannot precede write(b) (the read sees b) nor follow it (a second write is
    // illegal): the history is linearizable only if write(a) never happened.
    const ops: Operation<OnceInput, string | null>[] = [
      {
        clientId: 1,
        input: { op: 'write', value: 'a' },
        output: undefined,
        call: 0,
        return: Infinity,
      },
      { clientId: 2, input: { op: 'write', value: 'b' }, output: null, call: 5, return: 10 },
      { clientId: 3, input: { op: 'read' }, output: 'b', call: 20, return: 30 },
    ]
    const r = checkOperations(writeOnceModel, ops)
    expect(r.result, r.explanation).to.equal('ok')
    expect(r.partitions[0]!.linearization).to.deep.equal([1, 2])
    // The same write with a known outcome makes it illegal.
    const known = [{ ...ops[0]!, output: null, return: 40 }, ops[1]!, ops[2]!]
    expect(checkOperations(writeOnceModel, known).result).to.equal('illegal')
  })

  it('checks a 200-op highly concurrent history thanks to the configuration cache', () => {
    // Without the cache this history did not finish in 10 s of search; with it, ~22k steps.
    const history = concurrentHistory(200, 100, 11)
    const r = checkOperations(kvModel, history, { timeoutMs: 20_000 })
    expect(r.result, r.explanation).to.equal('ok')
    const p = r.partitions[0]!
    expectWitness(p.operations, p.linearization!)
    expect(p.stats!.cacheHits).to.be.greaterThan(0)
  })

  it('finds a violation in a 200-op concurrent history', () => {
    const history = concurrentHistory(200, 60, 11)
    const lastGet = history.map((op) => op.input.op).lastIndexOf('get')
    history[lastGet] = { ...history[lastGet]!, output: { value: 'never written' } }
    const r = checkOperations(kvModel, history, { timeoutMs: 20_000 })
    expect(r.result).to.equal('illegal')
  })

  describe('time budget', () => {
    /** n appends all concurrent, then a read no order explains: every order gets explored. */
    function pathological(n: number): KvOperation[] {
      const ops = Array.from({ length: n }, (_, i) =>
        append(i, 0, 100, 'k', String.fromCharCode(97 + i)),
      )
      return [...ops, get(99, 200, 210, 'k', 'not any order')]
    }

    it("returns 'unknown' when the budget runs out (deterministic clock)", () => {
      let fakeNow = 0
      const now = () => fakeNow++ // every look at the clock costs 1 ms
      const r = checkOperations(kvModel, pathological(14), { timeoutMs: 50, now })
      expect(r.result).to.equal('unknown')
      expect(r.partitions[0]!.verdict).to.equal('timeout')
      expect(r.explanation).to.include('ran out of its 50 ms budget')
      expect(r.explanation).to.include("not finished: key 'k'")
    })

    it("returns 'unknown' with a tiny real budget on a search that cannot finish", () => {
      const r = checkOperations(kvModel, pathological(14), { timeoutMs: 20 })
      expect(r.result).to.equal('unknown')
    })

    it('gives the same history a verdict when the budget suffices', () => {
      expect(checkOperations(kvModel, pathological(4)).result).to.equal('illegal')
    })

    it('skips the remaining partitions once the budget is spent', () => {
      const history = [...pathological(14), put(1, 0, 1, 'z', 'v')]
      const r = checkOperations(kvModel, history, { timeoutMs: 0 })
      expect(r.result).to.equal('unknown')
      expect(r.partitions.map((p) => p.verdict)).to.deep.equal(['timeout', 'skipped'])
    })
  })

  describe('bad input', () => {
    function expectHistoryError(history: unknown[], index: number, fragment: string) {
      let err: unknown
      try {
        checkOperations(kvModel, history as KvOperation[])
      } catch (e) {
        err = e
      }
      expect(err).to.be.instanceOf(InvalidHistoryError)
      const e = err as InvalidHistoryError
      expect(e.code).to.equal('LIN_INVALID_HISTORY')
      expect(e.index).to.equal(index)
      expect(e.message).to.include(fragment)
    }

    it('rejects a return before the call', () => {
      expectHistoryError([put(1, 0, 10, 'x', '1'), put(1, 20, 5, 'x', '2')], 1, 'return time 5')
    })

    it('rejects non-finite or NaN times', () => {
      expectHistoryError([put(1, NaN, 10, 'x', '1')], 0, 'call time NaN')
      expectHistoryError([put(1, Infinity, Infinity, 'x', '1')], 0, 'call time Infinity')
      expectHistoryError([put(1, 0, NaN, 'x', '1')], 0, 'return time NaN')
    })

    it('rejects inputs the kv model does not know', () => {
      const bad = { clientId: 1, input: { op: 'delete', key: 'x' }, output: {}, call: 0, return: 1 }
      expectHistoryError([put(1, 0, 1, 'x', '1'), bad], 1, `op "delete"`)
      const noValue = {
        clientId: 1,
        input: { op: 'put', key: 'x' },
        output: {},
        call: 0,
        return: 1,
      }
      expectHistoryError([noValue], 0, 'put without a string value')
      const noKey = { clientId: 1, input: { op: 'get' }, output: {}, call: 0, return: 1 }
      expectHistoryError([noKey], 0, 'key that is not a string')
      const noOutput = {
        clientId: 1,
        input: { op: 'get', key: 'x' },
        output: undefined,
        call: 0,
        return: 1,
      }
      expectHistoryError([noOutput], 0, 'get that returned but has no output')
      const badValue = {
        clientId: 1,
        input: { op: 'get', key: 'x' },
        output: { value: 3 },
        call: 0,
        return: 1,
      }
      expectHistoryError([badValue], 0, 'output value is not a string')
      expectHistoryError(
        [{ ...put(1, 0, 1, 'x', '1'), output: null }],
        0,
        'output that is not an object',
      )
    })

    it('rejects a negative or NaN budget', () => {
      for (const timeoutMs of [-1, NaN]) {
        expect(() => checkOperations(kvModel, [], { timeoutMs }))
          .to.throw(InvalidCheckOptionsError)
          .with.property('code', 'LIN_INVALID_OPTIONS')
      }
    })

    it('does not modify the history it is given', () => {
      const history = [put(1, 0, 10, 'x', '1'), get(2, 20, 30, 'x', ''), get(3, 5, Infinity, 'x')]
      const copy = structuredClone(history)
      checkOperations(kvModel, history)
      expect(history).to.deep.equal(copy)
    })
  })
})
