/** The controller's replicated state: configuration history and at-most-once Join/Leave/Move. */
import { expect } from 'chai'
import { CtrlerStateMachine, EMPTY_CONFIG, encodeCtrlerCommand } from '../src/index.js'
import type { CtrlerCommand } from '../src/index.js'

function apply(sm: CtrlerStateMachine, cmd: CtrlerCommand, index: number) {
  return sm.apply(encodeCtrlerCommand(cmd), index)
}

describe('shard controller state machine', () => {
  it('configuration 0 is empty and old configurations stay queryable', () => {
    const sm = new CtrlerStateMachine()
    expect(sm.query(0)).to.deep.equal(EMPTY_CONFIG)
    apply(sm, { op: 'join', groups: [[1, ['a']]], clientId: 'c', seq: 1 }, 1)
    apply(sm, { op: 'join', groups: [[2, ['b']]], clientId: 'c', seq: 2 }, 2)
    expect(sm.query(0)).to.deep.equal(EMPTY_CONFIG)
    expect(sm.query(1).shards).to.deep.equal(new Array(10).fill(1))
    expect(sm.query(-1).num).to.equal(2)
    expect(sm.query(99).num).to.equal(2)
  })

  it('a retried Join (same client, same seq, same arguments) runs once', () => {
    const sm = new CtrlerStateMachine()
    const join: CtrlerCommand = { op: 'join', groups: [[1, ['a']]], clientId: 'c', seq: 1 }
    expect(apply(sm, join, 1).status).to.equal('ok')
    expect(apply(sm, join, 2).status).to.equal('ok')
    expect(sm.latest().num).to.equal(1)
  })

  it('a different request under a used seq is a conflict and changes nothing', () => {
    const sm = new CtrlerStateMachine()
    apply(sm, { op: 'join', groups: [[1, ['a']]], clientId: 'c', seq: 1 }, 1)
    const r = apply(sm, { op: 'leave', gids: [1], clientId: 'c', seq: 1 }, 2)
    expect(r.status).to.equal('conflict')
    expect(sm.latest().num).to.equal(1)
  })

  it('Move to a gid that is not a member is refused; a malformed entry is skipped', () => {
    const sm = new CtrlerStateMachine()
    apply(sm, { op: 'join', groups: [[1, ['a']]], clientId: 'c', seq: 1 }, 1)
    expect(apply(sm, { op: 'move', shard: 3, gid: 7, clientId: 'c', seq: 2 }, 2).status).to.equal(
      'unknown-group',
    )
    expect(sm.apply(new Uint8Array([0xc1]), 3).status).to.equal('malformed')
    expect(sm.latest().num).to.equal(1)
  })

  it('a snapshot restores history and sessions (a retry after restore still runs once)', () => {
    const sm = new CtrlerStateMachine()
    const join: CtrlerCommand = { op: 'join', groups: [[1, ['a']]], clientId: 'c', seq: 1 }
    apply(sm, join, 1)
    const copy = new CtrlerStateMachine()
    copy.restore(sm.snapshot())
    expect(copy.query(1)).to.deep.equal(sm.query(1))
    apply(copy, join, 2)
    expect(copy.latest().num).to.equal(1)
  })
})
