/**
 * Fuzzing the peer frame decoders (fast-check): the handshake decoder and the Raft message
 * decoder a listener runs on every frame. Whatever the bytes — arbitrary, truncated or mutated
 * valid frames, wrong versions, wrong field lengths — a decoder returns a checked value or throws
 * MalformedMessageError with a reason, never anything else; valid frames round-trip; and a live
 * listener fed such frames closes that connection with a reason code and keeps serving.
 *
 * The seed is pinned (FUZZ_SEED overrides it, FUZZ_RUNS the number of runs) and printed.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { MalformedMessageError, decodeMessage, encodeMessage, packValue } from '@raftkit/raft-core'
import type { Entry, Message } from '@raftkit/raft-core'
import { CloseCode, PROTOCOL_VERSION } from '../src/index.js'
import { NONCE_BYTES, decodeFrame, encodeFrame } from '../src/handshake.js'
import type { HandshakeFrame } from '../src/handshake.js'
import { HOST, RawPeer, closeAll, node, vote, waitFor } from './helpers.js'

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261204)
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 2000)
const params = { seed: SEED, numRuns: RUNS }

const id = fc.string({ minLength: 1, maxLength: 40 })
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })
const handshakeFrame: fc.Arbitrary<HandshakeFrame> = fc.oneof(
  fc.record({
    kind: fc.constant('hello' as const),
    version: fc.integer({ min: 0, max: 1000 }),
    from: id,
    to: id,
    nonce: bytes(NONCE_BYTES),
  }),
  fc.record({ kind: fc.constant('challenge' as const), nonce: bytes(NONCE_BYTES) }),
  fc.record({ kind: fc.constant('auth' as const), proof: bytes(32) }),
  fc.record({ kind: fc.constant('welcome' as const), proof: bytes(32) }),
)

const nat = fc.integer({ min: 0, max: 2 ** 40 })
const message: fc.Arbitrary<Message> = fc.tuple(id, id, nat).chain(([from, to, term]) =>
  fc.oneof(
    fc.record({
      type: fc.constant('RequestVote' as const),
      from: fc.constant(from),
      to: fc.constant(to),
      term: fc.constant(term),
      lastLogIndex: nat,
      lastLogTerm: nat,
      preVote: fc.boolean(),
    }),
    fc.record({
      type: fc.constant('RequestVoteReply' as const),
      from: fc.constant(from),
      to: fc.constant(to),
      term: fc.constant(term),
      granted: fc.boolean(),
      preVote: fc.boolean(),
    }),
    fc
      .tuple(
        nat,
        nat,
        nat,
        fc.array(
          fc.record({
            term: nat,
            kind: fc.constantFrom('command' as const, 'noop' as const),
            data: fc.uint8Array({ maxLength: 64 }),
          }),
          { maxLength: 4 },
        ),
      )
      .map(([prevLogIndex, prevLogTerm, leaderCommit, raw]) => ({
        type: 'AppendEntries' as const,
        from,
        to,
        term,
        prevLogIndex,
        prevLogTerm,
        leaderCommit,
        entries: raw.map((e, i): Entry => ({ index: prevLogIndex + 1 + i, ...e })),
      })),
    fc.record({
      type: fc.constant('AppendEntriesReply' as const),
      from: fc.constant(from),
      to: fc.constant(to),
      term: fc.constant(term),
      success: fc.boolean(),
      matchIndex: nat,
    }),
    fc.record({
      type: fc.constant('TimeoutNow' as const),
      from: fc.constant(from),
      to: fc.constant(to),
      term: fc.constant(term),
    }),
  ),
)

/** Runs `decode`; passes if it returned or threw MalformedMessageError with a reason. */
function typedOutcome(decode: () => unknown): void {
  try {
    decode()
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(MalformedMessageError)
    expect((e as Error).message)
      .to.be.a('string')
      .and.not.equal('')
  }
}

/** Arbitrary bytes, a truncated valid encoding, or a valid encoding with a few bytes changed. */
function hostile(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    valid.chain((b) => fc.nat({ max: Math.max(0, b.length - 1) }).map((n) => b.subarray(0, n))),
    valid.chain((b) =>
      fc
        .array(fc.tuple(fc.nat({ max: b.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        })
        .map((edits) => {
          const out = Uint8Array.from(b)
          for (const [at, v] of edits) out[at] = v
          return out
        }),
    ),
  )
}

describe(`peer frame decoders under fuzzing (fast-check seed ${SEED}, ${RUNS} runs)`, function () {
  this.timeout(120_000)
  before(() => console.log(`      fast-check seed ${SEED}, ${RUNS} runs (FUZZ_SEED / FUZZ_RUNS)`))
  afterEach(closeAll)

  it('valid handshake frames and Raft messages round-trip', () => {
    fc.assert(
      fc.property(handshakeFrame, (f) => {
        expect(decodeFrame(encodeFrame(f))).to.deep.equal(f)
      }),
      params,
    )
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessage(m))).to.deep.equal(m)
      }),
      params,
    )
  })

  it('the handshake decoder returns a checked frame or throws MalformedMessageError', () => {
    fc.assert(
      fc.property(hostile(handshakeFrame.map(encodeFrame)), (b) =>
        typedOutcome(() => decodeFrame(b)),
      ),
      params,
    )
  })

  it('the Raft message decoder returns a valid message or throws MalformedMessageError', () => {
    fc.assert(
      fc.property(hostile(message.map(encodeMessage)), (b) => typedOutcome(() => decodeMessage(b))),
      params,
    )
  })

  it('rejects truncated frames and wrong field lengths and types with a reason', () => {
    fc.assert(
      fc.property(handshakeFrame, fc.nat(), (f, cut) => {
        const b = encodeFrame(f)
        expect(() => decodeFrame(b.subarray(0, cut % b.length))).to.throw(MalformedMessageError)
      }),
      params,
    )
    const wrong = fc.oneof(
      fc
        .uint8Array({ maxLength: 64 })
        .filter((n) => n.length !== NONCE_BYTES)
        .map((nonce) => ({ kind: 'challenge', nonce })),
      fc
        .uint8Array({ maxLength: 64 })
        .filter((p) => p.length !== 32)
        .map((proof) => ({ kind: 'auth', proof })),
      fc.string({ minLength: 257, maxLength: 400 }).map((from) => ({
        kind: 'hello',
        version: PROTOCOL_VERSION,
        from,
        to: 'b',
        nonce: new Uint8Array(NONCE_BYTES),
      })),
      fc.anything().map((version) => ({
        kind: 'hello',
        version: typeof version === 'number' && Number.isSafeInteger(version) ? 0.5 : version,
        from: 'a',
        to: 'b',
        nonce: new Uint8Array(NONCE_BYTES),
      })),
      fc.anything().map((kind) => ({ kind: typeof kind === 'string' ? `x${kind}` : kind })),
    )
    fc.assert(
      fc.property(wrong, (f) => {
        expect(() => decodeFrame(packValue(f))).to.throw(MalformedMessageError, /./)
      }),
      params,
    )
  })

  it('a live listener closes each fuzzed connection with a reason code and keeps serving', async () => {
    const s = await node('s', { g: `${HOST}:1`, ok: `${HOST}:1` })
    const ok = await node('ok', { s: `${HOST}:${s.t.port}` })
    const reasonCodes: number[] = [
      CloseCode.TooBig,
      CloseCode.Protocol,
      CloseCode.UnknownNode,
      CloseCode.WrongNode,
      CloseCode.Version,
      CloseCode.AuthFailed,
      CloseCode.HandshakeTimeout,
    ]
    const preAuth = hostile(
      fc.oneof(
        handshakeFrame.map(encodeFrame),
        fc.integer({ min: 0, max: 1000 }).map((version) =>
          encodeFrame({
            kind: 'hello',
            version: version === PROTOCOL_VERSION ? version + 1 : version,
            from: 'g',
            to: 's',
            nonce: new Uint8Array(NONCE_BYTES),
          }),
        ),
      ),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(preAuth, { minLength: 1, maxLength: 3 }), async (frames) => {
        const p = await RawPeer.open(s.t.port)
        for (const f of frames) p.send(f)
        const { code } = await p.closed
        expect(reasonCodes, `closed with ${code}`).to.include(code)
      }),
      { seed: SEED, numRuns: Math.min(RUNS, 60) },
    )
    // After authentication: three malformed messages close the connection (4005).
    await fc.assert(
      fc.asyncProperty(
        fc.array(hostile(message.map(encodeMessage)), { minLength: 3, maxLength: 3 }),
        async (frames) => {
          const g = await RawPeer.open(s.t.port)
          await g.handshake('g', 's')
          for (const f of frames) g.send(f)
          g.send(new Uint8Array([0xc1]))
          g.send(new Uint8Array([0xc1]))
          g.send(new Uint8Array([0xc1]))
          const { code } = await g.closed
          expect(code).to.equal(CloseCode.Malformed)
        },
      ),
      { seed: SEED, numRuns: Math.min(RUNS, 30) },
    )
    ok.t.send(vote('ok', 's'))
    await waitFor(() => s.got.some((m) => m.from === 'ok'), 'the good peer still served')
  })
})
