/**
 * Rules of the encoding fast path (message-encode.ts) that random messages seldom reach, each
 * written from a mutant that survived them (TESTING.md, "transport-ws"): the first non-ASCII
 * character, inherited keys, counts past 16 bits, and the shared slab (a message that fills it
 * to the last byte, consecutive messages side by side). Random messages: peer-codec.spec.ts.
 */
import { expect } from 'chai'
import { packValue } from '@raftkit/raft-core'
import { encodeFast } from '../src/message-encode.js'

const hex = (b: Uint8Array | undefined): string =>
  b === undefined ? 'undefined' : Buffer.from(b).toString('hex')
/** The slab messages are written into (message-encode.ts's SLAB_BYTES). */
const SLAB_BYTES = 8 * 1024

/** An object of one string and one bin field whose msgpack takes exactly `size` bytes. */
function ofSize(size: number): { id: string; data: Uint8Array } {
  // map16 (3) + fixstr "id" (3) + fixstr "x" (2) + fixstr "data" (5) + bin16 header (3)
  const data = new Uint8Array(size - 16).fill(0xab)
  const m = { id: 'x', data }
  expect(packValue(m).byteLength).to.equal(size)
  return m
}

describe('encodeFast: the rules random messages seldom reach', function () {
  it('writes ASCII up to U+007F itself and leaves U+0080 and above to msgpackr (UTF-8)', () => {
    expect(hex(encodeFast({ a: '\u007f' }))).to.equal(hex(packValue({ a: '\u007f' })))
    for (const s of ['\u0080', 'n\u0080', '\u00ff', '\u0100'])
      expect(encodeFast({ a: s }), JSON.stringify(s)).to.equal(undefined)
  })

  it('writes own keys only, as msgpackr does', () => {
    const o = Object.create({ inherited: 1 }) as Record<string, unknown>
    o['own'] = 2
    expect(o.constructor).to.equal(Object)
    expect(hex(encodeFast(o))).to.equal(hex(packValue(o)))
  })

  it('writes maps and arrays of up to 65 535 items; leaves larger ones, and undefined items, to msgpackr', () => {
    const big: Record<string, number> = {}
    for (let i = 0; i < 65_536; i++) big[`k${i}`] = 1
    expect(encodeFast(big)).to.equal(undefined) // msgpackr (map16 only) throws for it
    expect(encodeFast({ a: new Array<number>(65_536).fill(0) })).to.equal(undefined)
    expect(encodeFast({ a: [1, undefined] })).to.equal(undefined)
    // One fewer of each is written by the fast path.
    delete big['k0']
    expect(hex(encodeFast(big))).to.equal(hex(packValue(big)))
    const most = { a: new Array<number>(65_535).fill(0) }
    expect(hex(encodeFast(most))).to.equal(hex(packValue(most)))
  })

  it('a message that fills a slab to its last byte is written whole', () => {
    const m = ofSize(SLAB_BYTES)
    expect(hex(encodeFast(m))).to.equal(hex(packValue(m)))
    expect(hex(encodeFast(m))).to.equal(hex(packValue(m)))
  })

  it('writes consecutive messages side by side in one slab', () => {
    encodeFast(ofSize(SLAB_BYTES)) // the next message starts a slab
    // 9 bytes: Node's pool of small buffers would put two allocations 16 bytes apart.
    const first = encodeFast({ id: 'ab' }) as Uint8Array
    const second = encodeFast({ id: 'c' }) as Uint8Array
    expect(second.buffer).to.equal(first.buffer)
    expect(second.byteOffset).to.equal(first.byteOffset + first.byteLength)
    expect([hex(first), hex(second)]).to.deep.equal([
      hex(packValue({ id: 'ab' })),
      hex(packValue({ id: 'c' })),
    ])
  })
})
