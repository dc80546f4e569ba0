/**
 * The handshake's proof (handshake.ts): what it is computed over, pinned by a known answer, so
 * that two builds of the transport agree on it (a change that both ends make the same way, e.g.
 * another label, passes every round-trip test and breaks every mixed cluster); and the proof
 * comparison; the frame decoder's bounds and reasons. Under fuzzing: frame-decoder-fuzz.spec.ts.
 */
import { expect } from 'chai'
import { MalformedMessageError, packValue } from '@raftkit/raft-core'
import { MAX_NODE_ID_BYTES, PROTOCOL_VERSION } from '../src/constants.js'
import { NONCE_BYTES, decodeFrame, encodeFrame, proof, proofMatches } from '../src/handshake.js'
import type { HandshakeFrame, Session } from '../src/handshake.js'

const SECRET = '0123456789abcdef'
const session: Session = {
  dialer: 'n1',
  listener: 'n2',
  dialerNonce: new Uint8Array(32).fill(1),
  listenerNonce: new Uint8Array(32).fill(2),
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('handshake proof', function () {
  it('is HMAC-SHA256(secret) over length-prefixed "raftkit-ws", the version, the role, both ids and both nonces (known answers)', () => {
    // Computed independently (Python's hmac over the same parts, each after its 4-byte
    // big-endian UTF-8 length; the nonces in base64).
    expect(hex(proof(SECRET, 'dialer', session))).to.equal(
      '82dee6a778cbd4726e7f1fb9b8de949c52d3c7e7c3b2aa8834b91b0ced1e0951',
    )
    expect(hex(proof(SECRET, 'listener', session))).to.equal(
      '6d85b5db585d134ef6e9f57950397511217b6ec98ca610ad124625c520a4d14a',
    )
  })

  it('changes with the secret, either id, either nonce, and where one id ends and the next begins', () => {
    const base = hex(proof(SECRET, 'dialer', session))
    const nonce = new Uint8Array(32).fill(1)
    nonce[31] = 3
    const others: [string, string, Session][] = [
      ['secret', `${SECRET}!`, session],
      ['dialer', SECRET, { ...session, dialer: 'n3' }],
      ['listener', SECRET, { ...session, listener: 'n3' }],
      ['dialer nonce', SECRET, { ...session, dialerNonce: nonce }],
      ['listener nonce', SECRET, { ...session, listenerNonce: nonce }],
      ['ids split elsewhere', SECRET, { ...session, dialer: 'n1n', listener: '2' }],
    ]
    for (const [what, secret, s] of others)
      expect(hex(proof(secret, 'dialer', s)), what).to.not.equal(base)
  })

  it('proofMatches: equal bytes only; another length is false, not an exception', () => {
    const p = proof(SECRET, 'dialer', session)
    expect(proofMatches(p, Uint8Array.from(p))).to.equal(true)
    const flipped = Uint8Array.from(p)
    flipped[31] = (flipped[31] as number) ^ 1
    expect(proofMatches(p, flipped)).to.equal(false)
    expect(proofMatches(p, p.subarray(0, 31))).to.equal(false)
    expect(proofMatches(p, new Uint8Array(0))).to.equal(false)
    expect(proofMatches(p, new Uint8Array(33))).to.equal(false)
  })
})

describe('handshake frames: decodeFrame', function () {
  const nonce = new Uint8Array(NONCE_BYTES).fill(7)
  const hello = {
    kind: 'hello',
    version: PROTOCOL_VERSION,
    from: 'a',
    to: 'b',
    nonce,
  }

  it(`takes node ids of 1 to ${MAX_NODE_ID_BYTES} bytes of UTF-8`, () => {
    const frames: HandshakeFrame[] = [
      { kind: 'hello', version: PROTOCOL_VERSION, from: 'x', to: 'y', nonce },
      {
        kind: 'hello',
        version: PROTOCOL_VERSION,
        from: 'x'.repeat(MAX_NODE_ID_BYTES),
        to: 'é'.repeat(MAX_NODE_ID_BYTES / 2),
        nonce,
      },
    ]
    for (const f of frames) expect(decodeFrame(encodeFrame(f))).to.deep.equal(f)
  })

  it('refuses anything else with MalformedMessageError saying what was wrong', () => {
    const bad: [Uint8Array, RegExp][] = [
      [packValue(hello).subarray(0, 5), /handshake frame is not valid msgpack/],
      [packValue(null), /handshake frame is not a map/],
      [packValue(5), /handshake frame is not a map/],
      [packValue('hello'), /handshake frame is not a map/],
      [packValue([hello]), /handshake frame is not a map/],
      [packValue({ kind: 'x' }), /unknown handshake frame kind "x"/],
      [packValue({ ...hello, version: '1' }), /handshake field "version" must be an integer/],
      [packValue({ ...hello, version: 1.5 }), /handshake field "version" must be an integer/],
      [packValue({ ...hello, from: '' }), /handshake field "from" must be a node id/],
      [packValue({ ...hello, from: 7 }), /handshake field "from" must be a node id/],
      [
        packValue({ ...hello, to: 'x'.repeat(MAX_NODE_ID_BYTES + 1) }),
        /handshake field "to" must be a node id/,
      ],
      [
        packValue({ ...hello, to: 'é'.repeat(MAX_NODE_ID_BYTES / 2 + 1) }),
        /handshake field "to" must be a node id/,
      ],
      [packValue({ ...hello, nonce: nonce.subarray(1) }), /field "nonce" must be 32 bytes/],
      [packValue({ kind: 'challenge', nonce: [...nonce] }), /field "nonce" must be 32 bytes/],
      [packValue({ kind: 'auth', proof: new Uint8Array(33) }), /field "proof" must be 32 bytes/],
      [packValue({ kind: 'welcome', proof: new Uint8Array(31) }), /field "proof" must be 32 bytes/],
    ]
    for (const [bytes, reason] of bad)
      expect(() => decodeFrame(bytes), String(reason)).to.throw(MalformedMessageError, reason)
  })
})
