import { expect } from 'chai'
import {
  MalformedMessageError,
  createRng,
  decodeMessage,
  encodeMessage,
  packValue,
  unpackValue,
} from '@raftkit/raft-core'
import type { Message, Rng } from '@raftkit/raft-core'
import { decodeAppendEntriesReply } from '../src/append-decode.js'
import { encodeFast } from '../src/message-encode.js'
import { pick, runs, shuffled } from './random.js'

const INTS = [0, 1, 31, 32, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1]
const ODD_NUMBERS = [-1, -200, 0.5, 2 ** 32, 2 ** 40, 2 ** 53 - 1, NaN, Infinity]
const IDS = ['n1', 'n2', 'node-3', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(255)]
const ODD_STRINGS = ['é', 'n\u0100', '\u{1f600}', 'w'.repeat(256)]
const SIZES = [0, 1, 200, 255, 256, 65_535, 65_536]
const KINDS = ['command', 'noop', 'config'] as const

const int = (rng: Rng): number => (rng.int(3) === 0 ? pick(rng, INTS) : rng.int(100_000))

function bytes(rng: Rng): Uint8Array {
  const size = rng.int(8) === 0 ? pick(rng, SIZES) : rng.int(300)
  const data = rng.int(2) === 0 ? new Uint8Array(size) : Buffer.alloc(size)
  for (let j = 0; j < Math.min(size, 32); j++) data[j] = rng.int(256)
  return rng.int(5) === 0 ? data.subarray(0, size >> 1) : data
}

/** A random message of any type, with optional fields present or not. */
function randomMessage(rng: Rng): Record<string, unknown> {
  const env = { from: pick(rng, IDS), to: pick(rng, IDS), term: int(rng) }
  const opt = (key: string): Record<string, unknown> =>
    rng.int(2) === 0 ? { [key]: int(rng) } : {}
  switch (rng.int(7)) {
    case 0: {
      const prevLogIndex = Math.min(int(rng), 2 ** 32 - 100)
      const entries = Array.from({ length: pick(rng, [0, 0, 1, 2, 15, 16, 40]) }, (_, i) => ({
        index: prevLogIndex + 1 + i,
        term: int(rng),
        kind: pick(rng, KINDS),
        data: bytes(rng),
      }))
      return {
        type: 'AppendEntries',
        ...env,
        prevLogIndex,
        prevLogTerm: int(rng),
        entries,
        leaderCommit: int(rng),
        ...opt('readContext'),
      }
    }
    case 1:
      return {
        type: 'AppendEntriesReply',
        ...env,
        success: rng.int(2) === 0,
        matchIndex: int(rng),
        ...opt('conflictIndex'),
        ...opt('conflictTerm'),
        ...opt('readContext'),
      }
    case 2:
      return {
        type: 'RequestVote',
        ...env,
        lastLogIndex: int(rng),
        lastLogTerm: int(rng),
        preVote: rng.int(2) === 0,
        ...(rng.int(2) === 0 ? { transfer: true } : {}),
      }
    case 3:
      return { type: 'RequestVoteReply', ...env, granted: rng.int(2) === 0, preVote: false }
    case 4:
      return { type: 'TimeoutNow', ...env }
    case 5:
      return {
        type: 'InstallSnapshot',
        ...env,
        lastIncludedIndex: int(rng),
        lastIncludedTerm: int(rng),
        offset: 0,
        data: bytes(rng),
        totalBytes: int(rng),
        done: rng.int(2) === 0,
        ...(rng.int(2) === 0
          ? { membership: { voters: [pick(rng, IDS), pick(rng, IDS)], learners: [] } }
          : {}),
      }
    default:
      return {
        type: 'InstallSnapshotReply',
        ...env,
        lastIncludedIndex: int(rng),
        nextOffset: int(rng),
        done: true,
      }
  }
}

/** Replaces one value somewhere in `m` by one the fast path does not take. */
function damage(rng: Rng, m: Record<string, unknown>): void {
  const keys = Object.keys(m)
  const key = pick(rng, keys)
  const v = rng.int(6)
  m[key] =
    v === 0
      ? pick(rng, ODD_NUMBERS)
      : v === 1
        ? pick(rng, ODD_STRINGS)
        : v === 2
          ? undefined
          : v === 3
            ? null
            : v === 4
              ? new Map([[1, 2]])
              : new Uint16Array(3)
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('encodeFast: the same bytes as encodeMessage (msgpackr)', function () {
  it('writes msgpackr’s bytes for every message type (5 000 random, fields in any order)', function () {
    const rng = createRng(150)
    for (let i = 0; i < runs(5000); i++) {
      const m = randomMessage(rng)
      const message = rng.int(3) === 0 ? shuffled(rng, m) : m
      const fast = encodeFast(message)
      expect(fast, `message ${i} (${String(m['type'])}) took the slow path`).to.not.equal(undefined)
      expect(hex(fast as Uint8Array), `message ${i}`).to.equal(
        hex(encodeMessage(message as unknown as Message)),
      )
    }
  })

  it('never changes bytes it handed out while later messages fill its slabs (3 000 kept)', function () {
    const rng = createRng(155)
    const kept: [Uint8Array, string][] = []
    for (let i = 0; i < runs(3000); i++) {
      const m = randomMessage(rng)
      kept.push([encodeFast(m) as Uint8Array, hex(packValue(m))])
    }
    for (const [i, [fast, ref]] of kept.entries()) expect(hex(fast), `message ${i}`).to.equal(ref)
  })

  it('leaves values outside the fast path to msgpackr, or writes its bytes (2 000 random)', function () {
    const rng = createRng(151)
    let slow = 0
    for (let i = 0; i < runs(2000); i++) {
      const m = randomMessage(rng)
      damage(rng, m)
      const fast = encodeFast(m)
      if (fast === undefined) {
        slow++
        continue
      }
      expect(hex(fast), `message ${i}`).to.equal(hex(packValue(m)))
    }
    expect(slow).to.be.above(runs(1000))
  })

  it('takes the slow path for a non-ASCII or 256-character id, a negative or 2^32 integer, undefined', function () {
    const base = { type: 'TimeoutNow', from: 'n1', to: 'n2', term: 1 }
    for (const odd of [
      { from: 'é' },
      { to: 'w'.repeat(256) },
      { term: -1 },
      { term: 2 ** 32 },
      { term: 0.5 },
      { extra: undefined },
    ])
      expect(encodeFast({ ...base, ...odd }), JSON.stringify(odd)).to.equal(undefined)
  })
})

describe('decodeAppendEntriesReply: the fast path for a leader’s AppendEntriesReply', function () {
  const reply = (rng: Rng): Record<string, unknown> => {
    let m: Record<string, unknown>
    do m = randomMessage(rng)
    while (m['type'] !== 'AppendEntriesReply')
    return rng.int(3) === 0 ? shuffled(rng, m) : m
  }

  it('gives msgpackr’s message for every reply of ASCII ids and small integers (2 000 random)', function () {
    const rng = createRng(152)
    for (let i = 0; i < runs(2000); i++) {
      const b = Buffer.from(packValue(reply(rng)))
      const fast = decodeAppendEntriesReply(i % 2 === 0 ? b : new Uint8Array(b))
      expect(fast, `reply ${i} took the slow path`).to.not.equal(undefined)
      expect(fast, `reply ${i}`).to.deep.equal(unpackValue(b))
    }
  })

  it('leaves every other message type to msgpackr', function () {
    const rng = createRng(153)
    for (let i = 0; i < runs(500); i++) {
      const m = randomMessage(rng)
      if (m['type'] === 'AppendEntriesReply') continue
      expect(decodeAppendEntriesReply(packValue(m)), String(m['type'])).to.equal(undefined)
    }
  })

  it('never gives anything but msgpackr’s message for a damaged encoding (prefixes, byte changes, odd values)', function () {
    const rng = createRng(154)
    const check = (b: Buffer, what: string): void => {
      const fast = decodeAppendEntriesReply(b)
      if (fast === undefined) return
      let ref: unknown
      try {
        ref = unpackValue(b)
      } catch (e) {
        ref = e
      }
      expect(fast, what).to.deep.equal(ref)
    }
    for (let i = 0; i < runs(300); i++) {
      const m = reply(rng)
      const good = Buffer.from(packValue(m))
      for (let cut = 0; cut < good.length; cut++) check(good.subarray(0, cut), `prefix ${cut}`)
      check(Buffer.concat([good, Buffer.from([0])]), 'one byte more')
      for (let k = 0; k < 30; k++) {
        const bad = Buffer.from(good)
        const at = rng.int(bad.length)
        bad[at] = rng.int(256)
        check(bad, `byte ${at} of reply ${i}`)
      }
      damage(rng, m)
      check(Buffer.from(packValue(m)), `odd value in reply ${i}`)
    }
  })

  it('a reply without matchIndex or with a numeric success still ends in MalformedMessageError', function () {
    const base = { type: 'AppendEntriesReply', from: 'n1', to: 'n2', term: 1, success: true }
    for (const m of [base, { ...base, matchIndex: 3, success: 1 }, { ...base, matchIndex: -1 }]) {
      const b = packValue(m)
      expect(decodeAppendEntriesReply(b), JSON.stringify(m)).to.equal(undefined)
      expect(() => decodeMessage(b)).to.throw(MalformedMessageError)
    }
  })
})
