/**
 * The chaos monkey's compact history (CompactKvRecorder) and its key-by-key verdict
 * (checkKeyByKey): the recorder must give the checker exactly the operations HistoryRecorder
 * gives for the same calls, and the key-by-key verdict must be the one checkOperations and
 * lostAcknowledgedWrites give on the whole history.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import type { KvInput, KvOutput, Operation } from '@raftkit/linearizability'
import {
  HistoryRecorder,
  RecorderMisuseError,
  checkOperations,
  kvModel,
} from '@raftkit/linearizability'
import {
  CompactKvRecorder,
  checkKeyByKey,
  lostAcknowledgedWrites,
  type KvRecorder,
} from '../src/chaos/index.js'

type Op = Operation<KvInput, KvOutput>

/** One call on a recorder: begin an operation, or end / abandon the n-th one in flight. */
type Step =
  | { kind: 'begin'; client: string; input: KvInput }
  | { kind: 'end'; which: number; value: string }
  | { kind: 'unknown'; which: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('begin' as const),
    client: fc.constantFrom('c1', 'c2', 'c3'),
    input: fc.oneof(
      fc.record({ op: fc.constant('get' as const), key: fc.constantFrom('a', 'b', 'c') }),
      fc.record({
        op: fc.constantFrom('put' as const, 'append' as const),
        key: fc.constantFrom('a', 'b', 'c'),
        value: fc.string({ maxLength: 3 }),
      }),
    ),
  }),
  fc.record({
    kind: fc.constant('end' as const),
    which: fc.nat(),
    value: fc.constantFrom('', 'x', 'xy'),
  }),
  fc.record({ kind: fc.constant('unknown' as const), which: fc.nat() }),
)

/** Plays `steps` on `recorder`, the clock moving one unit per step. */
function play(steps: readonly Step[], make: (clock: { now(): number }) => KvRecorder): void {
  let t = 0
  const recorder = make({ now: () => t })
  const inFlight: Array<{ token: unknown; input: KvInput }> = []
  for (const s of steps) {
    t++
    if (s.kind === 'begin')
      inFlight.push({ token: recorder.begin(s.client, s.input), input: s.input })
    else if (inFlight.length > 0) {
      const [f] = inFlight.splice(s.which % inFlight.length, 1)
      if (s.kind === 'unknown') recorder.unknown(f!.token)
      else recorder.end(f!.token, f!.input.op === 'get' ? { value: s.value } : {})
    }
  }
}

const byCall = (a: Op, b: Op): number => a.call - b.call

describe('chaos: the compact history', () => {
  it('gives, key by key, the operations HistoryRecorder gives for the same calls (in flight ones with an unknown outcome)', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let plain!: HistoryRecorder<KvInput, KvOutput>
        let compact!: CompactKvRecorder
        play(steps, (clock) => (plain = new HistoryRecorder<KvInput, KvOutput>(clock)))
        play(steps, (clock) => (compact = new CompactKvRecorder(clock)))
        const expected = plain.operations()
        expect(compact.size).to.equal(expected.length)
        const keys = [...new Set(expected.map((op) => op.input.key))].sort()
        expect(compact.keyNames().sort()).to.deep.equal(keys)
        for (const key of keys)
          expect(compact.operationsOf(key).sort(byCall), key).to.deep.equal(
            expected.filter((op) => op.input.key === key).sort(byCall),
          )
        expect(compact.operations().sort(byCall)).to.deep.equal([...expected].sort(byCall))
      }),
      { numRuns: 300 },
    )
  })

  it('refuses a token that is not in flight with RecorderMisuseError, as HistoryRecorder does', () => {
    const r = new CompactKvRecorder({ now: () => 0 })
    const t = r.begin('c1', { op: 'get', key: 'a' })
    r.end(t, { value: '' })
    expect(() => r.end(t, { value: '' })).to.throw(RecorderMisuseError, /not in flight/)
    expect(() => r.unknown(42)).to.throw(RecorderMisuseError, /not in flight/)
    expect(r.size).to.equal(1)
  })
})

/** Records `ops` (sequential per call time) on a CompactKvRecorder. */
function recorded(ops: readonly Op[]): CompactKvRecorder {
  let t = 0
  const r = new CompactKvRecorder({ now: () => t })
  for (const op of ops) {
    t = op.call
    const token = r.begin(String(op.clientId), op.input)
    t = op.return
    if (op.output === undefined) r.unknown(token)
    else r.end(token, op.output)
  }
  return r
}

const put = (key: string, value: string, call: number): Op => ({
  clientId: 'c',
  input: { op: 'put', key, value },
  output: {},
  call,
  return: call + 1,
})
const get = (key: string, value: string, call: number): Op => ({
  clientId: 'c',
  input: { op: 'get', key },
  output: { value },
  call,
  return: call + 1,
})

describe('chaos: the key-by-key verdict', () => {
  it('is ok for a linearizable history, every key checked, as checkOperations says of the whole', () => {
    const ops = [put('a', '<1>', 0), get('a', '<1>', 2), put('b', '<2>', 4), get('b', '<2>', 6)]
    const v = checkKeyByKey(
      recorded(ops),
      new Map([
        ['a', '<1>'],
        ['b', '<2>'],
      ]),
      10_000,
    )
    expect(checkOperations(kvModel, ops).result).to.equal('ok')
    expect([v.result, v.checked, v.keys, v.lostWrites]).to.deep.equal(['ok', 2, 2, []])
  })

  it('is illegal when one key is not, with that key in the report and the explanation; lost writes of the other keys are still reported', () => {
    // key "a" read a value never written; key "b" lost an acknowledged put.
    const ops = [put('a', '<1>', 0), get('a', '<9>', 2), put('b', '<2>', 4)]
    const finals = new Map([
      ['a', '<1>'],
      ['b', ''],
    ])
    const v = checkKeyByKey(recorded(ops), finals, 10_000)
    expect(checkOperations(kvModel, ops).result).to.equal('illegal')
    expect(v.result).to.equal('illegal')
    expect(v.report.result).to.equal('illegal')
    expect(v.report.partitions.map((p) => [p.label, p.verdict])).to.deep.equal([
      ["key 'a'", 'illegal'],
    ])
    expect(v.explanation).to.include("key 'a'")
    expect(v.lostWrites).to.deep.equal(lostAcknowledgedWrites(ops, finals))
    expect(v.lostWrites.map((l) => l.value)).to.deep.equal(['<2>'])
  })

  it('reports a lost acknowledged write with its key in the report, the history being linearizable', () => {
    const ops = [put('a', '<1>', 0), put('b', '<2>', 2)]
    const v = checkKeyByKey(
      recorded(ops),
      new Map([
        ['a', '<1>'],
        ['b', '<3>'],
      ]),
      10_000,
    )
    expect(v.result).to.equal('ok')
    expect(v.lostWrites.map((l) => [l.key, l.value])).to.deep.equal([['b', '<2>']])
    expect(v.report.partitions.map((p) => p.label)).to.deep.equal(["key 'b'"])
  })

  it('is unknown when the budget runs out, naming the keys not finished', () => {
    const ops = [put('a', '<1>', 0), put('b', '<2>', 2)]
    let t = 0
    const v = checkKeyByKey(recorded(ops), new Map(), 5, () => (t += 10))
    expect(v.result).to.equal('unknown')
    expect(v.checked).to.equal(0)
    expect(v.explanation).to.match(/0 of 2 key\(s\) are linearizable, not finished: "a", "b"$/)
  })
})
