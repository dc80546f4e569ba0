import { expect } from 'chai'
import { createRng, encodeMessage, packValue, unpackValue } from '@raftkit/raft-core'
import type { Entry, EntryKind, Message, Rng } from '@raftkit/raft-core'
import { decodeAppendEntries } from '../src/append-decode.js'
import { pick, runs, shuffled } from './random.js'

const INTS = [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1]
const BIG = [2 ** 32, 2 ** 40, 2 ** 53 - 1]
const SIZES = [0, 1, 200, 255, 256, 65_535, 65_536]
const COUNTS = [0, 1, 15, 16, 17, 40]
const IDS = ['n1', 'n2', 'node-3', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(200)]
const ODD_IDS = ['é', 'n\u0100', '', 'w'.repeat(300)]
const KINDS: EntryKind[] = ['command', 'noop', 'config']

const int = (rng: Rng, big: boolean): number =>
  big && rng.int(10) === 0 ? pick(rng, BIG) : rng.int(3) === 0 ? pick(rng, INTS) : rng.int(10_000)

/** A random AppendEntries; `odd`: sometimes values the fast path leaves to msgpackr. */
function randomMessage(rng: Rng, odd: boolean): Record<string, unknown> {
  const n = pick(rng, COUNTS)
  // Below 2^32 through the last entry, unless `odd`.
  const prevLogIndex = odd ? int(rng, odd) : Math.min(int(rng, odd), 2 ** 32 - 1 - n)
  const term = int(rng, odd)
  const entries: Entry[] = []
  for (let i = 0; i < n; i++) {
    const size = rng.int(8) === 0 ? pick(rng, SIZES) : rng.int(300)
    const data = new Uint8Array(size)
    for (let j = 0; j < Math.min(size, 32); j++) data[j] = rng.int(256)
    const e = { index: prevLogIndex + 1 + i, term, kind: pick(rng, KINDS), data }
    entries.push((rng.int(4) === 0 ? shuffled(rng, e) : e) as unknown as Entry)
  }
  const m: Record<string, unknown> = {
    type: 'AppendEntries',
    to: odd && rng.int(6) === 0 ? pick(rng, ODD_IDS) : pick(rng, IDS),
    prevLogIndex,
    prevLogTerm: int(rng, odd),
    entries,
    leaderCommit: int(rng, odd),
    ...(rng.int(3) === 0 ? { readContext: int(rng, odd) } : {}),
    from: odd && rng.int(6) === 0 ? pick(rng, ODD_IDS) : pick(rng, IDS),
    term,
  }
  if (odd && rng.int(8) === 0) m['extra'] = 1
  return rng.int(3) === 0 ? shuffled(rng, m) : m
}

/** msgpackr's result (what decodeMessage validates), or the error it throws. */
function reference(bytes: Uint8Array): unknown {
  try {
    return unpackValue(bytes)
  } catch (e) {
    return e
  }
}

const view = (d: Uint8Array): Buffer => Buffer.from(d.buffer, d.byteOffset, d.byteLength)

/** The message with each entry's data as its class and length (its bytes: see expectSame). */
function flat(m: unknown): unknown {
  const entries = (m as { entries?: unknown } | null)?.entries
  if (!Array.isArray(entries)) return m
  const data = (e: Record<string, unknown>): Record<string, unknown> => {
    const d = e['data']
    return d instanceof Uint8Array ? { ...e, data: `${d.constructor.name}(${d.byteLength})` } : e
  }
  return { ...(m as object), entries: entries.map(data) }
}

/**
 * The same message, data views included (same class, same bytes). The bytes are compared with
 * Buffer.equals: chai's deep equality walks a Uint8Array byte by byte (seconds per test, and
 * minutes per surviving mutant under Stryker).
 */
function expectSame(fast: object, ref: unknown, what: string): void {
  expect(ref, what).to.not.be.instanceOf(Error)
  expect(flat(fast), what).to.deep.equal(flat(ref))
  const fe = (fast as { entries: Entry[] }).entries
  const re = (ref as { entries: Entry[] }).entries
  for (let i = 0; i < fe.length; i++)
    expect(
      view((fe[i] as Entry).data).equals((re[i] as Entry).data),
      `${what}, entry ${i}`,
    ).to.equal(true)
}

describe('decodeAppendEntries: the fast path for a follower’s AppendEntries', function () {
  it('gives msgpackr’s message for every AppendEntries of ASCII ids and small integers (2 000 random, fields in any order)', function () {
    const rng = createRng(15)
    for (let i = 0; i < runs(2000); i++) {
      const bytes = packValue(randomMessage(rng, false))
      // As ws hands frames over (a Buffer), and as a plain Uint8Array.
      const input = i % 2 === 0 ? Buffer.from(bytes) : new Uint8Array(bytes)
      const fast = decodeAppendEntries(input)
      expect(fast, `message ${i} took the slow path`).to.not.equal(undefined)
      expectSame(fast as object, reference(input), `message ${i}`)
    }
  })

  it('gives msgpackr’s message or leaves it to msgpackr on other values (2 000 random)', function () {
    const rng = createRng(16)
    let fastCount = 0
    for (let i = 0; i < runs(2000); i++) {
      const bytes = Buffer.from(packValue(randomMessage(rng, true)))
      const fast = decodeAppendEntries(bytes)
      if (fast === undefined) continue
      fastCount++
      expectSame(fast, reference(bytes), `message ${i}`)
    }
    expect(fastCount).to.be.within(runs(100), runs(1990))
  })

  it('leaves every other message type to msgpackr', function () {
    const others: Message[] = [
      { type: 'AppendEntriesReply', from: 'n1', to: 'n2', term: 1, success: true, matchIndex: 3 },
      {
        type: 'RequestVote',
        from: 'n1',
        to: 'n2',
        term: 1,
        lastLogIndex: 0,
        lastLogTerm: 0,
        preVote: false,
      },
      { type: 'TimeoutNow', from: 'n1', to: 'n2', term: 1 },
    ]
    for (const m of others) expect(decodeAppendEntries(encodeMessage(m))).to.equal(undefined)
  })

  it('never gives anything but msgpackr’s message for a damaged encoding (every prefix, byte changes, extensions)', function () {
    const rng = createRng(17)
    for (let i = 0; i < runs(150); i++) {
      const good = Buffer.from(packValue(randomMessage(rng, false)))
      const check = (b: Buffer, what: string): void => {
        const fast = decodeAppendEntries(b)
        if (fast !== undefined) expectSame(fast, reference(b), what)
      }
      for (let cut = 0; cut < good.length; cut += 1 + rng.int(Math.max(8, good.length >> 7)))
        check(good.subarray(0, cut), `prefix ${cut}`)
      check(Buffer.concat([good, Buffer.from([0])]), 'one byte more')
      for (let k = 0; k < 30; k++) {
        const bad = Buffer.from(good)
        const at = rng.int(bad.length)
        bad[at] = rng.int(256)
        check(bad, `byte ${at} of message ${i}`)
      }
    }
  })
})
