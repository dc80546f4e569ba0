/**
 * The text of an explanation (src/explain.ts), in full: operations by call time (ties by index),
 * an unknown outcome's open interval, the longest prefix with its states (or the empty one), the
 * operation that could not be placed (the first by return time, ties by index) and every
 * candidate tried after the prefix. Written from the mutation run of the checker group
 * (TESTING.md "linearizability"), where only fragments of it were checked.
 */
import { expect } from 'chai'
import { checkOperations, kvModel } from '../src/index.js'
import { append, get, put } from './helpers.js'

describe('linearizability: explanations', () => {
  it('lays out the operations, the longest prefix, the failed operation and its candidates', () => {
    const r = checkOperations(kvModel, [
      put(1, 0, 10, 'k', 'a'),
      append(2, 0, Infinity, 'k', 'b'),
      get(3, 20, 30, 'k', 'c'),
      get(4, 20, 30, 'k', 'c'),
      put(5, 25, 40, 'k', 'z'),
      // Called just as #2 returned: intervals that touch overlap, so it is a candidate too.
      get(6, 30, 50, 'k', 'q'),
      // Called after #2 returned: not a candidate.
      get(7, 31, 50, 'k', 'q'),
    ])
    expect(r.result).to.equal('illegal')
    expect(r.partitions[0]!.failedOp).to.equal(2)
    expect(r.explanation!.split('\n')).to.deep.equal([
      "history is not linearizable: key 'k' (7 operations)",
      'operations, by call time:',
      "  #0  client 1  [0, 10]  put('k', 'a')",
      "  #1  client 2  [0, ?)  append('k', 'b')  (outcome unknown: may or may not have taken effect)",
      "  #2  client 3  [20, 30]  get('k') -> 'c'",
      "  #3  client 4  [20, 30]  get('k') -> 'c'",
      "  #4  client 5  [25, 40]  put('k', 'z')",
      "  #5  client 6  [30, 50]  get('k') -> 'q'",
      "  #6  client 7  [31, 50]  get('k') -> 'q'",
      "longest linearizable prefix found (3 of 7), starting from state '':",
      "  1. #0 put('k', 'a')  -> state 'a'",
      "  2. #1 append('k', 'b')  -> state 'ab'",
      "  3. #4 put('k', 'z')  -> state 'z'",
      "could not place #2 get('k') -> 'c' (client 3, returned at 30):",
      "  it must take effect before anything that started after it returned, but from state 'z' no operation that had started by then leads to a linearization:",
      "  #2 get('k') -> 'c': illegal in state 'z'",
      "  #3 get('k') -> 'c': illegal in state 'z'",
      "  #5 get('k') -> 'q': illegal in state 'z'",
    ])
  })

  it('orders the operations by call time and picks the failed one by return time, not by index', () => {
    const r = checkOperations(kvModel, [
      get(1, 20, 30, 'k', 'c'),
      get(2, 20, 25, 'k', 'd'),
      put(3, 0, 10, 'k', 'a'),
    ])
    expect(r.partitions[0]!.failedOp).to.equal(1)
    expect(r.explanation!.split('\n')).to.deep.equal([
      "history is not linearizable: key 'k' (3 operations)",
      'operations, by call time:',
      "  #2  client 3  [0, 10]  put('k', 'a')",
      "  #0  client 1  [20, 30]  get('k') -> 'c'",
      "  #1  client 2  [20, 25]  get('k') -> 'd'",
      "longest linearizable prefix found (1 of 3), starting from state '':",
      "  1. #2 put('k', 'a')  -> state 'a'",
      "could not place #1 get('k') -> 'd' (client 2, returned at 25):",
      "  it must take effect before anything that started after it returned, but from state 'a' no operation that had started by then leads to a linearization:",
      "  #0 get('k') -> 'c': illegal in state 'a'",
      "  #1 get('k') -> 'd': illegal in state 'a'",
    ])
  })

  it('says so when not even the first operation can be placed', () => {
    const r = checkOperations(kvModel, [get(1, 0, 10, 'k', 'v')])
    expect(r.explanation!.split('\n')).to.deep.equal([
      "history is not linearizable: key 'k' (1 operations)",
      'operations, by call time:',
      "  #0  client 1  [0, 10]  get('k') -> 'v'",
      "longest linearizable prefix found (0 of 1), starting from state '':",
      '  (empty: not even the first operation can be placed)',
      "could not place #0 get('k') -> 'v' (client 1, returned at 10):",
      "  it must take effect before anything that started after it returned, but from state '' no operation that had started by then leads to a linearization:",
      "  #0 get('k') -> 'v': illegal in state ''",
    ])
  })
})
