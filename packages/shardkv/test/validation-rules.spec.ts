/**
 * The validation rules of kv/commands.ts, ctrler/commands.ts and common.ts that the mutation run
 * of session 17 found unpinned (TESTING.md, shardkv): each bound accepted at its limit and
 * refused one past it, each malformed shape refused with a message naming the field, lists
 * sorted and de-duplicated, the controller's retry digest per operation, and the key → shard
 * map's empty key.
 */
import { expect } from 'chai'
import { packValue } from '@raftkit/raft-core'
import {
  BadCtrlerRequest,
  BadShardKvRequest,
  CtrlerStateMachine,
  EMPTY_CONFIG,
  NSHARDS,
  decodeShardKvCommand,
  encodeCtrlerCommand,
  gidsOf,
  isGid,
  key2shard,
  sameConfig,
  serversOf,
  validateConfig,
  validateCtrlerCommand,
  validateShardData,
  validateShardKvRequest,
} from '../src/index.js'
import type { CtrlerCommand } from '../src/index.js'

type Case = readonly [unknown, RegExp]

/** Every case throws `type` with a message matching its pattern. */
function refuses(
  validate: (v: unknown) => unknown,
  type: new (message: string) => Error,
  cases: Case[],
): void {
  for (const [bad, message] of cases) {
    const label = JSON.stringify(bad)?.slice(0, 80) ?? String(bad)
    expect(() => validate(bad), label).to.throw(type, message)
  }
}

const op = { type: 'op', op: 'put', key: 'k', value: 'v', clientId: 'c', seq: 1 }
const session = { seq: 1, result: '', lastIndex: 3, digest: 'd', refusedLimit: 0 }
const shardData = { shard: 1, data: [['k', 'v']], sessions: [['c', session]] }
const config = { num: 1, shards: new Array(NSHARDS).fill(1), groups: [[1, ['a']]] }
const decode = (v: unknown) => decodeShardKvCommand(packValue(v))

describe('validation rules of the sharded KV and its controller', () => {
  it('shardkv requests: the bounds, the fields named in the refusal, pull and delete with their shards sorted', () => {
    const long = (n: number) => 'x'.repeat(n)
    expect(validateShardKvRequest({ ...op, key: long(1024), value: long(1024 * 1024) })).to.include(
      { since: 0 },
    )
    expect(validateShardKvRequest({ type: 'pull', num: 2, shards: [3, 0] })).to.deep.equal({
      type: 'pull',
      num: 2,
      shards: [0, 3],
    })
    const every = Array.from({ length: NSHARDS }, (_, s) => NSHARDS - 1 - s)
    expect(validateShardKvRequest({ type: 'delete', num: 0, shards: every })).to.deep.equal({
      type: 'delete',
      num: 0,
      shards: [...every].reverse(),
    })
    refuses(validateShardKvRequest, BadShardKvRequest, [
      ['op', /not an object/],
      [{ ...op, op: 'drop' }, /op must be get, put or append/],
      [{ ...op, clientId: 7 }, /clientId must be a string/],
      [{ ...op, clientId: long(257) }, /clientId must be a string of at most 256/],
      [{ ...op, clientId: '' }, /clientId must not be empty/],
      [{ ...op, seq: '1' }, /seq must be a non-negative integer/],
      [{ ...op, seq: 1.5 }, /seq must be a non-negative integer/],
      [{ ...op, seq: 0 }, /seq must be positive/],
      [{ ...op, key: 1 }, /key must be a string/],
      [{ ...op, value: null }, /value must be a string/],
      [{ ...op, since: 2.5 }, /since must be/],
      [{ type: 'pull', num: -1, shards: [0] }, /num must be/],
      [{ type: 'pull', num: 1, shards: 'all' }, /shards must be a non-empty array/],
      [{ type: 'delete', num: 1, shards: [...every, 0] }, /shards must be a non-empty array/],
      [{ type: 'delete', num: 1, shards: [-1] }, /shard must be a non-negative integer/],
      [{ type: 'delete', num: 1, shards: [NSHARDS] }, new RegExp(`shard must be below ${NSHARDS}`)],
      [{ type: 'delete', num: 1, shards: [2, 2] }, /shards must not repeat/],
      [{ type: 'what' }, /unknown request type what/],
    ])
    expect(() => validateShardKvRequest(null))
      .to.throw(BadShardKvRequest)
      .with.property('name', 'BadShardKvRequest')
  })

  it('shard data: sessions (their stamp 0 when absent) and horizon (0 when absent) kept, every malformed part refused by name', () => {
    expect(validateShardData(shardData)).to.deep.equal({
      ...shardData,
      sessions: [['c', { ...session, since: 0 }]],
      horizon: 0,
    })
    expect(validateShardData({ ...shardData, shard: NSHARDS - 1, horizon: 7 })).to.include({
      shard: NSHARDS - 1,
      horizon: 7,
    })
    refuses(validateShardData, BadShardKvRequest, [
      [null, /shard data must be an object/],
      ['data', /shard data must be an object/],
      [{ ...shardData, shard: 'one' }, /shard must be/],
      [{ ...shardData, shard: NSHARDS }, new RegExp(`shard must be below ${NSHARDS}`)],
      [{ ...shardData, data: undefined }, /data and sessions must be arrays/],
      [{ ...shardData, sessions: {} }, /data and sessions must be arrays/],
      [{ ...shardData, data: ['kv'] }, /data entries must be \[key, value\]/],
      [{ ...shardData, data: [['k']] }, /data entries must be \[key, value\]/],
      [{ ...shardData, data: [['k', 5]] }, /value must be a string/],
      [{ ...shardData, data: [[5, 'v']] }, /key must be a string/],
      [{ ...shardData, sessions: ['c'] }, /session entries must be \[clientId, session\]/],
      [{ ...shardData, sessions: [['c']] }, /session entries must be \[clientId, session\]/],
      [{ ...shardData, sessions: [[5, session]] }, /clientId must be a string/],
      [{ ...shardData, sessions: [['c', null]] }, /a session must be an object/],
      [{ ...shardData, sessions: [['c', 'session']] }, /a session must be an object/],
      [{ ...shardData, sessions: [['c', { ...session, seq: -1 }]] }, /session\.seq/],
      [{ ...shardData, sessions: [['c', { ...session, result: 1 }]] }, /session\.result/],
      [{ ...shardData, sessions: [['c', { ...session, lastIndex: 'x' }]] }, /session\.lastIndex/],
      [{ ...shardData, sessions: [['c', { ...session, digest: 1 }]] }, /session\.digest/],
      [{ ...shardData, sessions: [['c', { ...session, refusedLimit: -2 }]] }, /refusedLimit/],
      [{ ...shardData, sessions: [['c', { ...session, since: -1 }]] }, /session\.since/],
      [{ ...shardData, horizon: -1 }, /horizon must be/],
    ])
  })

  it('configurations and log entries: every malformed part refused by name', () => {
    expect(validateConfig(config)).to.deep.equal(config)
    refuses(validateConfig, BadShardKvRequest, [
      [null, /config must be an object/],
      [3, /config must be an object/],
      [{ ...config, num: -1 }, /config\.num/],
      [{ ...config, shards: 1 }, new RegExp(`config.shards must have ${NSHARDS} entries`)],
      [{ ...config, shards: [1] }, new RegExp(`config.shards must have ${NSHARDS} entries`)],
      [{ ...config, shards: new Array(NSHARDS).fill(-1) }, /config\.shards\[\]/],
      [{ ...config, groups: {} }, /config\.groups must be an array/],
      [{ ...config, groups: [1] }, /config\.groups entries must be \[gid, servers\]/],
      [{ ...config, groups: [[1, ['a'], 2]] }, /config\.groups entries/],
      [{ ...config, groups: [[0, ['a']]] }, /config\.groups entries/],
      [{ ...config, groups: [[1, 'a']] }, /config\.groups entries/],
      [{ ...config, groups: [[1, [7]]] }, /server must be a string/],
    ])
    expect(decode({ t: 'install', num: 3, shards: [shardData] })).to.deep.include({
      t: 'install',
      num: 3,
    })
    expect(decode({ t: 'gcdone', num: 3, shards: [4, 1] })).to.deep.equal({
      t: 'gcdone',
      num: 3,
      shards: [1, 4],
    })
    refuses(decode, BadShardKvRequest, [
      [null, /not an object/],
      ['op', /not an object/],
      [{ t: 'install', num: 3, shards: 'all' }, /shards must be an array/],
      [{ t: 'install', num: -3, shards: [] }, /num must be/],
      [{ t: 'delete', num: -3, shards: [0] }, /num must be/],
      [{ t: 'compact' }, /unknown command compact/],
    ])
  })

  it('controller requests: the bounds, the fields named in the refusal, groups and gids sorted', () => {
    const s = (n: number) => 'a'.repeat(n)
    const who = { clientId: 'c', seq: 1 }
    expect(validateCtrlerCommand({ op: 'query', num: -1 })).to.deep.equal({ op: 'query', num: -1 })
    expect(validateCtrlerCommand({ op: 'move', shard: NSHARDS - 1, gid: 2, ...who })).to.deep.equal(
      { op: 'move', shard: NSHARDS - 1, gid: 2, ...who },
    )
    expect(validateCtrlerCommand({ op: 'leave', gids: [3, 1, 3], ...who, since: 0 })).to.deep.equal(
      { op: 'leave', gids: [1, 3], ...who, since: 0 },
    )
    const servers = Array.from({ length: 100 }, (_, i) => `${s(250)}-${i}`)
    const joined = validateCtrlerCommand({
      op: 'join',
      groups: [
        [5, servers],
        [2, [s(256)]],
      ],
      clientId: s(256),
      seq: 1,
    })
    expect(joined).to.deep.equal({
      op: 'join',
      groups: [
        [2, [s(256)]],
        [5, servers],
      ],
      clientId: s(256),
      seq: 1,
    })
    const many = Array.from({ length: 1000 }, (_, i) => i + 1)
    expect(validateCtrlerCommand({ op: 'leave', gids: many, ...who })).to.deep.include({
      gids: many,
    })
    expect(
      validateCtrlerCommand({ op: 'join', groups: many.map((g) => [g, ['a']]), ...who }),
    ).to.have.nested.property('groups.length', 1000)
    refuses(validateCtrlerCommand, BadCtrlerRequest, [
      [null, /not an object/],
      ['join', /not an object/],
      [{ op: 'query', num: '1' }, /num must be an integer >= -1/],
      [{ op: 'query', num: 0.5 }, /num must be an integer >= -1/],
      [{ op: 'leave', gids: [1], clientId: 7, seq: 1 }, /clientId must be a non-empty string/],
      [{ op: 'leave', gids: [1], clientId: '', seq: 1 }, /clientId must be/],
      [{ op: 'leave', gids: [1], clientId: s(257), seq: 1 }, /clientId must be/],
      [{ op: 'leave', gids: [1], clientId: 'c', seq: '1' }, /seq must be a positive integer/],
      [{ op: 'leave', gids: [1], clientId: 'c', seq: 1.5 }, /seq must be a positive integer/],
      [{ op: 'leave', gids: [1], clientId: 'c', seq: 0 }, /seq must be a positive integer/],
      [{ op: 'leave', gids: [1], ...who, since: '0' }, /since must be a non-negative integer/],
      [{ op: 'leave', gids: [1], ...who, since: 0.5 }, /since must be a non-negative integer/],
      [{ op: 'leave', gids: [1], ...who, since: -1 }, /since must be a non-negative integer/],
      [{ op: 'join', groups: {}, ...who }, /groups must be a non-empty array/],
      [{ op: 'join', groups: [], ...who }, /groups must be a non-empty array/],
      [{ op: 'join', groups: [...many, 1001].map((g) => [g, ['a']]), ...who }, /groups must/],
      [{ op: 'join', groups: [7], ...who }, /each group must be \[gid, servers\]/],
      [{ op: 'join', groups: [[1, ['a'], 1]], ...who }, /each group must be \[gid, servers\]/],
      [{ op: 'join', groups: [[0, ['a']]], ...who }, /a gid must be a positive integer/],
      [
        {
          op: 'join',
          groups: [
            [1, ['a']],
            [1, ['b']],
          ],
          ...who,
        },
        /gid 1 appears twice/,
      ],
      [{ op: 'join', groups: [[1, 'a']], ...who }, /servers of gid 1 must be a non-empty array/],
      [{ op: 'join', groups: [[1, []]], ...who }, /servers of gid 1/],
      [{ op: 'join', groups: [[1, [...servers, 'z']]], ...who }, /servers of gid 1/],
      [{ op: 'join', groups: [[1, [5]]], ...who }, /a server name must be a non-empty string/],
      [{ op: 'join', groups: [[1, ['']]], ...who }, /a server name must be/],
      [{ op: 'join', groups: [[1, [s(257)]]], ...who }, /a server name must be/],
      [{ op: 'leave', gids: 1, ...who }, /gids must be a non-empty array/],
      [{ op: 'leave', gids: [], ...who }, /gids must be a non-empty array/],
      [{ op: 'leave', gids: [...many, 1001], ...who }, /gids must be a non-empty array/],
      [{ op: 'leave', gids: [0], ...who }, /a gid must be a positive integer/],
      [{ op: 'move', shard: '1', gid: 1, ...who }, /shard must be an integer in \[0, 10\)/],
      [{ op: 'move', shard: 1.5, gid: 1, ...who }, /shard must be an integer/],
      [{ op: 'move', shard: -1, gid: 1, ...who }, /shard must be an integer/],
      [{ op: 'move', shard: NSHARDS, gid: 1, ...who }, /shard must be an integer/],
      [{ op: 'move', shard: 1, gid: 0, ...who }, /gid must be a positive integer/],
      [{ op: 'split' }, /unknown op split/],
    ])
    expect(() => validateCtrlerCommand(null))
      .to.throw(BadCtrlerRequest)
      .with.property('name', 'BadCtrlerRequest')
  })

  it('the controller tells a retry from another request by operation and arguments: a Leave or Move with other arguments, or another operation with the same ones, under a used seq is a conflict', () => {
    const run = (first: CtrlerCommand, second: CtrlerCommand): string => {
      const sm = new CtrlerStateMachine()
      sm.apply(
        encodeCtrlerCommand({
          op: 'join',
          groups: [
            [1, ['a']],
            [2, ['b']],
          ],
          clientId: 'j',
          seq: 1,
        }),
        1,
      )
      expect(sm.apply(encodeCtrlerCommand(first), 2).status).to.equal('ok')
      return sm.apply(encodeCtrlerCommand(second), 3).status
    }
    const who = { clientId: 'c', seq: 1 }
    expect(run({ op: 'leave', gids: [1], ...who }, { op: 'leave', gids: [1], ...who })).to.equal(
      'ok',
    )
    expect(run({ op: 'leave', gids: [1], ...who }, { op: 'leave', gids: [2], ...who })).to.equal(
      'conflict',
    )
    expect(
      run({ op: 'move', shard: 0, gid: 2, ...who }, { op: 'move', shard: 0, gid: 2, ...who }),
    ).to.equal('ok')
    expect(
      run({ op: 'move', shard: 0, gid: 2, ...who }, { op: 'move', shard: 1, gid: 2, ...who }),
    ).to.equal('conflict')
    expect(
      run(
        { op: 'join', groups: [[3, ['c']]], ...who },
        { op: 'join', groups: [[4, ['d']]], ...who },
      ),
    ).to.equal('conflict')
    // Leave [1, 2] and Move shard 1 to gid 2 have the same arguments, [1,2].
    expect(
      run({ op: 'leave', gids: [1, 2], ...who }, { op: 'move', shard: 1, gid: 2, ...who }),
    ).to.equal('conflict')
  })

  it('common: the empty key is in shard 0; a group not in the configuration has no servers; gids in order; isGid wants a positive safe integer; sameConfig compares contents', () => {
    expect(key2shard('')).to.equal(0)
    expect(key2shard('a')).to.equal('a'.charCodeAt(0) % NSHARDS)
    const cfg = {
      num: 1,
      shards: new Array<number>(NSHARDS).fill(3),
      groups: [
        [3, ['x']],
        [4, ['y']],
      ] as const,
    }
    expect(serversOf(cfg, 4)).to.deep.equal(['y'])
    expect(serversOf(cfg, 5)).to.deep.equal([])
    expect(gidsOf(cfg)).to.deep.equal([3, 4])
    for (const v of [1, 2 ** 53 - 1]) expect(isGid(v), String(v)).to.equal(true)
    for (const v of [0, -1, 1.5, '1', 2 ** 53, null]) expect(isGid(v), String(v)).to.equal(false)
    expect(sameConfig(cfg, JSON.parse(JSON.stringify(cfg)))).to.equal(true)
    expect(sameConfig(cfg, EMPTY_CONFIG)).to.equal(false)
  })
})
