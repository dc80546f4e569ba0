/**
 * The controller's own session table is bounded: a Join/Leave/Move session idle for
 * `sessionExpiryEntries` entries of the controller's log is dropped at the same entry on every
 * replica; a retry of a dropped session's request (its stamp is below the horizon) is refused
 * and not run; a fresh session stamped later works; snapshots keep the horizon; the clerk
 * reports SESSION_EXPIRED as a CtrlerRequestError.
 */
import { packValue, unpackValue } from '@raftkit/raft-core'
import { expect } from 'chai'
import { CtrlerStateMachine, encodeCtrlerCommand } from '../src/index.js'
import type { CtrlerCommand } from '../src/index.js'

function apply(sm: CtrlerStateMachine, cmd: CtrlerCommand, index: number) {
  return sm.apply(encodeCtrlerCommand(cmd), index)
}

const join = (clientId: string, since: number, gid = 1, seq = 1): CtrlerCommand => ({
  op: 'join',
  groups: [[gid, ['a']]],
  clientId,
  seq,
  since,
})

describe('shard controller: session expiry', () => {
  it('keeps at most about sessionExpiryEntries sessions, whatever the number of clients', () => {
    const sm = new CtrlerStateMachine({ sessionExpiryEntries: 5 })
    for (let i = 1; i <= 200; i++) {
      apply(sm, join(`c${i}`, 1000 + i, 1 + (i % 3)), i)
      expect(sm.sessionCount).to.be.at.most(6)
    }
    expect(sm.latest().num).to.equal(200)
  })

  it('a session in use is kept: only idle ones are dropped', () => {
    const sm = new CtrlerStateMachine({ sessionExpiryEntries: 3 })
    apply(sm, join('busy', 10, 1, 1), 1)
    for (let i = 2; i <= 20; i++) {
      apply(sm, join(`other${i}`, 10 + i, 2), i)
      if (i % 3 === 0) apply(sm, join('busy', 10, 3, i), i)
    }
    // The last request of the busy session is still answered from the table (not run again).
    const before = sm.latest().num
    expect(apply(sm, join('busy', 10, 3, 18), 21).status).to.equal('ok')
    expect(sm.latest().num).to.equal(before)
  })

  it('a retry of a dropped session is refused and not run; a later session runs', () => {
    const sm = new CtrlerStateMachine({ sessionExpiryEntries: 3 })
    expect(apply(sm, join('old', 100, 1), 1).status).to.equal('ok')
    for (let i = 2; i <= 6; i++) apply(sm, join(`n${i}`, 200 + i, 2), i)
    const num = sm.latest().num
    // 'old' was idle for more than 3 entries: its retry (same seq, same stamp) may have run.
    expect(apply(sm, join('old', 100, 1), 7)).to.deep.equal({ status: 'session-expired' })
    expect(sm.latest().num).to.equal(num)
    // An unknown session stamped at or below the horizon is refused too; one stamped above runs.
    expect(apply(sm, join('other-old', 100, 5), 8).status).to.equal('session-expired')
    expect(apply(sm, join('fresh', 300, 5), 9).status).to.equal('ok')
    expect(sm.latest().num).to.equal(num + 1)
  })

  it('a snapshot keeps the sessions, their expiry order and the horizon', () => {
    const sm = new CtrlerStateMachine({ sessionExpiryEntries: 3 })
    apply(sm, join('old', 100, 1), 1)
    // One busy session: at entry 5 'old' is dropped, and nothing else expires at entry 6.
    for (let i = 2; i <= 5; i++) apply(sm, join('n', 200, 2, i - 1), i)
    expect(sm.sessionCount).to.equal(1)
    const copy = new CtrlerStateMachine({ sessionExpiryEntries: 3 })
    copy.restore(sm.snapshot())
    expect(copy.sessionCount).to.equal(1)
    const num = copy.latest().num
    expect(apply(copy, join('old', 100, 1), 6).status).to.equal('session-expired')
    // The retry of the live session is still answered from the table after the restore.
    expect(apply(copy, join('n', 200, 2, 4), 7).status).to.equal('ok')
    expect(copy.latest().num).to.equal(num)
  })

  it('reads a /1 snapshot (no stamps, no horizon)', () => {
    const sm = new CtrlerStateMachine()
    apply(sm, join('c', 5, 1), 1)
    const v2 = unpackValue(sm.snapshot()) as Record<string, unknown>
    const sessions = (v2.sessions as Array<[string, Record<string, unknown>]>).map(
      ([id, s]): [string, Record<string, unknown>] => {
        const { since: _since, ...rest } = s
        return [id, rest]
      },
    )
    const v1 = packValue({ format: 'raftkit-shardctrler/1', configs: v2.configs, sessions })
    const copy = new CtrlerStateMachine()
    copy.restore(v1)
    expect(copy.latest().num).to.equal(1)
    expect(apply(copy, join('c', 5, 1), 2).status).to.equal('ok')
    expect(copy.latest().num).to.equal(1)
  })
})
