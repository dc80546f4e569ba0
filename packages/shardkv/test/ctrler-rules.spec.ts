/**
 * The shard controller state machine's rules, one per test, each written from a mutant that
 * survived its tests (TESTING.md, "The sharded KV's state machines"): Leave and Move, Query
 * entries, the bounds of query(), the order of a configuration's groups, snapshots (format,
 * refusal, sessions and horizon across a restore) and the options' validation.
 */
import { packValue, unpackValue } from '@raftkit/raft-core'
import { expect } from 'chai'
import { EMPTY_CONFIG, NSHARDS, encodeCtrlerCommand } from '../src/index.js'
import type { CtrlerCommand } from '../src/index.js'
import { CtrlerStateMachine } from '../src/ctrler/state-machine.js'

const apply = (sm: CtrlerStateMachine, cmd: CtrlerCommand, index: number) =>
  sm.apply(encodeCtrlerCommand(cmd), index)
const join = (gids: number[], clientId: string, seq: number, since = 0): CtrlerCommand => ({
  op: 'join',
  groups: gids.map((g) => [g, [`s${g}`]] as const),
  clientId,
  seq,
  since,
})

/** Gids 1 and 2 joined (configuration 1: five shards each). */
function twoGroups(): CtrlerStateMachine {
  const sm = new CtrlerStateMachine()
  apply(sm, join([1, 2], 'admin', 1), 1)
  return sm
}

describe('shard controller rules', () => {
  it('a Leave removes the gids and hands their shards to the others', () => {
    const sm = twoGroups()
    expect(apply(sm, { op: 'leave', gids: [1], clientId: 'admin', seq: 2 }, 2)).to.deep.equal({
      status: 'ok',
      config: null,
    })
    expect(sm.latest()).to.deep.equal({
      num: 2,
      shards: new Array(NSHARDS).fill(2),
      groups: [[2, ['s2']]],
    })
  })

  it('when the last gid leaves every shard goes to gid 0', () => {
    const sm = twoGroups()
    apply(sm, { op: 'leave', gids: [1, 2], clientId: 'admin', seq: 2 }, 2)
    expect(sm.latest()).to.deep.equal({ num: 2, shards: new Array(NSHARDS).fill(0), groups: [] })
  })

  it('a Move puts one shard on a member gid and leaves the others where they are', () => {
    const sm = twoGroups()
    const before = sm.latest().shards
    const r = apply(sm, { op: 'move', shard: 0, gid: 2, clientId: 'admin', seq: 2 }, 2)
    expect(r).to.deep.equal({ status: 'ok', config: null })
    expect(sm.latest().num).to.equal(2)
    expect(sm.latest().shards).to.deep.equal([2, ...before.slice(1)])
    expect(sm.latest().groups).to.deep.equal(sm.query(1).groups)
  })

  it('a configuration lists its groups in gid order, whatever order they joined in', () => {
    const sm = new CtrlerStateMachine()
    apply(sm, join([3], 'admin', 1), 1)
    apply(sm, join([1], 'admin', 2), 2)
    apply(sm, join([5, 2], 'admin', 3), 3)
    expect(sm.latest().groups.map(([g]) => g)).to.deep.equal([1, 2, 3, 5])
  })

  it('a Query entry (older versions wrote them) answers the configuration and changes nothing', () => {
    const sm = twoGroups()
    apply(sm, join([3], 'admin', 2), 2)
    const snap = sm.snapshot()
    expect(sm.apply(encodeCtrlerCommand({ op: 'query', num: 1 }), 3)).to.deep.equal({
      status: 'ok',
      config: sm.query(1),
    })
    expect(sm.apply(encodeCtrlerCommand({ op: 'query', num: -1 }), 4)).to.deep.equal({
      status: 'ok',
      config: sm.latest(),
    })
    expect(sm.latest().num).to.equal(2)
    expect(sm.snapshot()).to.deep.equal(snap)
  })

  it('query() of the number just past the latest answers the latest', () => {
    const sm = twoGroups()
    expect(sm.query(2)).to.equal(sm.latest())
    expect(sm.query(1).num).to.equal(1)
  })

  it('writes snapshots in format raftkit-shardctrler/2', () => {
    const o = unpackValue(twoGroups().snapshot()) as { format: string }
    expect(o.format).to.equal('raftkit-shardctrler/2')
  })

  it('refuses a snapshot of another format, or without configurations or sessions, and keeps its state', () => {
    const sm = twoGroups()
    const before = sm.snapshot()
    const good = unpackValue(before) as Record<string, unknown>
    for (const bad of [
      null,
      { ...good, format: 'raftkit-shardkv/1' },
      { ...good, format: undefined },
      { ...good, configs: undefined },
      { ...good, sessions: undefined },
      { ...good, sessions: {} },
    ])
      expect(() => sm.restore(packValue(bad))).to.throw(/not a shard controller snapshot/)
    expect(sm.snapshot()).to.deep.equal(before)
  })

  it('a session restored from a snapshot, when it expires later, raises the horizon past its stamp', () => {
    const sm = new CtrlerStateMachine({ sessionExpiryEntries: 2 })
    apply(sm, join([1], 'old', 1, 100), 1)
    const copy = new CtrlerStateMachine({ sessionExpiryEntries: 2 })
    copy.restore(sm.snapshot())
    // (the others are stamped lower: only 'old' can raise the horizon past 100)
    for (let i = 2; i <= 4; i++) apply(copy, join([i], `n${i}`, 1, 50 + i), i)
    const num = copy.latest().num
    // 'old' expired at the copy: its retry may have run, so it is refused
    expect(apply(copy, join([1], 'old', 1, 100), 5)).to.deep.equal({ status: 'session-expired' })
    expect(copy.latest().num).to.equal(num)
  })

  it('a /1 snapshot (no horizon) restores with horizon 0, and expiry raises it as usual', () => {
    const sm = new CtrlerStateMachine({ sessionExpiryEntries: 2 })
    apply(sm, join([1], 'old', 1, 100), 1)
    const v2 = unpackValue(sm.snapshot()) as Record<string, unknown>
    const v1 = packValue({ format: 'raftkit-shardctrler/1', configs: v2.configs, sessions: [] })
    const copy = new CtrlerStateMachine({ sessionExpiryEntries: 2 })
    copy.restore(v1)
    apply(copy, join([2], 'a', 1, 100), 2)
    for (let i = 3; i <= 5; i++) apply(copy, join([i], `n${i}`, 1, 50 + i), i)
    expect(apply(copy, join([2], 'a', 1, 100), 6)).to.deep.equal({ status: 'session-expired' })
  })

  it('sessionExpiryEntries must be a positive integer', () => {
    for (const n of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1])
      expect(() => new CtrlerStateMachine({ sessionExpiryEntries: n })).to.throw(
        RangeError,
        /sessionExpiryEntries must be a positive integer/,
      )
    expect(new CtrlerStateMachine({ sessionExpiryEntries: 1 }).latest()).to.deep.equal(EMPTY_CONFIG)
  })
})
