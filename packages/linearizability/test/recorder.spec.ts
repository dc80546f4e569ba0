import { expect } from 'chai'
import { SimulatedClock } from '@raftkit/raft-core'
import {
  checkOperations,
  HistoryRecorder,
  kvModel,
  RecorderMisuseError,
  type KvInput,
  type KvOutput,
} from '../src/index.js'

describe('linearizability: HistoryRecorder', () => {
  it('records call and return times from the injected clock', async () => {
    const clock = new SimulatedClock(1000)
    const rec = new HistoryRecorder<KvInput, KvOutput>(clock)
    const a = rec.begin(1, { op: 'put', key: 'x', value: '1' })
    await clock.advance(5)
    const b = rec.begin(2, { op: 'get', key: 'x' })
    await clock.advance(3)
    rec.end(a, {})
    await clock.advance(4)
    rec.end(b, { value: '1' })
    expect(rec.operations()).to.deep.equal([
      {
        clientId: 1,
        input: { op: 'put', key: 'x', value: '1' },
        output: {},
        call: 1000,
        return: 1008,
      },
      {
        clientId: 2,
        input: { op: 'get', key: 'x' },
        output: { value: '1' },
        call: 1005,
        return: 1012,
      },
    ])
    expect(checkOperations(kvModel, rec.operations()).result).to.equal('ok')
  })

  it('records lost and still-pending operations with an unknown outcome', async () => {
    const clock = new SimulatedClock()
    const rec = new HistoryRecorder<KvInput, KvOutput>(clock)
    const lost = rec.begin(1, { op: 'append', key: 'x', value: 'a' })
    await clock.advance(10)
    rec.unknown(lost)
    rec.begin(2, { op: 'append', key: 'x', value: 'b' })
    await clock.advance(10)
    const read = rec.begin(3, { op: 'get', key: 'x' })
    await clock.advance(10)
    rec.end(read, { value: 'ab' })
    expect(rec.pendingCount()).to.equal(1)
    const ops = rec.operations()
    expect(ops.map((o) => [o.clientId, o.call, o.return, o.output])).to.deep.equal([
      [1, 0, Infinity, undefined],
      [3, 20, 30, { value: 'ab' }],
      [2, 10, Infinity, undefined],
    ])
    // 'ab' is only explained if both unknown appends took effect, in call order.
    expect(checkOperations(kvModel, ops).result).to.equal('ok')
  })

  it('rejects ending a token twice or one it never issued, leaving the history unchanged', () => {
    const rec = new HistoryRecorder<KvInput, KvOutput>({ now: () => 7 })
    const t = rec.begin(1, { op: 'put', key: 'x', value: '1' })
    rec.end(t, {})
    const before = rec.operations()
    expect(() => rec.end(t, {}))
      .to.throw(RecorderMisuseError)
      .with.property('code', 'LIN_RECORDER_MISUSE')
    expect(() => rec.unknown(t)).to.throw(RecorderMisuseError)
    expect(() => rec.unknown(12345 as typeof t)).to.throw(RecorderMisuseError, 'token 12345')
    expect(rec.operations()).to.deep.equal(before)
  })
})
