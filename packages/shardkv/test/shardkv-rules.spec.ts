/**
 * A replica group's state machine, one rule per test, each written from a mutant that survived
 * its tests (TESTING.md, "The sharded KV's state machines"): put and append, the answers of
 * writes and configuration entries, which configuration number and shard status a migration
 * entry (install, delete, gcdone) or an export applies to, what a deleted shard keeps,
 * snapshots taken mid-migration and the snapshots refused, and the options' validation.
 */
import { KvConfigError } from '@raftkit/kv-service'
import { packValue, unpackValue } from '@raftkit/raft-core'
import { expect } from 'chai'
import { NSHARDS, encodeShardKvCommand, key2shard } from '../src/index.js'
import type { ShardConfig, ShardKvCommand } from '../src/index.js'
import { ShardKvStateMachine } from '../src/kv/state-machine.js'

const all = (gid: number) => new Array<number>(NSHARDS).fill(gid)
const cfg = (num: number, shards: number[], gids: number[]): ShardConfig => ({
  num,
  shards,
  groups: gids.map((g) => [g, [`server-${g}-0`]] as const),
})
/** Configuration 1: every shard on 100. Configuration 2: shards 0 and 1 move to 101. */
const C1 = cfg(1, all(100), [100])
const C2 = cfg(
  2,
  all(100).map((g, s) => (s < 2 ? 101 : g)),
  [100, 101],
)
const K0 = '2' // shard 0
const K1 = '3' // shard 1
const K5 = '7' // shard 5

let index = 0
const apply = (sm: ShardKvStateMachine, cmd: ShardKvCommand) =>
  sm.apply(encodeShardKvCommand(cmd), ++index)
const write = (op: 'put' | 'append', key: string, value: string, clientId: string, seq: number) =>
  ({ t: 'op', op, key, value, clientId, seq }) as const
const get = (key: string) =>
  ({ t: 'op', op: 'get', key, value: '', clientId: 'r', seq: 1 }) as const
const OK = { status: 'ok', value: '' }
const IGNORED = { status: 'ignored' }

/** Gid 100 at configuration 2: shards 0 and 1 leaving (with `writes` done before), 2–9 serving. */
function leaving(): ShardKvStateMachine {
  const sm = new ShardKvStateMachine(100)
  apply(sm, { t: 'config', config: C1 })
  apply(sm, write('put', K0, 'a', 'c', 1))
  apply(sm, write('put', K1, 'b', 'c', 2))
  apply(sm, write('put', K5, 'c', 'd', 1))
  apply(sm, { t: 'config', config: C2 })
  return sm
}

/** Gid 101 at configuration 2: shards 0 and 1 pulling, the others absent. */
function pulling(): ShardKvStateMachine {
  const sm = new ShardKvStateMachine(101)
  apply(sm, { t: 'config', config: C1 })
  apply(sm, { t: 'config', config: C2 })
  return sm
}

describe('shardkv state machine rules', () => {
  it('the keys chosen here are in shards 0, 1 and 5', () => {
    expect([K0, K1, K5].map(key2shard)).to.deep.equal([0, 1, 5])
  })

  it('a put replaces the value, an append adds to it; writes and their retries answer ok with no value', () => {
    const sm = new ShardKvStateMachine(100)
    apply(sm, { t: 'config', config: C1 })
    expect(apply(sm, write('put', K0, 'x', 'c', 1))).to.deep.equal(OK)
    expect(apply(sm, write('put', K0, 'y', 'c', 2))).to.deep.equal(OK)
    expect(apply(sm, get(K0))).to.deep.equal({ status: 'ok', value: 'y' })
    expect(apply(sm, write('append', K0, 'z', 'c', 3))).to.deep.equal(OK)
    expect(apply(sm, write('append', K0, 'z', 'c', 3))).to.deep.equal(OK) // retry
    expect(apply(sm, get(K0))).to.deep.equal({ status: 'ok', value: 'yz' })
  })

  it('a configuration that applies answers ok, and the one before it becomes `previous`', () => {
    const sm = new ShardKvStateMachine(100)
    expect(apply(sm, { t: 'config', config: C1 })).to.deep.equal(OK)
    expect(apply(sm, { t: 'config', config: C2 })).to.deep.equal(OK)
    expect(sm.config).to.deep.equal(C2)
    expect(sm.previous).to.deep.equal(C1)
  })

  it('a noop entry answers ignored and changes nothing', () => {
    const sm = leaving()
    const before = sm.snapshot()
    expect(apply(sm, { t: 'noop' })).to.deep.equal(IGNORED)
    expect(sm.snapshot()).to.deep.equal(before)
  })

  it('export answers only for the current configuration number and shards that are leaving', () => {
    const sm = leaving()
    expect(sm.export(1, [0])).to.equal(null)
    expect(sm.export(3, [0])).to.equal(null)
    expect(sm.export(2, [0, 5])).to.equal(null)
    expect(sm.export(2, [0, 1])!.map((d) => d.data)).to.deep.equal([[[K0, 'a']], [[K1, 'b']]])
  })

  it('install applies only at the current configuration number, and only to a shard still pulling', () => {
    const from = leaving()
    const sm = pulling()
    const data = from.export(2, [0])!
    expect(apply(sm, { t: 'install', num: 1, shards: data })).to.deep.equal(IGNORED)
    expect(apply(sm, { t: 'install', num: 3, shards: data })).to.deep.equal(IGNORED)
    expect(sm.status(0)).to.equal('pulling')
    expect(apply(sm, { t: 'install', num: 2, shards: data })).to.deep.equal(OK)
    expect(sm.status(0)).to.equal('gc')
    apply(sm, write('put', K0, 'new', 'w', 1))
    // a second install of the same shard (a duplicate entry) does not overwrite later writes
    expect(apply(sm, { t: 'install', num: 2, shards: data })).to.deep.equal(IGNORED)
    expect(apply(sm, get(K0))).to.deep.equal({ status: 'ok', value: 'new' })
  })

  it('delete applies only at the current configuration number, and only to leaving shards', () => {
    const sm = leaving()
    expect(apply(sm, { t: 'delete', num: 1, shards: [0] })).to.deep.equal(IGNORED)
    expect(apply(sm, { t: 'delete', num: 3, shards: [0] })).to.deep.equal(IGNORED)
    expect(apply(sm, { t: 'delete', num: 2, shards: [5] })).to.deep.equal(IGNORED)
    expect(apply(sm, { t: 'gcdone', num: 2, shards: [0] })).to.deep.equal(IGNORED)
    expect(sm.shardsIn('leaving')).to.deep.equal([0, 1])
    expect(sm.status(5)).to.equal('serving')
    expect(apply(sm, { t: 'delete', num: 2, shards: [0] })).to.deep.equal(OK)
    expect(apply(sm, { t: 'delete', num: 2, shards: [0] })).to.deep.equal(IGNORED)
    expect(sm.shardsIn('leaving')).to.deep.equal([1])
  })

  it('gcdone applies only at the current configuration number, and only to shards in gc', () => {
    const sm = pulling()
    apply(sm, { t: 'install', num: 2, shards: leaving().export(2, [0, 1])! })
    expect(apply(sm, { t: 'gcdone', num: 1, shards: [0] })).to.deep.equal(IGNORED)
    expect(apply(sm, { t: 'gcdone', num: 3, shards: [0] })).to.deep.equal(IGNORED)
    expect(apply(sm, { t: 'delete', num: 2, shards: [0] })).to.deep.equal(IGNORED)
    expect(apply(sm, { t: 'gcdone', num: 2, shards: [2] })).to.deep.equal(IGNORED)
    expect(sm.shardsIn('gc')).to.deep.equal([0, 1])
    expect(apply(sm, { t: 'gcdone', num: 2, shards: [0] })).to.deep.equal(OK)
    expect(apply(sm, { t: 'gcdone', num: 2, shards: [0] })).to.deep.equal(IGNORED)
    expect(sm.shardsIn('gc')).to.deep.equal([1])
    expect(sm.status(2)).to.equal('absent')
    expect(apply(sm, get(K0))).to.deep.equal({ status: 'ok', value: 'a' })
  })

  it('a deleted shard keeps no keys and no sessions', () => {
    const sm = leaving()
    expect([sm.keyCount(), sm.sessionCount()]).to.deep.equal([3, 3])
    apply(sm, { t: 'delete', num: 2, shards: [0] })
    // shard 0 held one key and one session (c's); shards 1 and 5 keep theirs
    expect([sm.keyCount(), sm.sessionCount()]).to.deep.equal([2, 2])
    expect(sm.export(2, [1])).to.not.equal(null)
  })

  it('a snapshot taken mid-migration restores every shard status', () => {
    const sm = pulling()
    apply(sm, { t: 'install', num: 2, shards: leaving().export(2, [0])! })
    const copy = new ShardKvStateMachine(101)
    copy.restore(sm.snapshot())
    expect(copy.status(0)).to.equal('gc')
    expect(copy.status(1)).to.equal('pulling')
    expect(copy.shardsIn('absent')).to.deep.equal([2, 3, 4, 5, 6, 7, 8, 9])
    expect(copy.snapshot()).to.deep.equal(sm.snapshot())
  })

  it('refuses a snapshot of another format or without one entry per shard, and keeps its state', () => {
    const sm = leaving()
    const before = sm.snapshot()
    const good = unpackValue(before) as Record<string, unknown>
    const shards = good.shards as unknown[]
    for (const bad of [
      null,
      { ...good, format: 'raftkit-shardctrler/2' },
      { ...good, shards: undefined },
      { ...good, shards: shards.slice(1) },
      { ...good, shards: [...shards, shards[0]] },
    ])
      expect(() => sm.restore(packValue(bad))).to.throw(/not a shard group snapshot/)
    expect(sm.snapshot()).to.deep.equal(before)
  })

  it('sessionExpiryEntries must be a positive integer', () => {
    for (const n of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1])
      expect(() => new ShardKvStateMachine(100, { sessionExpiryEntries: n }))
        .to.throw(KvConfigError, /sessionExpiryEntries.*must be a positive integer/)
        .with.property('field', 'sessionExpiryEntries')
    expect(new ShardKvStateMachine(100, { sessionExpiryEntries: 1 }).sessionExpiryEntries).to.equal(
      1,
    )
  })
})
