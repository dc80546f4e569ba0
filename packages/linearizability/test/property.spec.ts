import { expect } from 'chai'
import fc from 'fast-check'
import { checkOperations, kvModel } from '../src/index.js'
import { expectWitness, type KvOperation } from './helpers.js'

/** What happens to the client's view of an operation. */
type Fate = 'known' | 'lostAfterApply' | 'lostNeverApplied'

interface PlannedOp {
  kind: 'get' | 'put' | 'append'
  key: number
  client: number
  /** How far before / after its linearization point the client's interval reaches. */
  before: number
  after: number
  fate: Fate
  /** Position in the history array given to the checker (it must not depend on it). */
  shuffle: number
}

const plannedOp: fc.Arbitrary<PlannedOp> = fc.record({
  kind: fc.constantFrom('get' as const, 'put' as const, 'append' as const),
  key: fc.nat({ max: 2 }),
  client: fc.nat({ max: 4 }),
  before: fc.nat({ max: 35 }),
  after: fc.nat({ max: 35 }),
  fate: fc.constantFrom<Fate>(
    'known',
    'known',
    'known',
    'known',
    'lostAfterApply',
    'lostNeverApplied',
  ),
  shuffle: fc.nat(),
})

/**
 * Runs the planned operations for real, one after the other on a Map (operation i takes effect at
 * time 10 i), and records each with an interval around that moment. Lost operations get an
 * unknown outcome; some of them never reached the store at all.
 */
function execute(plan: PlannedOp[]): KvOperation[] {
  const store = new Map<string, string>()
  const history = plan.map((p, i): KvOperation & { shuffle: number } => {
    const key = `k${p.key}`
    const at = 10 * i + 40
    const call = at - p.before
    const applied = p.fate !== 'lostNeverApplied'
    let output: KvOperation['output']
    if (p.kind === 'get') {
      output = { value: store.get(key) ?? '' }
    } else {
      const value = `${p.kind[0]}${i};`
      if (applied) store.set(key, p.kind === 'put' ? value : (store.get(key) ?? '') + value)
      output = {}
      return {
        clientId: p.client,
        input: { op: p.kind, key, value },
        ...(p.fate === 'known'
          ? { output, return: at + p.after }
          : { output: undefined, return: Infinity }),
        call,
        shuffle: p.shuffle,
      }
    }
    const known = p.fate === 'known'
    return {
      clientId: p.client,
      input: { op: 'get', key },
      output: known ? output : undefined,
      call,
      return: known ? at + p.after : Infinity,
      shuffle: p.shuffle,
    }
  })
  return history.sort((a, b) => a.shuffle - b.shuffle).map(({ shuffle: _s, ...op }) => op)
}

describe('linearizability: histories from real sequential executions (property)', () => {
  it('are always linearizable, with a valid witness', () => {
    fc.assert(
      fc.property(fc.array(plannedOp, { minLength: 1, maxLength: 40 }), (plan) => {
        const r = checkOperations(kvModel, execute(plan), { timeoutMs: 10_000 })
        expect(r.result, r.explanation).to.equal('ok')
        for (const p of r.partitions) expectWitness(p.operations, p.linearization!)
      }),
      { seed: 20240611, numRuns: 200 },
    )
  })

  it("become illegal when one get's output is a value never written", () => {
    fc.assert(
      fc.property(fc.array(plannedOp, { minLength: 1, maxLength: 40 }), fc.nat(), (plan, pick) => {
        const history = execute(plan)
        const gets = history.flatMap((op, i) => (op.input.op === 'get' && op.output ? [i] : []))
        fc.pre(gets.length > 0)
        const victim = gets[pick % gets.length]!
        const op = history[victim]!
        history[victim] = { ...op, output: { value: 'never-written' } }
        const r = checkOperations(kvModel, history, { timeoutMs: 10_000 })
        expect(r.result).to.equal('illegal')
        const failing = r.partitions.find((p) => p.verdict === 'illegal')!
        expect(failing.label).to.equal(`key '${op.input.key}'`)
        expect(r.explanation).to.include("-> 'never-written'")
      }),
      { seed: 20240612, numRuns: 200 },
    )
  })
})
