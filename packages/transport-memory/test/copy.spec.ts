import { expect } from 'chai'
import { SimulatedClock, encodeMessage } from '@raftkit/raft-core'
import type { AppendEntries, Entry, Message } from '@raftkit/raft-core'
import { copyMessage, messageSize } from '../src/copy.js'
import { createMemoryNetwork } from '../src/index.js'

const bytes = (n: number, fill = 7): Uint8Array => new Uint8Array(n).fill(fill)

function append(entries: Entry[], extra: Partial<AppendEntries> = {}): AppendEntries {
  const prev = (entries[0]?.index ?? 1) - 1
  return {
    type: 'AppendEntries',
    from: 'leader-1',
    to: 'node-2',
    term: 3,
    prevLogIndex: prev,
    prevLogTerm: 2,
    entries,
    leaderCommit: prev,
    ...extra,
  }
}
function run(first: number, count: number, term: number, size: (i: number) => number): Entry[] {
  const out: Entry[] = []
  for (let i = 0; i < count; i++)
    out.push({
      index: first + i,
      term,
      kind: i % 5 === 4 ? 'noop' : 'command',
      data: bytes(size(i), i),
    })
  return out
}

describe('message copies (copy.ts)', () => {
  const messages: Message[] = [
    {
      type: 'RequestVote',
      from: 'a',
      to: 'b',
      term: 1,
      lastLogIndex: 0,
      lastLogTerm: 0,
      preVote: false,
    },
    { type: 'RequestVoteReply', from: 'b', to: 'a', term: 200, granted: true, preVote: true },
    {
      type: 'AppendEntriesReply',
      from: 'b',
      to: 'a',
      term: 70000,
      success: false,
      matchIndex: 2 ** 33,
      conflictIndex: 65535,
      conflictTerm: 65536,
      readContext: 255,
    },
    {
      type: 'InstallSnapshot',
      from: 'é-ünï',
      to: 'a',
      term: 5,
      lastIncludedIndex: 9,
      lastIncludedTerm: 4,
      offset: 0,
      data: bytes(70000),
      totalBytes: 70000,
      done: true,
    },
    {
      type: 'InstallSnapshotReply',
      from: 'a',
      to: 'b',
      term: 5,
      lastIncludedIndex: 9,
      nextOffset: 256,
      done: false,
    },
    append([]),
    append([], { readContext: 12 }),
    append(run(1, 15, 1, () => 0)),
    append(run(127, 16, 127, (i) => [0, 1, 255, 256, 65535, 65536][i % 6] as number)),
    append(run(2 ** 32 - 3, 6, 2 ** 32, () => 16)),
    append(run(2 ** 40, 3, 2 ** 16, () => 31)),
    append([
      { index: 1, term: 1, kind: 'config', data: bytes(40) },
      { index: 2, term: 1, kind: 'noop', data: bytes(0) },
    ]),
    { type: 'TimeoutNow', from: 'a', to: 'b', term: 3 },
    {
      type: 'RequestVote',
      from: 'a',
      to: 'b',
      term: 3,
      lastLogIndex: 9,
      lastLogTerm: 2,
      preVote: false,
      transfer: true,
    },
  ]

  it('counts exactly the bytes the wire codec encodes', () => {
    // 70 000 entries: the entries array takes the codec's 32-bit array header.
    for (const m of [...messages, append(run(5, 70000, 9, () => 3))]) {
      const what = `${m.type}${'entries' in m ? ` with ${m.entries.length} entries` : ''}`
      expect(messageSize(m), what).to.equal(encodeMessage(m).byteLength)
      expect(copyMessage(m).size, what).to.equal(encodeMessage(m).byteLength)
    }
  })

  it('copies: equal content, no shared objects or memory', () => {
    for (const m of messages) {
      const { message: c } = copyMessage(m)
      expect(c).to.deep.equal(m)
      expect(c).to.not.equal(m)
      if (m.type === 'AppendEntries' && c.type === 'AppendEntries') {
        expect(c.entries).to.not.equal(m.entries)
        c.entries.forEach((e, i) => {
          const orig = m.entries[i] as Entry
          expect(e).to.not.equal(orig)
          expect(e.data.buffer).to.not.equal(orig.data.buffer)
        })
      }
      if (m.type === 'InstallSnapshot' && c.type === 'InstallSnapshot')
        expect(c.data.buffer).to.not.equal(m.data.buffer)
    }
    // Writing into the sender's payload after the copy does not reach the copy.
    const m = append(run(1, 3, 1, () => 4))
    const c = copyMessage(m).message as AppendEntries
    ;(m.entries[1] as Entry).data[0] = 99
    expect([...(c.entries[1] as Entry).data]).to.deep.equal([1, 1, 1, 1])
  })

  it('hands a message with fields it does not know to the codec (still a true copy)', () => {
    const odd = { ...append(run(1, 2, 1, () => 2)), note: { nested: [1.5, null] } } as Message
    expect(messageSize(odd)).to.equal(-1)
    const { message: c, size } = copyMessage(odd)
    expect(size).to.equal(encodeMessage(odd).byteLength)
    expect(c).to.deep.equal(odd)
    expect((c as unknown as { note: unknown }).note).to.not.equal(
      (odd as unknown as { note: unknown }).note,
    )
  })
})

describe('memory network copy modes', () => {
  for (const copy of [true, false]) {
    it(`copy: ${copy} ${copy ? 'hands over a copy' : '(trusted) hands over the sender object'}, validates and counts the same`, async () => {
      const clock = new SimulatedClock()
      const net = createMemoryNetwork({ seed: 1, clock, ...(copy ? {} : { copy }) })
      const a = net.endpoint('leader-1')
      const b = net.endpoint('node-2')
      const got: Message[] = []
      b.listen((m) => got.push(m))
      const m = append(run(1, 20, 1, () => 8))
      a.send(m)
      expect(() => a.send({ ...m, term: -1 })).to.throw(/term/)
      await clock.advance(0)
      expect(got).to.have.length(1)
      expect(got[0]).to.deep.equal(m)
      if (copy) expect(got[0]).to.not.equal(m)
      else expect(got[0]).to.equal(m)
      expect(net.stats().bytes).to.equal(encodeMessage(m).byteLength)
      await net.close()
    })
  }
})
