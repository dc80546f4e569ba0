/**
 * validateRestored (restored-state.ts): the state storage loaded is checked before a node is
 * built on it. Each way it can be wrong is a ConfigError for "restored" that says what is wrong
 * (never a node that starts on it), and every well-formed state passes, at its exact bounds.
 * Found by mutation testing (TESTING.md "raft-core's runtime (session 20)"): only a few of these
 * were reached before.
 */
import { expect } from 'chai'
import { ConfigError } from '../src/errors.js'
import { encodeMembership } from '../src/membership-codec.js'
import { validateRestored } from '../src/restored-state.js'
import type { PersistedState } from '../src/storage.js'
import type { Entry, Snapshot } from '../src/types.js'
import { entry } from './helpers/fixture.js'

const hs = (term: number, commit = 0, votedFor: string | null = null) => ({
  term,
  votedFor,
  commit,
})
const snapshot = (index: number, term: number, membership?: unknown): Snapshot =>
  ({
    meta: { index, term, ...(membership === undefined ? {} : { membership }) },
    data: new Uint8Array(0),
  }) as Snapshot
const config = (index: number, term: number, data: Uint8Array): Entry => ({
  index,
  term,
  kind: 'config',
  data,
})

/** The reason validateRestored gives for `r`, or 'ok'. */
function verdict(r: unknown): string {
  try {
    validateRestored(r as PersistedState)
    return 'ok'
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError)
    expect((error as ConfigError).field).to.equal('restored')
    return (error as Error).message.replace('invalid configuration "restored": ', '')
  }
}

describe('validateRestored: the state a node is restored from', () => {
  it('refuses what is not a PersistedState', () => {
    for (const r of [undefined, { entries: [] }, { hardState: hs(1), entries: 'no' }])
      expect(verdict(r), JSON.stringify(r)).to.equal('must be a PersistedState')
  })

  it('refuses a term that is not a non-negative integer', () => {
    for (const term of [-1, 1.5, Number.NaN])
      expect(verdict({ hardState: hs(term), entries: [] })).to.equal(
        `hardState.term must be a non-negative integer, got ${term}`,
      )
    expect(verdict({ hardState: hs(0), entries: [] })).to.equal('ok')
  })

  it('refuses a vote that is not a node id or null', () => {
    for (const votedFor of ['', 7, undefined])
      expect(verdict({ hardState: { term: 1, votedFor, commit: 0 }, entries: [] })).to.equal(
        'hardState.votedFor must be a node id or null',
      )
    expect(verdict({ hardState: hs(1, 0, 'a'), entries: [] })).to.equal('ok')
  })

  it('refuses entries that do not follow the snapshot one by one', () => {
    expect(verdict({ hardState: hs(1), entries: [entry(1, 1), entry(3, 1)] })).to.equal(
      'entries[1].index is 3, expected 2',
    )
    expect(
      verdict({ snapshot: snapshot(10, 1), hardState: hs(1), entries: [entry(12, 1)] }),
    ).to.equal('entries[0].index is 12, expected 11')
    expect(
      verdict({ snapshot: snapshot(10, 1), hardState: hs(1), entries: [entry(11, 1)] }),
    ).to.equal('ok')
  })

  it('refuses terms that go down along the log, from the snapshot’s on, or past the hard state’s', () => {
    expect(verdict({ hardState: hs(2), entries: [entry(1, 2), entry(2, 1)] })).to.equal(
      'entries[1].term 1 is lower than the term before it',
    )
    expect(
      verdict({ snapshot: snapshot(10, 3), hardState: hs(3), entries: [entry(11, 2)] }),
    ).to.equal('entries[0].term 2 is lower than the term before it')
    expect(verdict({ hardState: hs(2), entries: [entry(1, 3)] })).to.equal(
      'entries[0].term 3 is above hardState.term 2',
    )
    expect(verdict({ hardState: hs(3), entries: [entry(1, 2), entry(2, 3)] })).to.equal('ok')
  })

  it('refuses a configuration entry or a snapshot membership that does not decode', () => {
    const bad = verdict({ hardState: hs(1), entries: [config(1, 1, new Uint8Array([0xc1]))] })
    expect(bad).to.match(/^entries\[0\] is not a valid configuration: \S/)
    const good = encodeMembership({ voters: ['a'], learners: [], outgoing: [] })
    expect(verdict({ hardState: hs(1), entries: [config(1, 1, good)] })).to.equal('ok')
    const badSnap = verdict({
      snapshot: snapshot(1, 1, { voters: 'a', learners: [], outgoing: [] }),
      hardState: hs(1),
      entries: [],
    })
    expect(badSnap).to.match(/^snapshot\.meta\.membership: \S/)
    const goodSnap = snapshot(1, 1, { voters: ['a'], learners: [], outgoing: [] })
    expect(verdict({ snapshot: goodSnap, hardState: hs(1), entries: [] })).to.equal('ok')
  })

  it('refuses a commit index that is not an integer within the log', () => {
    for (const commit of [-1, 0.5])
      expect(verdict({ hardState: hs(1, commit), entries: [entry(1, 1)] })).to.equal(
        `hardState.commit ${commit} is beyond the last entry 1`,
      )
    expect(
      verdict({
        snapshot: snapshot(10, 1),
        hardState: hs(1, 13),
        entries: [entry(11, 1), entry(12, 1)],
      }),
    ).to.equal('hardState.commit 13 is beyond the last entry 12')
    expect(
      verdict({
        snapshot: snapshot(10, 1),
        hardState: hs(1, 12),
        entries: [entry(11, 1), entry(12, 1)],
      }),
    ).to.equal('ok')
  })
})
