/**
 * The byte helpers of the listener and the dialer (bytes.ts): a received frame's bytes
 * whatever shape ws hands them in, close reasons cut to the protocol's 123 bytes on a character
 * boundary, and the frame limit written into ws's receiver only when it is shaped as expected.
 */
import { expect } from 'chai'
import { closeReason, frameBytes, setFrameLimit } from '../src/bytes.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('bytes.ts: frames, close reasons, the frame limit', function () {
  it('frameBytes: a Buffer as it is, fragments joined, an ArrayBuffer viewed', () => {
    const b = Buffer.from([1, 2, 3])
    expect(frameBytes(b)).to.equal(b)
    expect(hex(frameBytes([Buffer.from([1]), Buffer.from([2, 3])]))).to.equal('010203')
    const ab = new Uint8Array([4, 5]).buffer
    const viewed = frameBytes(ab)
    expect(viewed).to.be.instanceOf(Uint8Array)
    expect(hex(viewed)).to.equal('0405')
  })

  it('closeReason keeps a reason of up to 123 bytes and cuts a longer one by characters', () => {
    expect(closeReason('')).to.equal('')
    expect(closeReason('x'.repeat(123))).to.equal('x'.repeat(123))
    expect(closeReason('x'.repeat(124))).to.equal('x'.repeat(123))
    expect(closeReason('y'.repeat(500))).to.equal('y'.repeat(123))
    // 'é' is two bytes: 61 of them (122 bytes) fit, never half of one.
    expect(closeReason('é'.repeat(100))).to.equal('é'.repeat(61))
    expect(closeReason(`${'x'.repeat(122)}é`)).to.equal('x'.repeat(122))
  })

  it('setFrameLimit writes _maxPayload of a receiver shaped as expected, else changes nothing', () => {
    const ws = { _receiver: { _maxPayload: 1024 } }
    expect(setFrameLimit(ws, 4096)).to.equal(true)
    expect(ws._receiver._maxPayload).to.equal(4096)
    for (const odd of [
      {},
      { _receiver: null },
      { _receiver: 5 },
      { _receiver: {} },
      { _receiver: { _maxPayload: '1024' } },
    ]) {
      const before = JSON.stringify(odd)
      expect(setFrameLimit(odd, 4096), before).to.equal(false)
      expect(JSON.stringify(odd)).to.equal(before)
    }
  })
})
