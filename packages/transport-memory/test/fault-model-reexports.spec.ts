import { expect } from 'chai'
import * as core from '@raftkit/raft-core'
import * as memory from '../src/index.js'

describe('transport-memory re-exports the fault model of raft-core', () => {
  it('exports the same functions, classes and constants under the same names', () => {
    expect(memory.planDelivery).to.equal(core.planDelivery)
    expect(memory.Reachability).to.equal(core.Reachability)
    expect(memory.REQUEST_DROP_PROBABILITY).to.equal(core.REQUEST_DROP_PROBABILITY)
    expect(memory.REPLY_DROP_PROBABILITY).to.equal(core.REPLY_DROP_PROBABILITY)
    expect(memory.UNRELIABLE_DELAY_MS).to.equal(core.UNRELIABLE_DELAY_MS)
    expect(memory.LONG_REORDER_PROBABILITY).to.equal(core.LONG_REORDER_PROBABILITY)
    expect(memory.LONG_REORDER_MIN_MS).to.equal(core.LONG_REORDER_MIN_MS)
    expect(memory.LONG_REORDER_SPREAD_MS).to.equal(core.LONG_REORDER_SPREAD_MS)
    const plan: memory.DeliveryPlan = memory.planDelivery(
      core.createRng(1),
      { reliable: true, longReordering: false } satisfies memory.FaultModes,
      true,
    )
    expect(plan).to.deep.equal({ drop: false, delayMs: 0 })
  })
})
