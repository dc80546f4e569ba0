import { expect } from 'chai'
import { checkOperations, kvModel } from '../src/index.js'
import { append, expectWitness, get, put, type KvOperation } from './helpers.js'

function check(history: KvOperation[]) {
  return checkOperations(kvModel, history, { timeoutMs: 10_000 })
}

function expectOk(history: KvOperation[]) {
  const r = check(history)
  expect(r.result, r.explanation).to.equal('ok')
  for (const p of r.partitions) expectWitness(p.operations, p.linearization!)
  return r
}

describe('linearizability: hand-made kv histories', () => {
  it('accepts a sequential history', () => {
    expectOk([
      put(1, 0, 10, 'x', '1'),
      get(2, 20, 30, 'x', '1'),
      append(1, 40, 50, 'x', '2'),
      get(2, 60, 70, 'x', '12'),
    ])
  })

  it('reads a missing key as ""', () => {
    expectOk([get(1, 0, 5, 'nothing-here', ''), put(1, 10, 15, 'other', 'v')])
    expect(check([get(1, 0, 5, 'nothing-here', 'x')]).result).to.equal('illegal')
  })

  it('accepts an empty history', () => {
    const r = check([])
    expect(r.result).to.equal('ok')
    expect(r.partitions).to.have.length(0)
  })

  it('rejects a stale read after a completed write, and explains it', () => {
    const r = check([put(1, 0, 10, 'x', '1'), get(2, 20, 30, 'x', '')])
    expect(r.result).to.equal('illegal')
    const p = r.partitions[0]!
    expect(p.verdict).to.equal('illegal')
    expect(p.longestPrefix).to.deep.equal([0])
    expect(p.failedOp).to.equal(1)
    const text = r.explanation!
    expect(text).to.include("key 'x'")
    expect(text).to.include("#0  client 1  [0, 10]  put('x', '1')")
    expect(text).to.include("#1  client 2  [20, 30]  get('x') -> ''")
    expect(text).to.include("could not place #1 get('x') -> '' (client 2, returned at 30)")
    expect(text).to.include("#1 get('x') -> '': illegal in state '1'")
  })

  it('rejects two concurrent appends observed in inconsistent orders', () => {
    const history = [
      append(1, 0, 10, 'k', 'a'),
      append(2, 0, 10, 'k', 'b'),
      get(3, 20, 30, 'k', 'ab'),
      get(4, 20, 30, 'k', 'ba'),
    ]
    const r = check(history)
    expect(r.result).to.equal('illegal')
    const p = r.partitions[0]!
    expect(p.longestPrefix).to.have.length(3)
    expect([2, 3]).to.include(p.failedOp)
    // The same appends observed in one order by both readers are fine.
    expectOk([...history.slice(0, 3), get(4, 20, 30, 'k', 'ab')])
  })

  it('reports the longest prefix of any branch, not the last one tried', () => {
    // Trying #0 first reaches [0, 1] and fails at #2; trying #1 first gets further, [1, 0, 2],
    // and fails at #3. The deeper branch is the one to report, though more was tried after it.
    const r = check([
      put(1, 0, 10, 'x', '1'),
      put(2, 0, 10, 'x', '2'),
      get(3, 11, 12, 'x', '1'),
      get(3, 13, 14, 'x', '2'),
    ])
    expect(r.result).to.equal('illegal')
    expect(r.partitions[0]!.longestPrefix).to.deep.equal([1, 0, 2])
  })

  it('reports, on timeout, the prefix it had reached', () => {
    const history = Array.from({ length: 1000 }, (_, i) => put(1, i * 10, i * 10 + 5, 'x', `${i}`))
    let calls = 0
    // A clock that has run out from its third reading on: the search starts, then stops at the
    // next check of the budget.
    const r = checkOperations(kvModel, history, { timeoutMs: 1, now: () => (calls++ < 2 ? 0 : 2) })
    expect(r.result).to.equal('unknown')
    const p = r.partitions[0]!
    expect(p.verdict).to.equal('timeout')
    const prefix = p.longestPrefix!
    expect(prefix.length).to.be.greaterThan(0).and.lessThan(1000)
    expect(prefix).to.deep.equal(Array.from({ length: prefix.length }, (_, i) => i))
  })

  it('accepts a concurrent put/get either way, but not a value never written', () => {
    const before = expectOk([put(1, 0, 10, 'x', '1'), get(2, 5, 15, 'x', '')])
    expect(before.partitions[0]!.linearization).to.deep.equal([1, 0])
    const after = expectOk([put(1, 0, 10, 'x', '1'), get(2, 5, 15, 'x', '1')])
    expect(after.partitions[0]!.linearization).to.deep.equal([0, 1])
    expect(check([put(1, 0, 10, 'x', '1'), get(2, 5, 15, 'x', '2')]).result).to.equal('illegal')
  })

  it('treats intervals that only touch as concurrent (calls sort before returns)', () => {
    expectOk([put(1, 0, 10, 'x', '1'), get(2, 10, 20, 'x', '')])
    expect(check([put(1, 0, 10, 'x', '1'), get(2, 11, 20, 'x', '')]).result).to.equal('illegal')
  })

  it('accepts a history that is only linearizable if an unknown-outcome op took effect', () => {
    const observed = get(2, 20, 30, 'x', 'a')
    expect(check([observed]).result, 'nobody wrote "a"').to.equal('illegal')
    const r = expectOk([append(1, 0, Infinity, 'x', 'a'), observed])
    expect(r.partitions[0]!.linearization).to.deep.equal([0, 1])
  })

  it('accepts a history that is only linearizable if an unknown-outcome op did NOT take effect', () => {
    // Had the append taken effect at any point before the last read, a read would show 'z'.
    const r = expectOk([
      put(1, 0, 10, 'x', '1'),
      append(2, 5, Infinity, 'x', 'z'),
      get(3, 20, 30, 'x', '1'),
      get(3, 100, 110, 'x', '1'),
    ])
    // Taking effect after every read is indistinguishable from never taking effect.
    expect(r.partitions[0]!.linearization!.slice(0, 3)).to.deep.equal([0, 2, 3])
  })

  it('does not let an unknown-outcome op take effect before its call', () => {
    const r = check([get(1, 0, 10, 'x', 'a'), append(2, 50, Infinity, 'x', 'a')])
    expect(r.result).to.equal('illegal')
    expect(r.partitions[0]!.failedOp).to.equal(0)
  })

  it('drops gets whose response was lost: they constrain nothing', () => {
    const r = expectOk([put(1, 0, 10, 'x', '1'), get(2, 20, Infinity, 'x')])
    expect(r.partitions[0]!.operations).to.have.length(1)
  })

  it('checks keys independently, in sorted order, stopping at the first failure unless verbose', () => {
    const history = [
      put(1, 0, 10, 'c', '1'),
      get(2, 20, 30, 'c', ''), // illegal
      put(1, 0, 10, 'b', '1'),
      get(2, 20, 30, 'b', ''), // illegal
      put(1, 0, 10, 'a', '1'),
      get(2, 20, 30, 'a', '1'), // fine
    ]
    const quick = check(history)
    expect(quick.result).to.equal('illegal')
    expect(quick.partitions.map((p) => [p.label, p.verdict])).to.deep.equal([
      ["key 'a'", 'ok'],
      ["key 'b'", 'illegal'],
      ["key 'c'", 'skipped'],
    ])
    const verbose = checkOperations(kvModel, history, { verbose: true })
    expect(verbose.partitions.map((p) => p.verdict)).to.deep.equal(['ok', 'illegal', 'illegal'])
    expect(verbose.explanation).to.include("key 'b'")
    expect(verbose.explanation).to.include("1 more partition(s) are not linearizable: key 'c'")
  })

  it('finds the violation when a later write is seen before an earlier one completes', () => {
    // Client 3 sees '2' then a later read sees '1' although put('2') followed put('1').
    const r = check([
      put(1, 0, 10, 'x', '1'),
      put(2, 20, 30, 'x', '2'),
      get(3, 25, 35, 'x', '2'),
      get(3, 40, 50, 'x', '1'),
    ])
    expect(r.result).to.equal('illegal')
    expect(r.partitions[0]!.failedOp).to.equal(3)
  })
})
