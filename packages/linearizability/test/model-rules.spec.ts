/**
 * Rules of the key/value model (src/model.ts) that the checker's specs do not reach: its step and
 * descriptions for outcomes the partitioning drops, what a get's output may leave out, and the
 * malformed operations validate() turns into InvalidHistoryError. Written from the mutation run
 * of the checker group (TESTING.md "linearizability").
 */
import { expect } from 'chai'
import { checkOperations, InvalidHistoryError, kvModel } from '../src/index.js'
import { get, put, type KvOperation } from './helpers.js'

function historyError(history: unknown[]): InvalidHistoryError {
  try {
    checkOperations(kvModel, history as KvOperation[])
  } catch (e) {
    expect(e).to.be.instanceOf(InvalidHistoryError)
    return e as InvalidHistoryError
  }
  expect.fail('the history was accepted')
}

describe('linearizability: kv model rules', () => {
  it('a get whose outcome is unknown is legal in any state and leaves it as it was', () => {
    for (const state of ['', 'a', 'ab']) {
      expect(kvModel.step(state, { op: 'get', key: 'k' }, undefined)).to.deep.equal({
        ok: true,
        state,
      })
    }
  })

  it('a get whose output has no value read "" (a missing key), and nothing else', () => {
    const readsEmpty = { ...get(2, 20, 30, 'k'), output: {} }
    expect(checkOperations(kvModel, [readsEmpty]).result).to.equal('ok')
    expect(checkOperations(kvModel, [put(1, 0, 10, 'k', 'v'), readsEmpty]).result).to.equal(
      'illegal',
    )
  })

  it('a put that returned without an output object is accepted: its output is unused', () => {
    const history = [{ ...put(1, 0, 10, 'k', 'v'), output: undefined }, get(2, 20, 30, 'k', 'v')]
    expect(checkOperations(kvModel, history).result).to.equal('ok')
  })

  it('rejects an input that is not an object, null included, before reading its fields', () => {
    for (const input of [null, 'get', 7]) {
      const e = historyError([{ clientId: 1, input, output: {}, call: 0, return: 1 }])
      expect(e.index).to.equal(0)
      expect(e.message).to.include('has no input object')
    }
  })

  it('rejects an output that is not an object, a string one included', () => {
    const e = historyError([{ ...get(1, 0, 1, 'k', 'v'), output: 'v' }])
    expect(e.message).to.include('has an output that is not an object')
  })

  it('describes a get with an unknown outcome, an empty read, and quotes and backslashes', () => {
    expect(kvModel.describeOperation({ op: 'get', key: 'k' }, undefined)).to.equal("get('k') -> ?")
    expect(kvModel.describeOperation({ op: 'get', key: 'k' }, {})).to.equal("get('k') -> ''")
    expect(kvModel.describeOperation({ op: 'put', key: "it's", value: 'a\\b' }, {})).to.equal(
      "put('it\\'s', 'a\\\\b')",
    )
  })
})
