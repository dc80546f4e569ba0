/**
 * The chaos verdict's lost-write check (`lostAcknowledgedWrites`) against its definition, written
 * out as plainly as possible: an acknowledged write is lost when the key's final value does not
 * show it and no other put on the key (acknowledged or not) returned after the write was called.
 * The check itself keeps each key's two latest put returns (it scanned every put per write before,
 * which took minutes on a 10-minute run's 386 594 operations); these histories are small and
 * dense in ties, overlapping puts and unknown outcomes, where the two could differ.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import type { KvInput, KvOutput, Operation } from '@raftkit/linearizability'
import { lostAcknowledgedWrites } from '../src/chaos/index.js'

type Op = Operation<KvInput, KvOutput>

/** The definition: every other put of the key, one by one. */
function lostByDefinition(history: readonly Op[], finals: ReadonlyMap<string, string>) {
  const lost = []
  for (const op of history) {
    const { key, value = '' } = op.input
    const final = finals.get(key)
    if (op.input.op === 'get' || op.return === Infinity || final === undefined) continue
    const overwritten = history.some(
      (p) => p !== op && p.input.op === 'put' && p.input.key === key && p.return > op.call,
    )
    if (overwritten) continue
    const shown = op.input.op === 'append' ? final.includes(value) : final.startsWith(value)
    if (!shown) lost.push({ key, op: op.input.op, value, finalValue: final })
  }
  return lost
}

const operation = fc
  .record({
    op: fc.constantFrom('get', 'put', 'append'),
    key: fc.constantFrom('a', 'b'),
    call: fc.integer({ min: 0, max: 20 }),
    length: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(Infinity)),
  })
  .map(({ op, key, call, length }) => ({ op, key, call, ret: call + length }))

const history = fc.array(operation, { maxLength: 14 }).map((ops) =>
  ops.map((o, i): Op => ({
    clientId: `c${i % 3}`,
    input: o.op === 'get' ? { op: 'get', key: o.key } : { op: o.op, key: o.key, value: `<${i}>` },
    output: {},
    call: o.call,
    return: o.ret,
  })),
)

/** Final values made of some of the history's written values (and one a history never wrote). */
const finals = (h: readonly Op[]) =>
  fc
    .tuple(
      fc.subarray(h.map((op) => op.input.value).filter((v): v is string => v !== undefined)),
      fc.subarray(['a', 'b']),
      fc.boolean(),
    )
    .map(
      ([values, keys, stray]) =>
        new Map(keys.map((k) => [k, (stray ? '<stray>' : '') + values.join('')])),
    )

describe('chaos verdict: acknowledged writes lost from the final values', () => {
  it('reports exactly the writes the definition reports, in the same order', () => {
    fc.assert(
      fc.property(
        history.chain((h) => fc.tuple(fc.constant(h), finals(h))),
        ([h, f]) => {
          expect(lostAcknowledgedWrites(h, f)).to.deep.equal(lostByDefinition(h, f))
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('a put is not excused by itself, only by another put that returned after it was called', () => {
    const put = (value: string, call: number, ret: number): Op => ({
      clientId: 'c',
      input: { op: 'put', key: 'a', value },
      output: {},
      call,
      return: ret,
    })
    const finals = new Map([['a', '<x>']])
    // The latest put alone: nothing may have overwritten it, so <2> is lost.
    const alone = [put('<1>', 0, 5), put('<2>', 6, 9)]
    expect(lostAcknowledgedWrites(alone, finals).map((l) => l.value)).to.deep.equal(['<2>'])
    // Another put returned at the same time as the latest: each excuses the other.
    const tied = [put('<1>', 7, 9), put('<2>', 6, 9)]
    expect(lostAcknowledgedWrites(tied, finals)).to.deep.equal([])
    // A put whose outcome is unknown may have come after any write.
    const unknown = [put('<1>', 0, 5), put('<2>', 1, Infinity)]
    expect(lostAcknowledgedWrites(unknown, finals)).to.deep.equal([])
  })
})
