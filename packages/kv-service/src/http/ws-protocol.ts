/**
 * The WebSocket RPC of a raftkit node (GET /v1/rpc upgraded on the node's HTTP(S) port), shared
 * by the server (http/ws-server.ts) and the client (http/ws-client-rpc.ts): the path, the frame
 * layouts, the error codes and the bounds. A pure leaf (Buffer only, no `ws`, no server code).
 *
 * Every message is one binary frame; many requests may be in flight on one connection, each
 * answered once, in any order, by a frame that carries its request id. Integers are big-endian.
 *
 *   request   op u8 · id u32 · body
 *     GET     key length u16 · key (UTF-8)
 *     PUT     seq f64 (a positive safe integer) · client id length u8 · client id (printable
 *     APPEND    ASCII, 1-128) · key length u16 · key (UTF-8) · value (UTF-8, the rest)
 *     OPEN    (nothing: the server issues the session id)
 *   answer    status u8 · id u32 · body
 *     OK      GET: the value ("" when the key is missing); OPEN: the issued client id;
 *             PUT, APPEND: nothing
 *     error   leader id length u8 · leader id · leader address length u8 · leader address
 *             ("host:port"; both empty unless the code is NOT_LEADER or NO_LEADER and a
 *             leader is known) · message (UTF-8, the rest)
 *
 * Error codes are the HTTP API's (protocol.ts HTTP_ERRORS), same names and meaning, numbered
 * here. A frame the server cannot read an id from, or a text frame, closes the connection with
 * RPC_CLOSE.PROTOCOL; a frame over the server's largest request frame (announced in the
 * upgrade answer's Raftkit-Rpc-Max-Frame header) closes it with 1009 before it is buffered.
 */
import type { HttpErrorCode } from './protocol.js'

export const RPC_PATH = '/v1/rpc'
/** The upgrade answer's header: the largest request frame (bytes) this server accepts. */
export const MAX_FRAME_HEADER = 'raftkit-rpc-max-frame'

export const RPC_OP = { GET: 1, PUT: 2, APPEND: 3, OPEN: 4 } as const
export type RpcOp = (typeof RPC_OP)[keyof typeof RPC_OP]

/** The answer's status byte: 0 is success, anything else an error code below. */
export const RPC_OK = 0

/** Wire numbers of the error codes an RPC answer can carry (stable: never renumber). */
export const RPC_ERRORS = {
  NOT_LEADER: 1,
  NO_LEADER: 2,
  STOPPED: 3,
  /** Too many requests in flight on this connection (limits.rpcMaxInFlight): retry shortly. */
  BUSY: 4,
  TIMEOUT: 5,
  SESSION_EXPIRED: 6,
  REQUEST_CONFLICT: 7,
  VALUE_TOO_LARGE: 8,
  KEY_TOO_LARGE: 9,
  EMPTY_KEY: 10,
  EMPTY_VALUE: 11,
  BAD_KEY: 12,
  BAD_VALUE: 13,
  BAD_SESSION: 14,
  BAD_REQUEST: 15,
  INTERNAL: 16,
} as const satisfies Partial<Record<HttpErrorCode, number>>

export type RpcErrorCode = keyof typeof RPC_ERRORS

const CODE_NAMES: ReadonlyMap<number, RpcErrorCode> = new Map(
  Object.entries(RPC_ERRORS).map(([name, n]) => [n, name as RpcErrorCode]),
)

/** The error code numbered `n`, or undefined for a number this version does not know. */
export function rpcErrorName(n: number): RpcErrorCode | undefined {
  return CODE_NAMES.get(n)
}

/** Close codes the server uses (besides 1001 going away, 1009 too big). */
export const RPC_CLOSE = {
  /** A frame that is not a request: text, shorter than op + id, unknown op. */
  PROTOCOL: 1002,
  /** The connection sent nothing and had nothing in flight for limits.rpcIdleTimeoutMs. */
  IDLE: 4000,
} as const

export const MAX_CLIENT_ID_BYTES = 128
/** A frame's op and id. */
export const FRAME_HEAD = 5
/** The largest request frame's bytes besides its key and value. */
export const REQUEST_OVERHEAD = FRAME_HEAD + 8 + 1 + MAX_CLIENT_ID_BYTES + 2

/** The largest request frame a server with these limits accepts. */
export function maxRequestFrame(maxKeyBytes: number, maxValueBytes: number): number {
  return REQUEST_OVERHEAD + maxKeyBytes + maxValueBytes
}

/** What a request frame carries, before its strings are checked (ws-server.ts does that). */
export type RawRpcRequest =
  | { readonly op: typeof RPC_OP.GET; readonly id: number; readonly key: Buffer }
  | {
      readonly op: typeof RPC_OP.PUT | typeof RPC_OP.APPEND
      readonly id: number
      readonly seq: number
      readonly clientId: Buffer
      readonly key: Buffer
      readonly value: Buffer
    }
  | { readonly op: typeof RPC_OP.OPEN; readonly id: number }

/** A frame that is not a request at all (no id to answer): the connection is closed. */
export class RpcFrameError extends Error {}

/**
 * A request frame's fields; the strings stay bytes (views of `frame`). Throws RpcFrameError
 * when there is no id to answer, RpcRequestError (with the id) when the rest is malformed.
 */
export function decodeRequest(frame: Buffer): RawRpcRequest {
  if (frame.length < FRAME_HEAD) throw new RpcFrameError(`a ${frame.length}-byte frame`)
  const op = frame[0] as number
  const id = frame.readUInt32BE(1)
  if (op === RPC_OP.OPEN) {
    if (frame.length !== FRAME_HEAD) throw new RpcRequestError(id, 'an OPEN request has no body')
    return { op, id }
  }
  if (op === RPC_OP.GET) {
    const key = keyAt(frame, FRAME_HEAD, id)
    if (FRAME_HEAD + 2 + key.length !== frame.length)
      throw new RpcRequestError(id, 'bytes after the key of a GET request')
    return { op, id, key }
  }
  if (op !== RPC_OP.PUT && op !== RPC_OP.APPEND) throw new RpcFrameError(`unknown op ${op}`)
  if (frame.length < FRAME_HEAD + 9) throw new RpcRequestError(id, 'the request is cut short')
  const seq = frame.readDoubleBE(FRAME_HEAD)
  const idLength = frame[FRAME_HEAD + 8] as number
  const at = FRAME_HEAD + 9 + idLength
  if (at > frame.length) throw new RpcRequestError(id, 'the client id is cut short')
  const clientId = frame.subarray(FRAME_HEAD + 9, at)
  const key = keyAt(frame, at, id)
  return { op, id, seq, clientId, key, value: frame.subarray(at + 2 + key.length) }
}

/** A request frame with an id whose body is malformed: answered BAD_REQUEST. */
export class RpcRequestError extends Error {
  constructor(
    readonly id: number,
    message: string,
  ) {
    super(message)
  }
}

function keyAt(frame: Buffer, at: number, id: number): Buffer {
  if (at + 2 > frame.length) throw new RpcRequestError(id, 'the key length is cut short')
  const end = at + 2 + frame.readUInt16BE(at)
  if (end > frame.length) throw new RpcRequestError(id, 'the key is cut short')
  return frame.subarray(at + 2, end)
}

/** What a client sends: writes carry their session (client id, seq). */
export type RpcRequest =
  | { readonly op: typeof RPC_OP.GET; readonly key: string }
  | {
      readonly op: typeof RPC_OP.PUT | typeof RPC_OP.APPEND
      readonly key: string
      readonly value: string
      readonly clientId: string
      readonly seq: number
    }
  | { readonly op: typeof RPC_OP.OPEN }

/**
 * The frame of request `id`. Throws RangeError for what no frame can carry (a key over 65 535
 * bytes, a client id that is not 1-128 printable ASCII characters).
 */
export function encodeRequest(id: number, r: RpcRequest): Buffer {
  if (r.op === RPC_OP.OPEN) return head(Buffer.allocUnsafe(FRAME_HEAD), r.op, id)
  const keyBytes = Buffer.byteLength(r.key)
  if (keyBytes > 0xffff) throw new RangeError(`a ${keyBytes}-byte key does not fit a frame`)
  if (r.op === RPC_OP.GET) {
    const f = head(Buffer.allocUnsafe(FRAME_HEAD + 2 + keyBytes), r.op, id)
    f.writeUInt16BE(keyBytes, FRAME_HEAD)
    f.write(r.key, FRAME_HEAD + 2, 'utf8')
    return f
  }
  const idBytes = r.clientId.length
  if (idBytes < 1 || idBytes > MAX_CLIENT_ID_BYTES || !/^[\x21-\x7e]*$/.test(r.clientId))
    throw new RangeError('a client id must be 1-128 printable ASCII characters')
  const at = FRAME_HEAD + 9 + idBytes
  const f = Buffer.allocUnsafe(at + 2 + keyBytes + Buffer.byteLength(r.value))
  head(f, r.op, id)
  f.writeDoubleBE(r.seq, FRAME_HEAD)
  f[FRAME_HEAD + 8] = idBytes
  f.write(r.clientId, FRAME_HEAD + 9, 'latin1')
  f.writeUInt16BE(keyBytes, at)
  f.write(r.key, at + 2, 'utf8')
  f.write(r.value, at + 2 + keyBytes, 'utf8')
  return f
}

function head(f: Buffer, op: number, id: number): Buffer {
  f[0] = op
  f.writeUInt32BE(id, 1)
  return f
}

/** A success answer to request `id` carrying `value` (a string, "" for none). */
export function encodeOk(id: number, value: string): Buffer {
  if (value.length === 0) return head(Buffer.allocUnsafe(FRAME_HEAD), RPC_OK, id)
  const f = Buffer.allocUnsafe(FRAME_HEAD + Buffer.byteLength(value))
  head(f, RPC_OK, id)
  f.write(value, FRAME_HEAD, 'utf8')
  return f
}

/** The leader an error answer names (NOT_LEADER, NO_LEADER). */
export interface RpcLeaderHint {
  readonly id: string
  /** Its HTTP address ("host:port"); "" when unknown. */
  readonly address: string
}

/** An error answer to request `id`. Hint fields longer than 255 bytes are left out. */
export function encodeError(
  id: number,
  code: RpcErrorCode,
  message: string,
  leader?: RpcLeaderHint,
): Buffer {
  const leaderId = leader !== undefined && Buffer.byteLength(leader.id) <= 255 ? leader.id : ''
  const address = leaderId !== '' && Buffer.byteLength(leader?.address ?? '') <= 255
  const leaderAddress = address ? (leader as RpcLeaderHint).address : ''
  const a = Buffer.byteLength(leaderId)
  const b = Buffer.byteLength(leaderAddress)
  const f = Buffer.allocUnsafe(FRAME_HEAD + 2 + a + b + Buffer.byteLength(message))
  head(f, RPC_ERRORS[code], id)
  f[FRAME_HEAD] = a
  f.write(leaderId, FRAME_HEAD + 1, 'utf8')
  f[FRAME_HEAD + 1 + a] = b
  f.write(leaderAddress, FRAME_HEAD + 2 + a, 'utf8')
  f.write(message, FRAME_HEAD + 2 + a + b, 'utf8')
  return f
}

/** An answer as the client reads it. */
export type RpcAnswer =
  | { readonly id: number; readonly ok: true; readonly value: string }
  | {
      readonly id: number
      readonly ok: false
      /** undefined: a code this version does not know. */
      readonly code: RpcErrorCode | undefined
      readonly message: string
      readonly leader: RpcLeaderHint | undefined
    }

/** Reads an answer frame; throws RpcFrameError when it is not one. */
export function decodeAnswer(frame: Buffer): RpcAnswer {
  if (frame.length < FRAME_HEAD) throw new RpcFrameError(`a ${frame.length}-byte answer`)
  const status = frame[0] as number
  const id = frame.readUInt32BE(1)
  if (status === RPC_OK) return { id, ok: true, value: frame.toString('utf8', FRAME_HEAD) }
  if (frame.length < FRAME_HEAD + 2) throw new RpcFrameError('an error answer cut short')
  const a = frame[FRAME_HEAD] as number
  const bAt = FRAME_HEAD + 1 + a
  if (bAt >= frame.length) throw new RpcFrameError('an error answer cut short')
  const b = frame[bAt] as number
  const end = bAt + 1 + b
  if (end > frame.length) throw new RpcFrameError('an error answer cut short')
  const leaderId = frame.toString('utf8', FRAME_HEAD + 1, bAt)
  return {
    id,
    ok: false,
    code: rpcErrorName(status),
    message: frame.toString('utf8', end),
    leader:
      leaderId === '' ? undefined : { id: leaderId, address: frame.toString('utf8', bAt + 1, end) },
  }
}
