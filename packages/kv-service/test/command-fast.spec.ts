/**
 * The write-command fast path (src/command-fast.ts) answers exactly what the general decoder
 * (msgpackr + validateCommand) answers for every input it accepts, and leaves every other input
 * to it: non-ASCII strings, other commands, malformed or truncated bytes.
 */
import { expect } from 'chai'
import { createRng, packValue, unpackValue, type Rng } from '@raftkit/raft-core'
import type { WriteCommand } from '../src/index.js'
import { KvStateMachine, decodeCommand, encodeCommand } from '../src/index.js'
import { decodeWriteFast } from '../src/command-fast.js'

function asciiString(rng: Rng, length: number): string {
  let s = ''
  for (let i = 0; i < length; i++) s += String.fromCharCode(rng.int(128))
  return s
}

/** Lengths around every msgpack string header boundary (fixstr, str8, str16, str32). */
const LENGTHS = [0, 1, 16, 31, 32, 255, 256, 65535, 65536]
/** Integers around every msgpack unsigned-integer boundary, up to 2^32 and past it. */
const SEQS = [1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 40]

function randomWrite(rng: Rng, i: number): WriteCommand {
  const length = (): number =>
    rng.int(3) === 0 ? (LENGTHS[rng.int(LENGTHS.length)] ?? 0) : rng.int(200)
  const cmd = {
    op: rng.int(2) === 0 ? 'put' : 'append',
    key: asciiString(rng, length()),
    value: asciiString(rng, length()),
    clientId: asciiString(rng, 1 + rng.int(40)),
    seq: i < SEQS.length ? (SEQS[i] as number) : 1 + rng.int(1_000_000),
  } as const
  return rng.int(2) === 0 ? cmd : { ...cmd, maxValueBytes: SEQS[rng.int(SEQS.length)] }
}

describe('write-command fast path', () => {
  it('decodes every ASCII put and append as the general decoder does', () => {
    const rng = createRng(15)
    let fast = 0
    for (let i = 0; i < 3000; i++) {
      const bytes = encodeCommand(randomWrite(rng, i))
      const got = decodeWriteFast(bytes)
      if (got === undefined) {
        // Only an integer past 2^32 is the general decoder's: every other ASCII put and append
        // takes the fast path (a fast path that refuses more is correct but slow, and unseen).
        const cmd = decodeCommand(bytes) as WriteCommand
        expect(Math.max(cmd.seq, cmd.maxValueBytes ?? 0)).to.be.at.least(2 ** 32)
        continue
      }
      fast++
      expect(got).to.deep.equal(decodeCommand(bytes))
      // The same from a plain Uint8Array (a Buffer is read in place, anything else through a view).
      expect(decodeWriteFast(new Uint8Array(bytes))).to.deep.equal(got)
    }
    expect(fast, 'most commands take the fast path').to.be.greaterThan(2500)
  })

  it('leaves non-ASCII strings, other commands and other layouts to the general decoder', () => {
    const base = { op: 'put', key: 'k', value: 'v', clientId: 'c', seq: 1 } as const
    const others: Uint8Array[] = [
      encodeCommand({ ...base, value: 'é' }),
      encodeCommand({ ...base, key: '\u{1f600}' }),
      encodeCommand({ ...base, clientId: 'c\ud800' }), // a lone surrogate
      encodeCommand({ op: 'open', clientId: 'c' }),
      encodeCommand({ op: 'addr', id: 'n4', peer: 'h:1', http: 'h:2' }),
      packValue({ ...base, seq: 0 }),
      packValue({ ...base, max: 0 }),
      packValue({ ...base, op: 'get' }),
      packValue({ ...base, clientId: '' }),
      packValue({ ...base, extra: 1 }),
      packValue({ key: 'k', op: 'put', value: 'v', clientId: 'c', seq: 1 }), // another order
      packValue({ ...base, seq: 1.5 }),
      packValue({ ...base, seq: -1 }),
      packValue([base]),
      new Uint8Array(0),
      // op's value left out: "key" then stands where "put" was, and the rest reads on as if it
      // were a put of k (msgpackr finds the map a value short).
      Uint8Array.from([0xde, 0, 5, 0xa2, 0x6f, 0x70, ...encodeCommand(base).subarray(10)]),
      // A key that is an integer whose low five bits are 0 (as a fixstr header they would read
      // as an empty string).
      packValue({ ...base, key: 0 }),
      packValue({ ...base, key: 32 }),
      // A key of bytes (bin32, "ab"): its 4-byte length as str32's would read it as "ab".
      Uint8Array.from([
        ...encodeCommand(base).subarray(0, 14),
        ...[0xc6, 0, 0, 0, 2, 0x61, 0x62],
        ...encodeCommand(base).subarray(16),
      ]),
      // Six fields whose sixth is cut to one byte where "max" should be (msgpackr finds the map a
      // value short): a key cut off by the end is not taken as matched.
      Uint8Array.from([0xde, 0, 6, ...encodeCommand(base).subarray(3), 5]),
    ]
    for (const bytes of others) expect(decodeWriteFast(bytes)).to.equal(undefined)
  })

  it('reads a fixmap header as the general decoder does, and no other one-byte header', () => {
    const bytes = encodeCommand({ op: 'append', key: 'k', value: 'v', clientId: 'c', seq: 7 })
    expect([...bytes.subarray(0, 3)], 'a map16 of 5 fields').to.deep.equal([0xde, 0, 5])
    const body = bytes.subarray(3)
    const fixmap = Uint8Array.from([0x85, ...body])
    expect(decodeWriteFast(fixmap)).to.deep.equal(decodeCommand(fixmap))
    expect(decodeWriteFast(fixmap)).to.deep.equal(decodeCommand(bytes))
    // The same fields under every other first byte whose low bits read 5 (a fixarray, a fixstr,
    // a fixint, bin16, fixext2, …), or under a map16 of 256 + 5 fields: not a put.
    for (let h = 0; h < 256; h++) {
      if (h === 0x85 || (h & 0x0f) !== 5) continue
      expect(decodeWriteFast(Uint8Array.from([h, ...body])), `header ${h}`).to.equal(undefined)
    }
    expect(decodeWriteFast(Uint8Array.from([0xde, 1, 5, ...body]))).to.equal(undefined)
  })

  it('refuses, without throwing, a command cut inside a str8, str16 or str32 header', () => {
    // Random cuts of commands over 400 bytes seldom land in a header's length bytes.
    for (const length of [40, 300, 70_000]) {
      const bytes = encodeCommand({
        op: 'put',
        key: 'k',
        value: 'v'.repeat(length),
        clientId: 'c',
        seq: 1,
      })
      const at = 22 // the value's header: after the map header, op, put, key, "k" and value
      expect(bytes[at], `the header of a ${length}-byte value`).to.be.oneOf([0xd9, 0xda, 0xdb])
      for (let n = 1; n <= 5; n++)
        expect(decodeWriteFast(bytes.subarray(0, at + n))).to.equal(undefined)
      expect(decodeWriteFast(bytes)).to.deep.equal(decodeCommand(bytes))
    }
  })

  it('accepts no truncated, extended or altered encoding the general decoder would read differently', () => {
    const rng = createRng(16)
    for (let i = 0; i < 300; i++) {
      const bytes = encodeCommand(randomWrite(rng, 100 + i))
      const variants: Uint8Array[] = []
      if (bytes.length <= 400)
        for (let n = 0; n < bytes.length; n++) variants.push(bytes.subarray(0, n))
      else for (let k = 0; k < 40; k++) variants.push(bytes.subarray(0, rng.int(bytes.length)))
      const longer = new Uint8Array(bytes.length + 1)
      longer.set(bytes)
      variants.push(longer)
      for (let k = 0; k < 20; k++) {
        const v = Uint8Array.from(bytes)
        v[rng.int(v.length)] = rng.int(256)
        variants.push(v)
      }
      for (const v of variants) {
        const got = decodeWriteFast(v)
        if (got === undefined) continue
        expect(got).to.deep.equal(decodeCommand(v))
      }
    }
  })

  it('leaves the state machine in the same state whichever decoder a write takes', () => {
    const viaFast = new KvStateMachine()
    const viaGeneral = new KvStateMachine()
    const rng = createRng(17)
    viaFast.apply(encodeCommand({ op: 'open', clientId: 'c' }), 1)
    viaGeneral.apply(encodeCommand({ op: 'open', clientId: 'c' }), 1)
    for (let i = 0; i < 200; i++) {
      const { op, key, value } = randomWrite(rng, 1000 + i)
      const limit = [undefined, 1, 100, 65536][rng.int(4)]
      const cmd = {
        op,
        key,
        value,
        clientId: 'c',
        seq: i + 1,
        ...(limit ? { maxValueBytes: limit } : {}),
      }
      const bytes = encodeCommand(cmd)
      expect(decodeWriteFast(bytes)).to.not.equal(undefined)
      // The same command with an extra field: the general decoder's path, the same command.
      const general = packValue({ ...(unpackValue(bytes) as object), extra: true })
      expect(decodeWriteFast(general)).to.equal(undefined)
      const a = viaFast.apply(bytes, i + 2)
      const b = viaGeneral.apply(general, i + 2)
      expect(a).to.deep.equal(b)
    }
    expect(Buffer.from(viaFast.snapshot())).to.deep.equal(Buffer.from(viaGeneral.snapshot()))
  })
})
