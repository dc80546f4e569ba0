/**
 * The rules of record framing (record.ts), on buffers built byte by byte: what scanRecords
 * accepts as records, and how it classifies what follows the last valid one. Recovery cuts a
 * `torn` tail of the active segment silently and keeps `zeros` as preallocated space, so every
 * case where damage could pass for one of those is pinned here as `corrupt`; and the reasons,
 * which end up in StorageCorruptionError's message, are exact.
 */
import { expect } from 'chai'
import { HEADER_BYTES, MAX_PAYLOAD_BYTES, crc32c, frameRecord, scanRecords } from '../src/record.js'

/** A framed record whose payload is `n` non-zero bytes. */
const record = (n: number, fill = 0xab): Buffer => frameRecord(Buffer.alloc(n, fill))
const zeros = (n: number): Buffer => Buffer.alloc(n)

/** A header claiming `len` payload bytes, with a valid header checksum. */
function header(len: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES)
  h.writeUInt32LE(len, 0)
  h.writeUInt32LE(0x12345678, 4)
  h.writeUInt32LE(crc32c(h.subarray(0, 8)), 8)
  return h
}

describe('record framing rules', function () {
  it('reads a record with an empty payload, and records back to back', function () {
    const buf = Buffer.concat([frameRecord(new Uint8Array(0)), record(5)])
    const scan = scanRecords(buf)
    expect(scan.stop).to.equal(undefined)
    expect(scan.records.map((r) => [r.offset, r.payload.length])).to.deep.equal([
      [0, 0],
      [HEADER_BYTES, 5],
    ])
    expect(scan.validEnd).to.equal(buf.length)
  })

  it('a zero-filled tail stops the scan as zeros where the records end', function () {
    const buf = Buffer.concat([record(40), record(7), zeros(300)])
    expect(scanRecords(buf).stop).to.deep.equal({
      kind: 'zeros',
      offset: 52 + 19,
      reason: 'zero-filled tail',
    })
  })

  it('a zero tail shorter than a block after more than a block of records is still zeros', function () {
    // 3 000 bytes in all, the records end past 1 500: the block-wise zero check must not reach
    // before the start of the buffer.
    const recs = Buffer.concat([record(800), record(800)])
    const buf = Buffer.concat([recs, zeros(3000 - recs.length)])
    const scan = scanRecords(buf)
    expect(scan.records).to.have.length(2)
    expect(scan.stop).to.deep.equal({
      kind: 'zeros',
      offset: recs.length,
      reason: 'zero-filled tail',
    })
  })

  it('more than a block of zeros with records after them is corruption, not a zero tail', function () {
    const first = record(100)
    const buf = Buffer.concat([first, zeros(5000), record(100)])
    const scan = scanRecords(buf)
    expect(scan.validEnd).to.equal(first.length)
    expect(scan.stop).to.deep.equal({
      kind: 'corrupt',
      offset: first.length,
      reason: 'record header checksum mismatch',
    })
  })

  it('a short header at the end of the file is torn', function () {
    const first = record(10)
    const buf = Buffer.concat([first, record(10).subarray(0, HEADER_BYTES - 1)])
    expect(scanRecords(buf).stop).to.deep.equal({
      kind: 'torn',
      offset: first.length,
      reason: 'incomplete record header',
    })
  })

  it('twelve bytes that are not a valid header at the end of the file are corruption, not torn', function () {
    const first = record(10)
    const buf = Buffer.concat([first, Buffer.alloc(HEADER_BYTES, 0x11)])
    expect(scanRecords(buf).stop).to.deep.equal({
      kind: 'corrupt',
      offset: first.length,
      reason: 'record header checksum mismatch',
    })
  })

  it('a payload cut by the end of the file is torn, and the reason says no more', function () {
    const first = record(10)
    // The payload's second half is zeros: the file may end in zeros the record itself holds.
    const cut = frameRecord(Buffer.concat([Buffer.alloc(150, 0xab), zeros(150)]))
    for (const at of [HEADER_BYTES + 100, HEADER_BYTES + 200]) {
      const buf = Buffer.concat([first, cut.subarray(0, at)])
      expect(scanRecords(buf).stop, `cut at ${at}`).to.deep.equal({
        kind: 'torn',
        offset: first.length,
        reason: 'record of 300 bytes cut by the end of the file',
      })
    }
  })

  it('a payload cut by the zeros of preallocated space is torn: an interrupted append', function () {
    const first = record(10)
    // The append got 300 bytes in; the zeros after them were never overwritten.
    const torn = record(2000).subarray(0, 300)
    const buf = Buffer.concat([first, torn, zeros(8192 - first.length - torn.length)])
    expect(scanRecords(buf).stop).to.deep.equal({
      kind: 'torn',
      offset: first.length,
      reason:
        'record of 2000 bytes cut by the end of the file (zeros follow: an interrupted append)',
    })
  })

  it('a complete record with a damaged payload is corruption, with or without zeros after it', function () {
    const first = record(10)
    const bad = record(600)
    bad[HEADER_BYTES + 599] = 0
    for (const tail of [zeros(0), zeros(4000)]) {
      expect(scanRecords(Buffer.concat([first, bad, tail])).stop).to.deep.equal({
        kind: 'corrupt',
        offset: first.length,
        reason: 'record payload checksum mismatch',
      })
    }
  })

  it('a damaged length is corruption even when the record would run past the end', function () {
    const first = record(10)
    const bad = record(10)
    bad[2] = 0x40 // the length now claims 4 MiB
    expect(scanRecords(Buffer.concat([first, bad])).stop).to.deep.equal({
      kind: 'corrupt',
      offset: first.length,
      reason: 'record header checksum mismatch',
    })
  })

  it('a length over MAX_PAYLOAD_BYTES is corruption even with a valid header checksum', function () {
    const first = record(10)
    const buf = Buffer.concat([first, header(MAX_PAYLOAD_BYTES + 1), record(10)])
    expect(scanRecords(buf).stop).to.deep.equal({
      kind: 'corrupt',
      offset: first.length,
      reason: `record length ${MAX_PAYLOAD_BYTES + 1} is implausible`,
    })
  })

  it('a length of exactly MAX_PAYLOAD_BYTES cut by the end of the file is torn', function () {
    const first = record(10)
    const buf = Buffer.concat([first, header(MAX_PAYLOAD_BYTES), record(10)])
    expect(scanRecords(buf).stop).to.deep.equal({
      kind: 'torn',
      offset: first.length,
      reason: `record of ${MAX_PAYLOAD_BYTES} bytes cut by the end of the file`,
    })
  })
})
