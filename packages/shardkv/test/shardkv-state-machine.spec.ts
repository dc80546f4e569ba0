/**
 * A replica group's state machine: configurations one at a time and only when settled, a key
 * served only when its shard is here, migration carries data and sessions (a write retried at
 * the new owner runs once), moved-away shards are deleted, snapshots keep everything.
 */
import { expect } from 'chai'
import { NSHARDS, ShardKvStateMachine, encodeShardKvCommand, key2shard } from '../src/index.js'
import type { ShardConfig, ShardKvCommand } from '../src/index.js'

const groups = (...gids: number[]) => gids.map((g) => [g, [`server-${g}-0`]] as const)
const all = (gid: number) => new Array<number>(NSHARDS).fill(gid)

function cfg(num: number, shards: number[], gids: number[]): ShardConfig {
  return { num, shards, groups: groups(...gids) }
}

let index = 0
function apply(sm: ShardKvStateMachine, cmd: ShardKvCommand) {
  return sm.apply(encodeShardKvCommand(cmd), ++index)
}
const put = (key: string, value: string, clientId: string, seq: number): ShardKvCommand => ({
  t: 'op',
  op: 'put',
  key,
  value,
  clientId,
  seq,
})
const append = (key: string, value: string, clientId: string, seq: number): ShardKvCommand => ({
  t: 'op',
  op: 'append',
  key,
  value,
  clientId,
  seq,
})
const get = (key: string): ShardKvCommand => ({
  t: 'op',
  op: 'get',
  key,
  value: '',
  clientId: 'r',
  seq: 1,
})

describe('shardkv state machine', () => {
  it('serves nothing before its first configuration, and shards from gid 0 at once', () => {
    const sm = new ShardKvStateMachine(100)
    expect(apply(sm, put('a', '1', 'c', 1)).status).to.equal('wrong-group')
    apply(sm, { t: 'config', config: cfg(1, all(100), [100]) })
    expect(apply(sm, put('a', '1', 'c', 1)).status).to.equal('ok')
    expect(apply(sm, get('a'))).to.deep.equal({ status: 'ok', value: '1' })
  })

  it('applies configurations only in order, one at a time', () => {
    const sm = new ShardKvStateMachine(100)
    expect(apply(sm, { t: 'config', config: cfg(2, all(100), [100]) }).status).to.equal('ignored')
    apply(sm, { t: 'config', config: cfg(1, all(100), [100]) })
    expect(apply(sm, { t: 'config', config: cfg(1, all(100), [100]) }).status).to.equal('ignored')
    expect(sm.config.num).to.equal(1)
  })

  it('a shard owned elsewhere before is pulled: not served, and the next configuration waits', () => {
    const sm = new ShardKvStateMachine(101)
    apply(sm, { t: 'config', config: cfg(1, all(100), [100]) })
    const half = all(100).map((g, s) => (s < 5 ? 101 : g))
    apply(sm, { t: 'config', config: cfg(2, half, [100, 101]) })
    expect(sm.shardsIn('pulling')).to.deep.equal([0, 1, 2, 3, 4])
    const key = String.fromCharCode(50) // shard 0
    expect(key2shard(key)).to.equal(0)
    expect(apply(sm, get(key)).status).to.equal('wrong-group')
    expect(apply(sm, { t: 'config', config: cfg(3, all(101), [101]) }).status).to.equal('ignored')
  })

  it('migration carries sessions: a write that ran at the old owner is not run again at the new one', () => {
    const old = new ShardKvStateMachine(100)
    const neu = new ShardKvStateMachine(101)
    for (const sm of [old, neu]) apply(sm, { t: 'config', config: cfg(1, all(100), [100]) })
    const key = '2' // shard 0
    apply(old, put(key, 'x', 'c', 1))
    apply(old, append(key, 'y', 'c', 2)) // ran; its reply was lost; the clerk retries elsewhere
    const moved = all(100).map((g, s) => (s === 0 ? 101 : g))
    for (const sm of [old, neu]) apply(sm, { t: 'config', config: cfg(2, moved, [100, 101]) })
    expect(old.status(0)).to.equal('leaving')
    expect(apply(old, get(key)).status).to.equal('wrong-group')
    const data = old.export(2, [0])!
    expect(apply(neu, { t: 'install', num: 2, shards: data }).status).to.equal('ok')
    expect(neu.status(0)).to.equal('gc')
    // the retry is answered from the migrated session table
    expect(apply(neu, append(key, 'y', 'c', 2)).status).to.equal('ok')
    expect(apply(neu, get(key))).to.deep.equal({ status: 'ok', value: 'xy' })
    // a different request under the used seq is refused
    expect(apply(neu, append(key, 'z', 'c', 2)).status).to.equal('conflict')
    // the old owner deletes the shard once told; the new one settles it
    apply(old, { t: 'delete', num: 2, shards: [0] })
    expect(old.status(0)).to.equal('absent')
    expect(old.export(2, [0])).to.equal(null)
    apply(neu, { t: 'gcdone', num: 2, shards: [0] })
    expect(neu.status(0)).to.equal('serving')
    expect(neu.steady()).to.equal(true)
  })

  it('a snapshot keeps configurations, shard statuses, data and sessions', () => {
    const sm = new ShardKvStateMachine(100)
    apply(sm, { t: 'config', config: cfg(1, all(100), [100]) })
    apply(sm, put('2', 'v', 'c', 1))
    apply(sm, {
      t: 'config',
      config: cfg(
        2,
        all(100).map((g, s) => (s === 0 ? 101 : g)),
        [100, 101],
      ),
    })
    const copy = new ShardKvStateMachine(100)
    copy.restore(sm.snapshot())
    expect(copy.config).to.deep.equal(sm.config)
    expect(copy.previous).to.deep.equal(sm.previous)
    expect(copy.status(0)).to.equal('leaving')
    expect(copy.export(2, [0])).to.deep.equal(sm.export(2, [0]))
  })

  it('skips a malformed entry and changes nothing', () => {
    const sm = new ShardKvStateMachine(100)
    expect(sm.apply(new Uint8Array([0xc1, 0x00]), ++index).status).to.equal('malformed')
    expect(
      sm.apply(encodeShardKvCommand({ t: 'config', config: { num: 1 } } as never), ++index).status,
    ).to.equal('malformed')
    expect(sm.config.num).to.equal(0)
  })
})
