/**
 * The contract of `ShardRpc` over HTTP, shared by the caller (rpc-http-client.ts) and the node
 * that answers (rpc-http-server.ts): endpoint names, the path, the header, the size bounds and
 * the typed errors. Types, constants and pure helpers only.
 *
 * Endpoint names are `<group>@<node>`: "ctrler@n1" is the controller replica on node n1,
 * "g101@n2" group 101's replica on node n2. A node serves every endpoint it hosts at
 * `POST /v1/shard/rpc/<endpoint>`; the body is the msgpack-encoded request, the 200 answer the
 * msgpack-encoded reply. Every call carries the cluster secret (`Raftkit-Secret`), as the peer
 * transport's handshake does.
 */
import { SECRET_HEADER } from '@raftkit/kv-service'

export const RPC_PATH = '/v1/shard/rpc/'
export const RPC_SECRET_HEADER = SECRET_HEADER
export const RPC_CONTENT_TYPE = 'application/msgpack'

/**
 * Largest request body a node reads: a client write carries at most a 1 MiB value (plus its
 * key and ids), every other request is a few hundred bytes. Larger bodies are refused with 413
 * before they are read in full.
 */
export const DEFAULT_MAX_RPC_REQUEST_BYTES = 2 * 1024 * 1024
/**
 * Largest reply, in both directions: a migration reply carries one whole shard (its keys,
 * values and session entries; one shard per pull). A node refuses to send more (413
 * REPLY_TOO_LARGE) and a caller stops reading past it (ShardRpcTooLargeError), so neither side
 * holds more than this per call. The receiving group installs the shard through one log entry,
 * so the bound must also stay below the peer transport's `limits.maxMessageBytes` (16 MiB).
 */
export const DEFAULT_MAX_RPC_REPLY_BYTES = 8 * 1024 * 1024

const NAME = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})@([A-Za-z0-9][A-Za-z0-9._-]{0,63})$/

/** "g101@n2" from group "g101" and node "n2". */
export function endpointName(group: string, node: string): string {
  return `${group}@${node}`
}

/** The group and node of an endpoint name; undefined when it is not one. */
export function parseEndpoint(name: string): { group: string; node: string } | undefined {
  const m = NAME.exec(name)
  return m ? { group: m[1] as string, node: m[2] as string } : undefined
}

/** The multiraft group id of replica group `gid` ("g101"). */
export function groupIdOf(gid: number): string {
  return `g${gid}`
}

export const CTRLER_GROUP = 'ctrler'

/** A message over a size bound: nothing was sent (or the rest was not read). */
export class ShardRpcTooLargeError extends Error {
  override readonly name = 'ShardRpcTooLargeError'
  constructor(
    readonly what: 'request' | 'reply',
    readonly bytes: number,
    readonly limit: number,
    readonly to: string,
  ) {
    super(
      `${what} ${what === 'request' ? 'to' : 'from'} ${to} is ${bytes > limit ? `more than ${limit}` : bytes} bytes; the limit is ${limit}`,
    )
  }
}

/** The node refused the cluster secret (a misconfigured node or caller; retrying will not help). */
export class ShardRpcAuthError extends Error {
  override readonly name = 'ShardRpcAuthError'
  constructor(readonly to: string) {
    super(`${to} refused the cluster secret`)
  }
}

/** The answer was not a reply (bad status, not msgpack): a broken or foreign server. */
export class ShardRpcProtocolError extends Error {
  override readonly name = 'ShardRpcProtocolError'
  constructor(
    readonly to: string,
    why: string,
  ) {
    super(`bad answer from ${to}: ${why}`)
  }
}
