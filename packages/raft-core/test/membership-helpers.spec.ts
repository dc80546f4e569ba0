/**
 * membership.ts's public helpers (validateMembership, sameMembership, isLearner,
 * describeMembership) and MembershipLog, the configuration history of a node's log: the rules
 * the mutation run of session 16 found unpinned (TESTING.md, "Membership, learners and
 * leadership transfer").
 */
import { expect } from 'chai'
import { ConfigError } from '../src/errors.js'
import {
  EMPTY_MEMBERSHIP,
  MembershipLog,
  describeMembership,
  isLearner,
  sameMembership,
  validateMembership,
} from '../src/membership.js'
import type { Membership } from '../src/types.js'

const conf = (voters: string[], learners: string[] = [], outgoing: string[] = []): Membership => ({
  voters,
  learners,
  outgoing,
})

describe('membership helpers', () => {
  it('validateMembership refuses anything but arrays of distinct non-empty strings, with the field named', () => {
    const bad = (m: unknown, why: RegExp): void => {
      expect(() => validateMembership(m))
        .to.throw(ConfigError, why)
        .with.property('field', 'membership')
    }
    bad(null, /must be an object/)
    bad('a', /must be an object/)
    bad({ voters: 'a', learners: [], outgoing: [] }, /voters must be an array/)
    bad({ voters: ['a'], learners: [7], outgoing: [] }, /learners must hold non-empty strings/)
    bad({ voters: ['a', ''], learners: [], outgoing: [] }, /voters must hold non-empty strings/)
    bad({ voters: ['a'], learners: [], outgoing: ['b', 'b'] }, /outgoing lists "b" twice/)
    bad({ voters: [], learners: [], outgoing: [] }, /needs at least one voter/)
    bad({ voters: ['a'], learners: ['a'], outgoing: [] }, /"a" is both a voter and a learner/)
    expect(validateMembership(conf(['a', 'b'], ['c'], ['a']))).to.deep.equal(
      conf(['a', 'b'], ['c'], ['a']),
    )
  })

  it('sameMembership: the same voters, learners and outgoing voters, in any order', () => {
    expect(sameMembership(conf(['a', 'b'], ['c']), conf(['b', 'a'], ['c']))).to.equal(true)
    expect(sameMembership(conf(['a', 'b']), conf(['a']))).to.equal(false)
    expect(sameMembership(conf(['a']), conf(['a', 'b']))).to.equal(false)
    expect(sameMembership(conf(['a', 'b']), conf(['a', 'c']))).to.equal(false)
    expect(sameMembership(conf(['a'], ['c']), conf(['a'], ['d']))).to.equal(false)
    expect(sameMembership(conf(['a'], [], ['b']), conf(['a'], [], ['c']))).to.equal(false)
  })

  it('isLearner: a learner that is not also a voter of either half', () => {
    expect(isLearner(conf(['a'], ['l']), 'l')).to.equal(true)
    expect(isLearner(conf(['a'], ['l']), 'a')).to.equal(false)
    expect(isLearner(conf(['a'], ['l']), 'z')).to.equal(false)
    expect(isLearner(conf(['a'], ['l'], ['l']), 'l')).to.equal(false) // outgoing voter, learner next
  })

  it('describeMembership: "voters [a b] learners [c]", or "joint [new]&[old] learners [...]", ids sorted', () => {
    expect(describeMembership(conf(['b', 'a'], ['c']))).to.equal('voters [a b] learners [c]')
    expect(describeMembership(conf(['c', 'a', 'b'], [], ['b', 'a']))).to.equal(
      'joint [a b c]&[a b] learners []',
    )
  })

  it('EMPTY_MEMBERSHIP names no member', () => {
    expect(EMPTY_MEMBERSHIP).to.deep.equal(conf([]))
  })
})

describe('MembershipLog: the configurations of a node log', () => {
  it('truncateFrom reports whether a configuration went with the truncated entries', () => {
    const h = new MembershipLog(0, conf(['a']))
    h.append(3, conf(['a'], ['b']))
    expect(h.truncateFrom(4)).to.equal(false)
    expect(h.currentIndex).to.equal(3)
    expect(h.truncateFrom(3)).to.equal(true)
    expect(h.current).to.deep.equal(conf(['a']))
    expect(h.currentIndex).to.equal(0)
  })

  it('after a snapshot that kept the log, the snapshot stands for the configurations at or below its index', () => {
    const h = new MembershipLog(0, conf(['a']))
    h.append(3, conf(['a'], ['b']))
    h.append(8, conf(['a'], ['c']))
    h.rebase(5, conf(['a'], ['b']), true)
    expect(h.indexAt(6)).to.equal(5)
    expect(h.at(9)).to.deep.equal(conf(['a'], ['c']))
    expect(h.truncateFrom(8)).to.equal(true)
    expect(h.currentIndex).to.equal(5)
  })
})
