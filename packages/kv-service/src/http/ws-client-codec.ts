/**
 * How WsKvRpc (ws-client-rpc.ts) speaks the RPC protocol (ws-protocol.ts) in the clerk's terms:
 * a KvRequest becomes an RpcRequest, and an RpcAnswer becomes a KvReply (a leader hint naming an
 * endpoint, by id or by address, becomes WRONG_LEADER with that endpoint's name). Pure functions.
 */
import type { KvReply, KvRequest } from '../rpc.js'
import type { RpcAnswer, RpcRequest } from './ws-protocol.js'
import { RPC_OP } from './ws-protocol.js'

/** The RPC request (ws-protocol.ts) that carries `r`. */
export function toRpcRequest(r: KvRequest): RpcRequest {
  switch (r.type) {
    case 'get':
      return { op: RPC_OP.GET, key: r.key }
    case 'open':
      return { op: RPC_OP.OPEN }
    case 'put':
    case 'append':
      return {
        op: r.type === 'put' ? RPC_OP.PUT : RPC_OP.APPEND,
        key: r.key,
        value: r.value,
        clientId: r.clientId,
        seq: r.seq,
      }
  }
}

/** The clerk's reply for answer `a` to `request`; `names`: host → endpoint name, for hints. */
export function toReply(
  request: KvRequest,
  a: RpcAnswer,
  names: ReadonlyMap<string, string>,
): KvReply {
  if (a.ok) {
    if (request.type === 'open' && a.value.length === 0) return { ok: false, error: 'TIMEOUT' }
    return { ok: true, value: request.type === 'put' || request.type === 'append' ? '' : a.value }
  }
  switch (a.code) {
    case 'NOT_LEADER':
    case 'NO_LEADER':
    case 'BUSY':
      return { ok: false, error: 'WRONG_LEADER', leaderHint: hintOf(a.leader, names) }
    case 'STOPPED':
      return { ok: false, error: 'STOPPED' }
    case 'SESSION_EXPIRED':
      return { ok: false, error: 'SESSION_EXPIRED' }
    case 'REQUEST_CONFLICT':
      return { ok: false, error: 'CONFLICT', message: a.message }
    case 'VALUE_TOO_LARGE':
      return { ok: false, error: 'TOO_LARGE', message: a.message }
    case 'KEY_TOO_LARGE':
    case 'EMPTY_KEY':
    case 'EMPTY_VALUE':
    case 'BAD_KEY':
    case 'BAD_VALUE':
    case 'BAD_SESSION':
    case 'BAD_REQUEST':
      return { ok: false, error: 'BAD_REQUEST', message: `${a.code}: ${a.message}` }
    case 'TIMEOUT':
    case 'INTERNAL':
    case undefined: // a code this version does not know
      // No usable answer: the clerk retries.
      return { ok: false, error: 'TIMEOUT' }
  }
}

/** The endpoint a leader hint names (by id, else by address), or null. */
function hintOf(
  leader: { id: string; address: string } | undefined,
  names: ReadonlyMap<string, string>,
): string | null {
  if (leader === undefined) return null
  for (const name of names.values()) if (name === leader.id) return name
  return names.get(leader.address) ?? null
}
