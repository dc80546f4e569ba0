/**
 * The side-by-side bench's summary (bench/side-by-side-summary.ts): medians over the pairs, and
 * ratios raftkit/etcd taken within a pair (the two runs made back to back), never across pairs.
 */
import { expect } from 'chai'
import { median, summarize, type Row } from '../../bench/side-by-side-summary.js'

function row(pair: number, system: 'etcd' | 'raftkit', opsPerSec: number, clients = 64): Row {
  return {
    bench: 'side-by-side',
    pair,
    system,
    op: 'put',
    clients,
    opsPerSec,
    p50Us: 1000,
    p99Us: 2000,
    ops: opsPerSec * 2,
    errors: 0,
    serverCpuUsPerOp: 100,
    serverSleepsPerOp: 3,
    loadGenCpuUsPerOp: 50,
    loadGenCpu: 0.5,
  }
}

describe('side-by-side summary', () => {
  it('median: the middle value, or the mean of the middle two; undefined for none', () => {
    expect(median([3, 1, 2])).to.equal(2)
    expect(median([4, 1, 3, 2])).to.equal(2.5)
    expect(median([])).to.equal(undefined)
  })

  it('divides each raftkit row by the etcd row of the same pair, whatever the row order', () => {
    const rows = [
      row(2, 'raftkit', 300),
      row(1, 'etcd', 100),
      row(2, 'etcd', 200),
      row(1, 'raftkit', 400),
      row(3, 'etcd', 1000),
      row(3, 'raftkit', 500),
    ]
    const ops = summarize(rows).find((l) => l.metric === 'opsPerSec')!
    expect(ops.ratios).to.deep.equal([1.5, 4, 0.5])
    expect(ops.medianRatio).to.equal(1.5)
    expect(ops.etcd).to.equal(200)
    expect(ops.raftkit).to.equal(400)
  })

  it('keeps levels apart and gives no ratio for a system that was not measured', () => {
    const rows = [row(1, 'raftkit', 10, 1), row(1, 'raftkit', 20, 64)]
    const ops = summarize(rows).filter((l) => l.metric === 'opsPerSec')
    expect(
      ops.map((l) => [l.clients, l.raftkit, l.etcd, l.ratios.length, l.medianRatio]),
    ).to.deep.equal([
      [1, 10, undefined, 0, undefined],
      [64, 20, undefined, 0, undefined],
    ])
  })
})
