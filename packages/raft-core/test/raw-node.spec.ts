/** RawNode API contract: construction errors, bad input, NotLeaderError, status. */
import { expect } from 'chai'
import { ConfigError, NotLeaderError } from '../src/errors.js'
import { RawNode } from '../src/raw-node.js'
import { createRng } from '../src/rng.js'
import { EMPTY_HARD_STATE } from '../src/types.js'
import type { Message } from '../src/messages.js'
import { TEST_CONFIG, text } from './helpers/network.js'
import { ae, entry, fixture, vote } from './helpers/fixture.js'

const fresh = { hardState: EMPTY_HARD_STATE, entries: [] }
const make = (o: Partial<ConstructorParameters<typeof RawNode>[0]>) =>
  new RawNode({
    id: 'a',
    peers: ['a', 'b', 'c'],
    config: TEST_CONFIG,
    restored: fresh,
    rng: createRng(1),
    ...o,
  })

describe('RawNode construction', () => {
  const bad: Array<[string, Partial<ConstructorParameters<typeof RawNode>[0]>, string]> = [
    ['id not in peers', { peers: ['b', 'c'] }, 'peers'],
    ['duplicate peers', { peers: ['a', 'b', 'b'] }, 'peers'],
    ['empty id', { id: '' }, 'id'],
    [
      'election range not randomized',
      { config: { ...TEST_CONFIG, electionTicksMax: 10 } },
      'electionTicksMax',
    ],
    [
      'non-integer heartbeat',
      { config: { ...TEST_CONFIG, heartbeatTicks: 0.5 } },
      'heartbeatTicks',
    ],
    [
      'a configuration entry that is not a configuration',
      {
        restored: {
          hardState: { term: 1, votedFor: null, commit: 0 },
          entries: [{ index: 1, term: 1, kind: 'config', data: text('nope') }],
        },
      },
      'restored',
    ],
    [
      'commit beyond the log',
      { restored: { hardState: { term: 1, votedFor: null, commit: 3 }, entries: [entry(1, 1)] } },
      'restored',
    ],
    [
      'gap in restored entries',
      {
        restored: {
          hardState: { term: 1, votedFor: null, commit: 0 },
          entries: [entry(1, 1), entry(3, 1)],
        },
      },
      'restored',
    ],
  ]
  for (const [what, options, field] of bad) {
    it(`throws ConfigError(${field}) for ${what}`, () => {
      expect(() => make(options))
        .to.throw(ConfigError)
        .with.property('field', field)
    })
  }

  it('accepts a single-node cluster, which elects itself', () => {
    const n = make({ peers: ['a'] })
    n.campaign()
    expect(n.getState()).to.deep.equal({ term: 1, isLeader: true })
  })
})

describe('RawNode bad input', () => {
  const junk: Array<[string, unknown]> = [
    ['not an object', 42],
    ['unknown type', { type: 'Nope', from: 'b', to: 'a', term: 1 }],
    ['negative term', { ...ae({ from: 'b', to: 'a', term: 1 }), term: -1 }],
    [
      'entries with a gap',
      ae({ from: 'b', to: 'a', term: 1, entries: [entry(1, 1), entry(3, 1)] }),
    ],
    ['addressed to another node', ae({ from: 'b', to: 'c', term: 5 })],
    ['from itself', vote({ from: 'a', to: 'a', term: 5 })],
  ]
  for (const [what, msg] of junk) {
    it(`drops a message (${what}) with a warning and changes no state`, () => {
      const f = fixture()
      const before = f.node.status()
      expect(() => f.node.step(msg as Message)).not.to.throw()
      expect(f.node.status()).to.deep.equal(before)
      expect(f.node.hasReady()).to.equal(false)
      expect(f.logger.records.filter((r) => r.level === 'warn')).to.have.length(1)
    })
  }

  it('propose on a follower throws NotLeaderError with the leader hint and changes nothing', () => {
    const f = fixture()
    expect(() => f.node.propose(text('x')))
      .to.throw(NotLeaderError)
      .with.property('leaderHint', null)
    f.node.step(ae({ from: 'b', to: 'a', term: 1 }))
    f.drain()
    const err = (() => {
      try {
        f.node.propose(text('x'))
      } catch (e) {
        return e as NotLeaderError
      }
      return undefined
    })()
    expect(err).to.be.instanceOf(NotLeaderError)
    expect(err?.code).to.equal('RAFT_NOT_LEADER')
    expect(err?.leaderHint).to.equal('b')
    expect(f.node.status().lastIndex).to.equal(0)
  })

  it('propose rejects a payload that is not bytes with a TypeError', () => {
    const n = make({ peers: ['a'] })
    n.campaign()
    expect(() => n.propose('x' as unknown as Uint8Array)).to.throw(TypeError)
  })
})

describe('RawNode status and logging', () => {
  it('status() reports role, term, leader, vote, indexes and per-follower progress on the leader', () => {
    const n = make({ peers: ['a'] })
    n.campaign()
    n.propose(text('x'))
    n.advance(n.ready())
    n.advance(n.ready())
    expect(n.status()).to.deep.equal({
      id: 'a',
      role: 'leader',
      term: 1,
      leader: 'a',
      votedFor: 'a',
      commitIndex: 1,
      appliedIndex: 1,
      firstIndex: 1,
      lastIndex: 1,
      snapshotIndex: 0,
      snapshotTerm: 0,
      membership: { voters: ['a'], learners: [], outgoing: [] },
      joint: false,
      progress: {},
    })
  })

  it('logs every role change with id and term', () => {
    const f = fixture({ config: { preVote: false } })
    f.node.campaign()
    const info = f.logger.records.filter((r) => r.level === 'info')
    expect(info.map((r) => [r.msg, r.fields?.['id'], r.fields?.['term']])).to.deep.equal([
      ['became candidate', 'a', 1],
    ])
  })

  it('hasReady() is false when there is nothing to do and ready() hands out softState changes once', () => {
    const f = fixture()
    expect(f.node.hasReady()).to.equal(false)
    f.node.step(ae({ from: 'b', to: 'a', term: 1 }))
    const rd = f.node.ready()
    expect(rd.softState).to.deep.equal({ role: 'follower', leader: 'b' })
    f.node.advance(rd)
    expect(f.node.hasReady()).to.equal(false)
  })
})
