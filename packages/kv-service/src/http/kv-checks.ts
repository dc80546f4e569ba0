/**
 * The checks a key/value request gets on either front end of a node — the HTTP API
 * (http/server.ts, http/request.ts) and the WebSocket RPC (http/ws-server.ts) — so both refuse
 * the same inputs with the same codes: the key's size, the value's bytes, the session's client
 * id and seq, and leadership. Each throws an HttpError; none allocates on success.
 */
import type { NodeId } from '@raftkit/raft-core'
import { INTERNAL_ID_PREFIX } from './internal-session.js'
import { HttpError } from './io.js'

/**
 * Strict UTF-8 (a request body that is not valid UTF-8 is refused); stateless, so shared.
 * `ignoreBOM`: a leading byte-order mark is part of the value and is kept (by default
 * TextDecoder drops it, which would change the stored bytes).
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** A key of `bytes` UTF-8 bytes: not empty, at most `maxKeyBytes`. */
export function checkKeySize(bytes: number, maxKeyBytes: number): void {
  if (bytes === 0) throw new HttpError('EMPTY_KEY', 'the key must not be empty')
  if (bytes > maxKeyBytes)
    throw new HttpError(
      'KEY_TOO_LARGE',
      `the key is ${bytes} bytes; the limit (limits.maxKeyBytes) is ${maxKeyBytes}`,
    )
}

/** A write's value: not empty, valid UTF-8 (as the string it stands for). */
export function decodeValue(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new HttpError('EMPTY_VALUE', 'the value must not be empty')
  try {
    return UTF8.decode(bytes)
  } catch {
    throw new HttpError('BAD_VALUE', 'the value must be valid UTF-8')
  }
}

/**
 * A write's session: a client id of 1-128 printable ASCII characters not in the server's own
 * namespace, and a positive integer seq. `idName` and `seqName` name the fields in the message
 * (the HTTP headers, or the RPC frame's fields).
 */
export function checkSession(clientId: string, seq: number, idName: string, seqName: string): void {
  if (!isClientId(clientId))
    throw new HttpError('BAD_SESSION', `${idName} must be 1-128 printable ASCII characters`)
  if (!(Number.isSafeInteger(seq) && seq >= 1))
    throw new HttpError('BAD_SESSION', `${seqName} must be a positive integer`)
  if (clientId.startsWith(INTERNAL_ID_PREFIX))
    throw new HttpError(
      'BAD_SESSION',
      `client ids starting with "${INTERNAL_ID_PREFIX}" are reserved`,
    )
}

/** What requireLeader asks of the node. */
export interface LeaderView {
  isLeader(): boolean
  raftStatus(): { readonly role: string; readonly leader: NodeId | null } | undefined
}

/**
 * Throws `refuse(leader)` unless this node currently believes it leads. A node that knows no
 * leader passes the request on: KvServer holds it while this node has just stepped down (a
 * leadership transfer) and names the new leader, or refuses it (503). A stopped node: STOPPED.
 */
export function requireLeader(kv: LeaderView, refuse: (leader: NodeId) => HttpError): void {
  // The common case without building a status object (progress, membership) per request.
  if (kv.isLeader()) return
  const s = kv.raftStatus()
  if (!s) throw new HttpError('STOPPED', 'this node is shutting down; try another node')
  if (s.role !== 'leader' && s.leader !== null) throw refuse(s.leader)
}

/** /^[\x21-\x7e]{1,128}$/: 1-128 printable ASCII characters. */
export function isClientId(s: string): boolean {
  if (s.length < 1 || s.length > 128) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x21 || c > 0x7e) return false
  }
  return true
}
