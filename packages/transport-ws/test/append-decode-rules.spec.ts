/**
 * Rules of the AppendEntries / AppendEntriesReply fast paths (append-decode.ts) that random
 * messages seldom reach, each written from a mutant that survived them (TESTING.md,
 * "transport-ws"): a value that only starts like a known one, ids of other types, entries that
 * are not an array, a truncated frame's id, the reply's type and required fields, and the
 * shortest and longest ids. Whatever the fast path leaves to msgpackr, decodeMessage then checks.
 */
import { expect } from 'chai'
import { MalformedMessageError, decodeMessage, packValue, unpackValue } from '@raftkit/raft-core'
import { decodeAppendEntries, decodeAppendEntriesReply } from '../src/append-decode.js'

const entry = { index: 6, term: 2, kind: 'command', data: new Uint8Array([1, 2, 3]) }
const append = {
  type: 'AppendEntries',
  from: 'n1',
  to: 'n2',
  term: 2,
  prevLogIndex: 5,
  prevLogTerm: 1,
  entries: [entry],
  leaderCommit: 5,
}
const reply = {
  type: 'AppendEntriesReply',
  from: 'n2',
  to: 'n1',
  term: 2,
  success: true,
  matchIndex: 6,
}

/** The fast path leaves `m`'s bytes to msgpackr, whose message decodeMessage refuses. */
function leftAndRefused(m: object, fast = decodeAppendEntries): void {
  const bytes = packValue(m)
  expect(fast(bytes), JSON.stringify(m)).to.equal(undefined)
  expect(() => decodeMessage(bytes), JSON.stringify(m)).to.throw(MalformedMessageError)
}

describe('decodeAppendEntries / decodeAppendEntriesReply: the rules random messages seldom reach', function () {
  it('an entry kind or a key that only begins like a known one is not taken for it', () => {
    for (const kind of ['co', 'c', 'no', 'conf', 'commands', 'noo'])
      leftAndRefused({ ...append, entries: [{ ...entry, kind }] })
    const { prevLogIndex, ...rest } = append
    leftAndRefused({ ...rest, prevLog: prevLogIndex })
    leftAndRefused({ ...rest, prevLogIndexes: prevLogIndex })
  })

  it('a node id of another type than a string is left to msgpackr', () => {
    for (const id of [65, 1, 0x7f, true, null, new Uint8Array([0x41])]) {
      leftAndRefused({ ...append, from: id })
      leftAndRefused({ ...append, to: id })
      leftAndRefused({ ...reply, from: id }, decodeAppendEntriesReply)
    }
  })

  it('entries that are not an array (one entry map, a number, nil) are left to msgpackr', () => {
    for (const entries of [entry, 3, null]) leftAndRefused({ ...append, entries })
  })

  it('a node id cut short at the end of a truncated frame is not remembered for later frames', () => {
    const long = packValue({ ...append, from: 'abcdef-long-id' })
    const at = Buffer.from(long).indexOf('abcdef-long-id')
    // Cut inside the id: its first six bytes are present.
    expect(decodeAppendEntries(long.subarray(0, at + 6))).to.equal(undefined)
    const next = packValue({ ...append, from: 'abcdef' })
    const fast = decodeAppendEntries(next) as { from: string }
    expect(fast.from).to.equal('abcdef')
    expect(fast).to.deep.equal(unpackValue(next))
  })

  it('takes ids of 0 to 255 ASCII characters (fixstr and str8) as msgpackr reads them', () => {
    for (const n of [0, 1, 31, 32, 255]) {
      const bytes = packValue({ ...append, from: 'f'.repeat(n), to: 't'.repeat(n) })
      const fast = decodeAppendEntries(bytes)
      expect(fast, `ids of ${n} characters`).to.not.equal(undefined)
      expect(fast, `ids of ${n} characters`).to.deep.equal(unpackValue(bytes))
    }
  })

  it('the reply path takes only an AppendEntriesReply that has type, from, to, term, success and matchIndex', () => {
    for (const type of ['RequestVoteReply', 'AppendEntries', 'AppendEntriesReplyX'])
      leftAndRefused({ ...reply, type }, decodeAppendEntriesReply)
    const { matchIndex, ...rest } = reply
    leftAndRefused({ ...rest, conflictIndex: matchIndex }, decodeAppendEntriesReply)
    leftAndRefused(
      { ...rest, conflictIndex: 1, conflictTerm: 1, readContext: 1 },
      decodeAppendEntriesReply,
    )
    const fast = decodeAppendEntriesReply(packValue(reply))
    expect(fast).to.deep.equal(reply)
  })
})
