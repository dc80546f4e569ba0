/** Bad input gets a typed error and changes nothing: requests, log entries, snapshots. */
import { expect } from 'chai'
import { packValue } from '@raftkit/raft-core'
import {
  BadCtrlerRequest,
  BadShardKvRequest,
  NSHARDS,
  ShardKvStateMachine,
  encodeShardKvCommand,
  validateCtrlerCommand,
  validateShardKvRequest,
} from '../src/index.js'

const op = { type: 'op', op: 'put', key: 'k', value: 'v', clientId: 'c', seq: 1 }

describe('validation of requests, entries and snapshots', () => {
  it('refuses malformed shardkv requests with BadShardKvRequest', () => {
    expect(validateShardKvRequest(op)).to.deep.equal({ ...op, since: 0 })
    expect(validateShardKvRequest({ ...op, since: 7 })).to.deep.equal({ ...op, since: 7 })
    for (const bad of [
      null,
      { ...op, op: 'delete' },
      { ...op, seq: 0 },
      { ...op, since: -1 },
      { ...op, since: 'now' },
      { ...op, clientId: '' },
      { ...op, key: 'k'.repeat(1025) },
      { ...op, value: 'v'.repeat(1024 * 1024 + 1) },
      { type: 'pull', num: 1, shards: [] },
      { type: 'pull', num: 1, shards: [NSHARDS] },
      { type: 'delete', num: -1, shards: [0] },
      { type: 'what' },
    ])
      expect(() => validateShardKvRequest(bad), JSON.stringify(bad)?.slice(0, 80)).to.throw(
        BadShardKvRequest,
      )
  })

  it('refuses malformed controller requests with BadCtrlerRequest', () => {
    for (const bad of [
      { op: 'join', groups: [], clientId: 'c', seq: 1 },
      { op: 'join', groups: [[0, ['a']]], clientId: 'c', seq: 1 },
      { op: 'join', groups: [[1, []]], clientId: 'c', seq: 1 },
      {
        op: 'join',
        groups: [
          [1, ['a']],
          [1, ['b']],
        ],
        clientId: 'c',
        seq: 1,
      },
      { op: 'leave', gids: [1.5], clientId: 'c', seq: 1 },
      { op: 'move', shard: NSHARDS, gid: 1, clientId: 'c', seq: 1 },
      { op: 'query', num: -2 },
    ])
      expect(() => validateCtrlerCommand(bad)).to.throw(BadCtrlerRequest)
  })

  it('a bad snapshot is refused and the state is kept', () => {
    const sm = new ShardKvStateMachine(100)
    sm.apply(
      encodeShardKvCommand({
        t: 'config',
        config: { num: 1, shards: new Array(NSHARDS).fill(100), groups: [[100, ['s']]] },
      }),
      1,
    )
    const before = sm.snapshot()
    expect(() => sm.restore(packValue({ format: 'raftkit-shardkv/1', shards: [] }))).to.throw()
    expect(() =>
      sm.restore(
        packValue({
          format: 'raftkit-shardkv/1',
          config: { num: 1, shards: new Array(NSHARDS).fill(0), groups: [] },
          prev: { num: 0, shards: new Array(NSHARDS).fill(0), groups: [] },
          shards: new Array(NSHARDS).fill({ status: 'bogus', data: [], sessions: [] }),
        }),
      ),
    ).to.throw(/status/)
    expect(sm.snapshot()).to.deep.equal(before)
  })
})
