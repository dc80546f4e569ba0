/**
 * The WebSocket RPC's frames (http/ws-protocol.ts): what a request frame carries comes back as
 * it was sent, answers likewise; a frame that is cut short, padded or garbage is refused with
 * one of the two typed errors (never anything else, never a crash); the error codes are the
 * HTTP API's, numbered once each.
 */
import { expect } from 'chai'
import { createRng } from '@raftkit/raft-core'
import { HTTP_ERRORS } from '../src/http/protocol.js'
import type { RpcRequest } from '../src/http/ws-protocol.js'
import {
  FRAME_HEAD,
  RPC_ERRORS,
  RPC_OP,
  RpcFrameError,
  RpcRequestError,
  decodeAnswer,
  decodeRequest,
  encodeError,
  encodeOk,
  encodeRequest,
  maxRequestFrame,
  rpcErrorName,
} from '../src/http/ws-protocol.js'

const put: RpcRequest = {
  op: RPC_OP.PUT,
  key: 'dir/ünï',
  value: 'v€\u{1F600}',
  clientId: 's-abc',
  seq: 2 ** 40 + 3,
}

describe('WebSocket RPC frames', () => {
  it('a request frame carries its op, id, session, key and value as sent', () => {
    const f = decodeRequest(encodeRequest(0xfffffffe, put))
    expect(f.op).to.equal(RPC_OP.PUT)
    expect(f.id).to.equal(0xfffffffe)
    if (f.op !== RPC_OP.PUT) throw new Error('not a put')
    expect(f.seq).to.equal(2 ** 40 + 3)
    expect(f.clientId.toString('latin1')).to.equal('s-abc')
    expect(f.key.toString('utf8')).to.equal('dir/ünï')
    expect(f.value.toString('utf8')).to.equal('v€\u{1F600}')
    const g = decodeRequest(encodeRequest(7, { op: RPC_OP.GET, key: 'k' }))
    expect(g).to.deep.include({ op: RPC_OP.GET, id: 7 })
    expect(g.op === RPC_OP.GET && g.key.toString()).to.equal('k')
    expect(decodeRequest(encodeRequest(9, { op: RPC_OP.OPEN }))).to.deep.equal({
      op: RPC_OP.OPEN,
      id: 9,
    })
  })

  it('an append frame carries its op like a put, and frames at the size limits carry all they hold', () => {
    const a = decodeRequest(encodeRequest(4, { ...put, op: RPC_OP.APPEND }))
    expect(a.op).to.equal(RPC_OP.APPEND)
    if (a.op !== RPC_OP.APPEND) throw new Error('not an append')
    expect(a.value.toString('utf8')).to.equal(put.value)
    // An empty key is a well-formed frame (the server then answers EMPTY_KEY, as over HTTP).
    const e = decodeRequest(encodeRequest(3, { op: RPC_OP.GET, key: '' }))
    expect(e.op === RPC_OP.GET && e.key.length).to.equal(0)
    const longKey = 'k'.repeat(65_535)
    const g = decodeRequest(encodeRequest(5, { op: RPC_OP.GET, key: longKey }))
    expect(g.op === RPC_OP.GET && g.key.toString()).to.equal(longKey)
    for (const clientId of ['x', 'y'.repeat(128)]) {
      const w = decodeRequest(encodeRequest(6, { ...put, clientId }))
      expect(w.op === RPC_OP.PUT && w.clientId.toString('latin1')).to.equal(clientId)
    }
  })

  it('a leader hint field of up to 255 bytes is carried; a longer one is left out and the rest still reads', () => {
    const id255 = 'i'.repeat(255)
    const addr255 = 'a'.repeat(255)
    expect(
      decodeAnswer(encodeError(1, 'NOT_LEADER', 'm', { id: id255, address: addr255 })),
    ).to.deep.include({
      message: 'm',
      leader: { id: id255, address: addr255 },
    })
    expect(
      decodeAnswer(encodeError(2, 'NOT_LEADER', 'm', { id: id255, address: addr255 + 'a' })),
    ).to.deep.include({ message: 'm', leader: { id: id255, address: '' } })
    expect(
      decodeAnswer(encodeError(3, 'NOT_LEADER', 'm', { id: id255 + 'i', address: 'x:1' })),
    ).to.deep.include({ code: 'NOT_LEADER', message: 'm', leader: undefined })
  })

  it('refuses what no frame can carry: a key over 65 535 bytes, a client id that is not 1-128 printable ASCII', () => {
    expect(() => encodeRequest(1, { op: RPC_OP.GET, key: 'k'.repeat(65_536) })).to.throw(RangeError)
    for (const clientId of ['', 'x'.repeat(129), 'a b', 'é'])
      expect(() => encodeRequest(1, { ...put, clientId })).to.throw(RangeError)
  })

  it('every cut-short or padded request frame is refused with a typed error; with an id it names the id', () => {
    for (const r of [put, { op: RPC_OP.GET, key: 'key' }, { op: RPC_OP.OPEN }] as RpcRequest[]) {
      const frame = encodeRequest(42, r)
      for (let n = 0; n < frame.length; n++) {
        if (r.op === RPC_OP.PUT && n >= FRAME_HEAD + 9 + 5 + 2 + Buffer.byteLength(put.key))
          continue // a put cut inside its value is a shorter value, not a malformed frame
        let e: unknown
        try {
          decodeRequest(frame.subarray(0, n))
        } catch (err) {
          e = err
        }
        if (n < FRAME_HEAD) expect(e, `prefix ${n}`).to.be.instanceOf(RpcFrameError)
        else {
          expect(e, `prefix ${n}`).to.be.instanceOf(RpcRequestError)
          expect((e as RpcRequestError).id).to.equal(42)
        }
      }
      if (r.op !== RPC_OP.PUT)
        expect(() => decodeRequest(Buffer.concat([frame, Buffer.from([0])]))).to.throw(
          RpcRequestError,
        )
    }
  })

  it('random bytes never crash the decoder: each frame decodes or throws one of the typed errors', () => {
    const rng = createRng(15)
    const valid = encodeRequest(1, put)
    for (let i = 0; i < 5000; i++) {
      const frame =
        i % 2 === 0
          ? Buffer.from(Array.from({ length: rng.int(40) }, () => rng.int(256)))
          : Buffer.from(valid)
      if (i % 2 === 1) for (let j = 0; j < 3; j++) frame[rng.int(frame.length)] = rng.int(256)
      try {
        decodeRequest(frame)
      } catch (e) {
        expect(e instanceof RpcFrameError || e instanceof RpcRequestError, String(e)).to.equal(true)
      }
    }
  })

  it('unknown ops and answers cut short are frame errors (no id to answer)', () => {
    const f = encodeRequest(3, { op: RPC_OP.OPEN })
    f[0] = 99
    expect(() => decodeRequest(f)).to.throw(RpcFrameError)
    const e = encodeError(5, 'NOT_LEADER', 'go there', { id: 'n2', address: '127.0.0.1:8002' })
    for (let n = 0; n < FRAME_HEAD + 2 + 2 + 14; n++)
      expect(() => decodeAnswer(e.subarray(0, n)), `prefix ${n}`).to.throw(RpcFrameError)
  })

  it('an answer carries its id, value, error code, leader hint and message as sent', () => {
    expect(decodeAnswer(encodeOk(8, 'v€'))).to.deep.equal({ id: 8, ok: true, value: 'v€' })
    expect(decodeAnswer(encodeOk(8, ''))).to.deep.equal({ id: 8, ok: true, value: '' })
    expect(
      decodeAnswer(encodeError(5, 'NOT_LEADER', 'go ☞', { id: 'n2', address: '[::1]:8002' })),
    ).to.deep.equal({
      id: 5,
      ok: false,
      code: 'NOT_LEADER',
      message: 'go ☞',
      leader: { id: 'n2', address: '[::1]:8002' },
    })
    expect(decodeAnswer(encodeError(6, 'BUSY', 'later'))).to.deep.equal({
      id: 6,
      ok: false,
      code: 'BUSY',
      message: 'later',
      leader: undefined,
    })
    const unknown = encodeError(6, 'BUSY', '')
    unknown[0] = 200
    expect(decodeAnswer(unknown)).to.deep.include({ ok: false, code: undefined })
  })

  it('error codes are HTTP API codes, each with its own number; no number means success', () => {
    const numbers = Object.values(RPC_ERRORS)
    expect(new Set(numbers).size).to.equal(numbers.length)
    expect(numbers).to.not.include(0)
    for (const [name, n] of Object.entries(RPC_ERRORS)) {
      expect(HTTP_ERRORS, name).to.have.property(name)
      expect(rpcErrorName(n)).to.equal(name)
      expect(n).to.be.within(1, 255)
    }
  })

  it('the largest request frame fits the largest key, value and client id', () => {
    const frame = encodeRequest(1, {
      ...put,
      key: 'k'.repeat(64),
      value: 'v'.repeat(1024),
      clientId: 'c'.repeat(128),
    })
    expect(frame.length).to.equal(maxRequestFrame(64, 1024))
  })
})
