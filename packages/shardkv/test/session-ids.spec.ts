/**
 * The client ids a sharded node issues (node/session-ids.ts): `s-<stamp>.<random>.<mac>`, and
 * sessionStamp's refusal (undefined, never a throw) of every id this cluster did not issue as
 * it is, signed or not. Pinned from the mutation run of session 17 (TESTING.md, shardkv).
 */
import { createHmac } from 'node:crypto'
import { expect } from 'chai'
import { issueSessionId, sessionStamp } from '../src/node/session-ids.js'

const SECRET = 'cluster-secret'
/** Signs `body` as the cluster would (to show that a signature alone is not enough). */
const signed = (body: string): string =>
  `s-${body}.${createHmac('sha256', SECRET).update(body).digest('base64url').slice(0, 22)}`

describe('sharded node: issued session ids', () => {
  it('an id is s-<stamp base 36>.<16 random characters>.<22-character mac>, and gives back its stamp', () => {
    const id = issueSessionId(SECRET, 1_700_000_000_123)
    expect(id).to.match(/^s-[0-9a-z]+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}$/)
    expect(id.split('.')[0]).to.equal(`s-${(1_700_000_000_123).toString(36)}`)
    expect(sessionStamp(SECRET, id)).to.equal(1_700_000_000_123)
    expect(signed(id.slice(2, id.lastIndexOf('.')))).to.equal(id)
  })

  it('refuses, with undefined, ids not issued here as they are: another prefix, secret or stamp, a cut mac, no mac', () => {
    const id = issueSessionId(SECRET, 5_000)
    const body = id.slice(2, id.lastIndexOf('.'))
    for (const bad of [
      `k-${id.slice(2)}`, // another prefix, the rest intact
      issueSessionId('another-secret', 5_000),
      id.replace(/^s-[0-9a-z]+/, 's-zzz'), // another stamp under the same mac
      id.slice(0, -1), // a mac one character short
      `s-${body}`, // no mac at all
    ])
      expect(sessionStamp(SECRET, bad), bad).to.equal(undefined)
  })

  it('refuses a signed body that is not <stamp>.<16 random characters>', () => {
    expect(sessionStamp(SECRET, signed('5.AAAAAAAAAAAAAAAA'))).to.equal(5)
    for (const body of [
      'not a stamp',
      'x!5.AAAAAAAAAAAAAAAA', // something before the stamp
      '5.AAAAAAAAAAAAAAAA.more', // something after the random part
      '5.AAAAAAAAAAAAAAAAtoo-long',
    ])
      expect(sessionStamp(SECRET, signed(body)), body).to.equal(undefined)
  })
})
