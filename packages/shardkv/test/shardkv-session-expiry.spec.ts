/**
 * Per-shard session tables are bounded by expiry decided in the log: a session unused for
 * `sessionExpiryEntries` entries of the group's log is dropped on every replica alike; a write
 * of a dropped session (stamped below the shard's horizon) is refused, never run twice; the
 * table's expiry state travels with the shard and with snapshots.
 */
import { expect } from 'chai'
import { packValue, unpackValue } from '@raftkit/raft-core'
import { NSHARDS, ShardKvStateMachine, encodeShardKvCommand } from '../src/index.js'
import type { ShardConfig, ShardKvCommand } from '../src/index.js'

const WINDOW = 5
const all = (gid: number) => new Array<number>(NSHARDS).fill(gid)
const cfg = (num: number, shards: number[], gids: number[]): ShardConfig => ({
  num,
  shards,
  groups: gids.map((g) => [g, [`server-${g}-0`]] as const),
})

let index = 0
const apply = (sm: ShardKvStateMachine, cmd: ShardKvCommand) =>
  sm.apply(encodeShardKvCommand(cmd), ++index)
const append = (key: string, value: string, clientId: string, seq: number, since: number) =>
  ({ t: 'op', op: 'append', key, value, clientId, seq, since }) as const
const get = (key: string) =>
  ({ t: 'op', op: 'get', key, value: '', clientId: 'r', seq: 1, since: 0 }) as const
const KEY = '2' // shard 0

function group(gid: number, owner = gid): ShardKvStateMachine {
  const sm = new ShardKvStateMachine(gid, { sessionExpiryEntries: WINDOW })
  apply(sm, { t: 'config', config: cfg(1, all(owner), [owner]) })
  return sm
}

/** `n` writes, each of a fresh one-shot session stamped `since + i`. */
function oneShots(sm: ShardKvStateMachine, n: number, since: number): void {
  for (let i = 0; i < n; i++)
    expect(apply(sm, append(KEY, '.', `one-${since + i}`, 1, since + i)).status).to.equal('ok')
}

describe('shardkv session expiry (decided in the log)', () => {
  it('any number of one-shot writes leaves at most about sessionExpiryEntries sessions', () => {
    const sm = group(100)
    oneShots(sm, 200, 1000)
    expect(sm.sessionCount()).to.be.at.most(WINDOW + 1)
    expect(apply(sm, get(KEY))).to.deep.equal({ status: 'ok', value: '.'.repeat(200) })
  })

  it('a session used within the window stays: its retry is answered, not run again', () => {
    const sm = group(100)
    apply(sm, append(KEY, 'a', 'c', 1, 10))
    for (let round = 0; round < 4; round++) {
      oneShots(sm, WINDOW - 1, 100 + round * 10)
      expect(apply(sm, append(KEY, 'a', 'c', 1, 10)).status).to.equal('ok') // retry: touches
    }
    const value = (apply(sm, get(KEY)) as { value: string }).value
    expect(value.split('a').length - 1).to.equal(1)
  })

  it('a retry of a write whose session expired is refused and not applied twice', () => {
    const sm = group(100)
    expect(apply(sm, append(KEY, 'x', 'c', 1, 10)).status).to.equal('ok') // ran, reply lost
    oneShots(sm, WINDOW + 1, 20)
    expect(apply(sm, append(KEY, 'x', 'c', 1, 10))).to.deep.equal({ status: 'session-expired' })
    expect(apply(sm, append(KEY, 'z', 'c', 2, 10)).status).to.equal('session-expired')
    const value = (apply(sm, get(KEY)) as { value: string }).value
    expect(value.startsWith('x')).to.equal(true)
    expect(value.split('x').length - 1).to.equal(1)
    expect(value).to.not.include('z')
    // a session stamped after every dropped one starts as before
    expect(apply(sm, append(KEY, 'n', 'fresh', 1, 10_000)).status).to.equal('ok')
  })

  it('a session stamped at the horizon (one past a dropped session) raises it again when dropped: its retry is refused, not run twice', () => {
    const sm = group(100)
    apply(sm, append(KEY, 'a', 'a', 1, 10))
    for (let i = 0; i < WINDOW + 1; i++) apply(sm, { t: 'noop' }) // a dropped: horizon 11
    expect(apply(sm, append(KEY, 'b', 'b', 1, 11)).status).to.equal('ok') // fresh: not below 11
    for (let i = 0; i < WINDOW + 1; i++) apply(sm, { t: 'noop' }) // b dropped: horizon 12
    expect(apply(sm, append(KEY, 'b', 'b', 1, 11))).to.deep.equal({ status: 'session-expired' })
    expect(apply(sm, get(KEY))).to.deep.equal({ status: 'ok', value: 'ab' })
  })

  it('a restored table is ordered by last use whatever order the snapshot lists it in, so expiry drops every idle session', () => {
    const a = group(100)
    apply(a, append(KEY, 'i', 'idle', 1, 10))
    for (let i = 0; i < WINDOW - 1; i++) apply(a, { t: 'noop' })
    apply(a, append(KEY, 'r', 'recent', 1, 20))
    // The format does not promise an order: list the shard's sessions most recent first.
    const o = unpackValue(a.snapshot()) as { shards: Array<{ sessions: Array<[string]> }> }
    expect(o.shards[0]!.sessions.map(([id]) => id)).to.deep.equal(['idle', 'recent'])
    o.shards[0]!.sessions.reverse()
    const b = new ShardKvStateMachine(100, { sessionExpiryEntries: WINDOW })
    b.restore(packValue(o))
    apply(b, { t: 'noop' }) // idle is now WINDOW + 1 entries old, recent 1
    expect(b.sessionCount()).to.equal(1)
    expect(apply(b, append(KEY, 'i', 'idle', 1, 10))).to.deep.equal({ status: 'session-expired' })
    expect(apply(b, append(KEY, 'r', 'recent', 1, 20)).status).to.equal('ok') // answered
    expect(apply(b, get(KEY))).to.deep.equal({ status: 'ok', value: 'ir' })
  })

  it('every replica drops the same sessions at the same entry (snapshots included)', () => {
    const a = group(100)
    apply(a, append(KEY, 'x', 'c', 1, 10))
    const b = new ShardKvStateMachine(100, { sessionExpiryEntries: WINDOW })
    b.restore(a.snapshot())
    const at = index
    for (const sm of [a, b]) {
      index = at
      oneShots(sm, WINDOW + 1, 20)
    }
    expect(b.snapshot()).to.deep.equal(a.snapshot())
    const c = new ShardKvStateMachine(100, { sessionExpiryEntries: WINDOW })
    c.restore(a.snapshot())
    expect(apply(c, append(KEY, 'x', 'c', 1, 10)).status).to.equal('session-expired')
  })

  it('a migrated shard carries its expiry state: live sessions answer, dropped ones are refused', () => {
    const old = group(100)
    const neu = group(101, 100)
    apply(old, append(KEY, 'e', 'expired', 1, 10)) // will expire at the old owner
    oneShots(old, WINDOW + 1, 20)
    apply(old, append(KEY, 'l', 'live', 1, 50)) // ran; its reply was lost
    const moved = all(100).map((g, s) => (s === 0 ? 101 : g))
    for (const sm of [old, neu]) apply(sm, { t: 'config', config: cfg(2, moved, [100, 101]) })
    // a frozen shard does not expire: every replica exports the same table, however late
    oneShots(old, 0, 0)
    for (let i = 0; i < WINDOW + 2; i++) apply(old, { t: 'noop' })
    const data = old.export(2, [0])!
    expect(data[0]!.sessions.map(([id]) => id)).to.include('live')
    expect(apply(neu, { t: 'install', num: 2, shards: data }).status).to.equal('ok')
    expect(apply(neu, append(KEY, 'e', 'expired', 1, 10)).status).to.equal('session-expired')
    expect(apply(neu, append(KEY, 'l', 'live', 1, 50)).status).to.equal('ok') // answered
    expect((apply(neu, get(KEY)) as { value: string }).value).to.equal(
      'e' + '.'.repeat(WINDOW + 1) + 'l',
    )
    // the idle count restarts at the install: `live` expires WINDOW entries of the new log later
    for (let i = 0; i < WINDOW + 1; i++) apply(neu, { t: 'noop' })
    expect(apply(neu, append(KEY, 'l', 'live', 1, 50)).status).to.equal('session-expired')
  })
})
