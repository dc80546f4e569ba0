/** crc32cRange (crc32c.ts) against crc-32's CRC32C.buf, which the writers use. */
import { expect } from 'chai'
import CRC32C from 'crc-32/crc32c.js'
import { createRng } from '@raftkit/raft-core'
import { crc32cRange } from '../src/crc32c.js'

describe('crc32cRange: CRC32C of a byte range', function () {
  it('equals CRC32C.buf of the same bytes on 2 000 random ranges, every length 0-40 and the check value', function () {
    const rng = createRng(7)
    const buf = Buffer.from(Array.from({ length: 5000 }, () => rng.int(256)))
    for (let i = 0; i < 2000; i++) {
      const start = rng.int(buf.length)
      const end = start + (i < 41 ? Math.min(i, buf.length - start) : rng.int(buf.length - start))
      expect(crc32cRange(buf, start, end), `[${start}, ${end})`).to.equal(
        CRC32C.buf(buf.subarray(start, end)) >>> 0,
      )
    }
    // The standard check value of CRC-32C.
    expect(crc32cRange(Buffer.from('123456789'), 0, 9)).to.equal(0xe3069283)
  })
})
