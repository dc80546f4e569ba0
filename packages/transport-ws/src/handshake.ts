/**
 * The connection handshake: a challenge–response over both nonces and both node ids, keyed
 * with the shared cluster secret (HMAC-SHA256). The secret itself never crosses the wire.
 *
 *   dialer → listener   hello     { version, from, to, nonce: 32 random bytes }
 *   listener → dialer   challenge { nonce: 32 random bytes }
 *   dialer → listener   auth      { proof: HMAC(secret, "dialer", ids, nonces) }
 *   listener → dialer   welcome   { proof: HMAC(secret, "listener", ids, nonces) }
 *
 * The dialer proves first, so a stranger who connects learns nothing computed from the secret.
 * The role label keeps one side's proof from being replayed as the other's. After `welcome`
 * the dialer sends Raft messages on the connection; the listener sends nothing more.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { MalformedMessageError, packValue, unpackValue } from '@raftkit/raft-core'
import type { NodeId } from '@raftkit/raft-core'
import { MAX_NODE_ID_BYTES, PROTOCOL_VERSION } from './constants.js'

export const NONCE_BYTES = 32
const PROOF_BYTES = 32

export interface Hello {
  readonly kind: 'hello'
  readonly version: number
  readonly from: NodeId
  readonly to: NodeId
  readonly nonce: Uint8Array
}
export interface Challenge {
  readonly kind: 'challenge'
  readonly nonce: Uint8Array
}
export interface Auth {
  readonly kind: 'auth'
  readonly proof: Uint8Array
}
export interface Welcome {
  readonly kind: 'welcome'
  readonly proof: Uint8Array
}
export type HandshakeFrame = Hello | Challenge | Auth | Welcome

/** Who computes a proof: the side that opened the connection or the side that accepted it. */
export type Role = 'dialer' | 'listener'

/** What both proofs are computed over. */
export interface Session {
  readonly dialer: NodeId
  readonly listener: NodeId
  readonly dialerNonce: Uint8Array
  readonly listenerNonce: Uint8Array
}

export function newNonce(): Uint8Array {
  return randomBytes(NONCE_BYTES)
}

/** HMAC-SHA256(secret, role ‖ ids ‖ nonces); fields are length-prefixed so none can bleed. */
export function proof(secret: string, role: Role, s: Session): Uint8Array {
  const mac = createHmac('sha256', secret)
  for (const part of [
    'raftkit-ws',
    String(PROTOCOL_VERSION),
    role,
    s.dialer,
    s.listener,
    Buffer.from(s.dialerNonce).toString('base64'),
    Buffer.from(s.listenerNonce).toString('base64'),
  ]) {
    const bytes = Buffer.from(part, 'utf8')
    const len = Buffer.alloc(4)
    len.writeUInt32BE(bytes.length)
    mac.update(len)
    mac.update(bytes)
  }
  return mac.digest()
}

/** Constant-time comparison of a received proof with the expected one. */
export function proofMatches(expected: Uint8Array, received: Uint8Array): boolean {
  return received.byteLength === expected.byteLength && timingSafeEqual(expected, received)
}

export function encodeFrame(frame: HandshakeFrame): Uint8Array {
  return packValue(frame)
}

function bytesField(o: Record<string, unknown>, key: string, length: number): Uint8Array {
  const v = o[key]
  if (!(v instanceof Uint8Array) || v.byteLength !== length)
    throw new MalformedMessageError(`handshake field "${key}" must be ${length} bytes`)
  return v
}

function idField(o: Record<string, unknown>, key: string): NodeId {
  const v = o[key]
  if (typeof v !== 'string' || v.length === 0 || Buffer.byteLength(v, 'utf8') > MAX_NODE_ID_BYTES)
    throw new MalformedMessageError(`handshake field "${key}" must be a node id`)
  return v
}

/** Decodes and checks one handshake frame; throws MalformedMessageError for anything else. */
export function decodeFrame(bytes: Uint8Array): HandshakeFrame {
  let raw: unknown
  try {
    raw = unpackValue(bytes)
  } catch (e) {
    throw new MalformedMessageError(`handshake frame is not valid msgpack (${String(e)})`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new MalformedMessageError('handshake frame is not a map')
  const o = raw as Record<string, unknown>
  switch (o['kind']) {
    case 'hello': {
      const version = o['version']
      if (typeof version !== 'number' || !Number.isSafeInteger(version))
        throw new MalformedMessageError('handshake field "version" must be an integer')
      return {
        kind: 'hello',
        version,
        from: idField(o, 'from'),
        to: idField(o, 'to'),
        nonce: bytesField(o, 'nonce', NONCE_BYTES),
      }
    }
    case 'challenge':
      return { kind: 'challenge', nonce: bytesField(o, 'nonce', NONCE_BYTES) }
    case 'auth':
      return { kind: 'auth', proof: bytesField(o, 'proof', PROOF_BYTES) }
    case 'welcome':
      return { kind: 'welcome', proof: bytesField(o, 'proof', PROOF_BYTES) }
    default:
      throw new MalformedMessageError(`unknown handshake frame kind ${JSON.stringify(o['kind'])}`)
  }
}
