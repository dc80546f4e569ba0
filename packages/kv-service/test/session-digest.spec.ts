/**
 * The session table's request digests are computed when first needed (session-entry.ts): what a
 * retry is compared with and what a snapshot stores must be the digest of the write, whether it
 * was computed at once or later, and a session keeps a write's strings only when they are short.
 */
import { expect } from 'chai'
import { KvStateMachine, encodeCommand, requestDigest } from '../src/index.js'
import { LAZY_DIGEST_MAX_CHARS } from '../src/session-entry.js'

type Op = 'put' | 'append'
const write = (op: Op, clientId: string, seq: number, key: string, value: string): Uint8Array =>
  encodeCommand({ op, key, value, clientId, seq })

describe('session digests computed when needed', () => {
  const short = 'v'.repeat(100)
  const long = 'w'.repeat(LAZY_DIGEST_MAX_CHARS) // with its key: over the bound
  const nonAscii = 'é'.repeat(10) // not the decode fast path's: computed at once

  for (const [what, value] of [
    ['short ASCII (kept for later)', short],
    ['over the bound (at once)', long],
    ['non-ASCII (at once)', nonAscii],
  ] as const)
    it(`the digest of the last write is the write's requestDigest: ${what}`, () => {
      for (const op of ['put', 'append'] as const) {
        const sm = new KvStateMachine()
        sm.apply(encodeCommand({ op: 'open', clientId: 'c' }), 1)
        sm.apply(write(op, 'c', 1, 'k', value), 2)
        const expected = requestDigest({ op, key: 'k', value })
        expect(sm.session('c')?.digest).to.equal(expected)
        // A retry moves the session (a new entry at the retry's index): same digest.
        expect(sm.apply(write(op, 'c', 1, 'k', value), 3)).to.deep.include({ duplicate: true })
        expect(sm.session('c')).to.include({ lastIndex: 3, seq: 1, digest: expected })
      }
    })

  it('snapshots the same bytes whether or not the digests were read before', () => {
    const log = [
      encodeCommand({ op: 'open', clientId: 'a' }),
      encodeCommand({ op: 'open', clientId: 'b' }),
    ]
    for (let seq = 1; seq <= 5; seq++) {
      log.push(write('put', 'a', seq, `k${seq}`, short))
      log.push(write('append', 'b', seq, 'x', seq % 2 === 0 ? long : nonAscii))
    }
    const read = new KvStateMachine()
    const unread = new KvStateMachine()
    log.forEach((c, i) => {
      read.apply(c, i + 1)
      void read.session('a')?.digest
      void read.session('b')?.digest
      unread.apply(c, i + 1)
    })
    const bytes = unread.snapshot()
    expect(Buffer.from(bytes).equals(Buffer.from(read.snapshot()))).to.equal(true)
    // Restored: a retry is still a retry, another request under the same seq a conflict.
    const copy = new KvStateMachine()
    copy.restore(bytes)
    expect(copy.apply(write('put', 'a', 5, 'k5', short), 100)).to.deep.include({ duplicate: true })
    expect(copy.apply(write('put', 'a', 5, 'k5', 'other'), 101)).to.deep.include({
      status: 'conflict',
    })
  })

  it('a retry of a write whose digest was never read is told from a different request', () => {
    const sm = new KvStateMachine()
    sm.apply(encodeCommand({ op: 'open', clientId: 'c' }), 1)
    sm.apply(write('put', 'c', 1, 'k', short), 2)
    expect(sm.apply(write('put', 'c', 1, 'k', short + 'x'), 3)).to.deep.include({
      status: 'conflict',
    })
    expect(sm.apply(write('append', 'c', 1, 'k', short), 4)).to.deep.include({
      status: 'conflict',
    })
    expect(sm.apply(write('put', 'c', 1, 'k2', short), 5)).to.deep.include({ status: 'conflict' })
    expect(sm.get('k')).to.equal(short)
    expect(sm.apply(write('put', 'c', 1, 'k', short), 6)).to.deep.include({ duplicate: true })
  })

  it('keeps a write for its digest only when key + value are within the bound', () => {
    const sm = new KvStateMachine()
    sm.apply(encodeCommand({ op: 'open', clientId: 'c' }), 1)
    const ownDigest = (): boolean =>
      typeof Object.getOwnPropertyDescriptor(sm.session('c'), 'digest')?.value === 'string'
    const atBound = 'v'.repeat(LAZY_DIGEST_MAX_CHARS - 1)
    sm.apply(write('put', 'c', 1, 'k', atBound), 2) // 1 + 255 characters: kept
    expect(ownDigest()).to.equal(false)
    sm.apply(write('put', 'c', 2, 'k', atBound + 'v'), 3) // 257: computed at once
    expect(ownDigest()).to.equal(true)
  })

  it('keeps a digest not yet read unread when a repeated open moves the session', () => {
    const sm = new KvStateMachine()
    const open = encodeCommand({ op: 'open', clientId: 'c' })
    sm.apply(open, 1)
    sm.apply(write('append', 'c', 1, 'k', short), 2)
    // The open again (a retried open) is the only thing that moves a session without reading
    // its digest (a retry of the write compares digests; a conflict does not move it).
    expect(sm.apply(open, 3)).to.deep.include({ duplicate: true })
    const moved = sm.session('c')
    expect(moved).to.include({ seq: 1, lastIndex: 3 })
    expect(typeof Object.getOwnPropertyDescriptor(moved, 'digest')?.value).to.not.equal('string')
    expect(moved?.digest).to.equal(requestDigest({ op: 'append', key: 'k', value: short }))
  })
})
