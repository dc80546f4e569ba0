/**
 * Errors of the key/value service. Like raft-core's errors they carry a stable `code`; match on
 * it, not on the message. Timeouts and stops reuse raft-core's TimeoutError and StoppedError.
 */
export type KvErrorCode =
  | 'KV_MALFORMED_COMMAND'
  | 'KV_MALFORMED_SNAPSHOT'
  | 'KV_MALFORMED_REQUEST'
  | 'KV_SESSION_EXPIRED'
  | 'KV_BAD_REQUEST'
  | 'KV_CONFIG'
  | 'KV_TLS'

export class KvError extends Error {
  readonly code: KvErrorCode
  constructor(code: KvErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** A log entry that is not a well-formed kv command. It is skipped; no state changes. */
export class MalformedCommandError extends KvError {
  constructor(reason: string) {
    super('KV_MALFORMED_COMMAND', `malformed kv command: ${reason}`)
  }
}

/** Snapshot bytes that are not a kv-service snapshot. The state machine keeps its old state. */
export class MalformedSnapshotError extends KvError {
  constructor(reason: string) {
    super('KV_MALFORMED_SNAPSHOT', `malformed kv snapshot: ${reason}`)
  }
}

/** An RPC request or reply that is not well formed (a bug or a foreign peer). */
export class MalformedRequestError extends KvError {
  constructor(reason: string) {
    super('KV_MALFORMED_REQUEST', `malformed kv request: ${reason}`)
  }
}

/**
 * The client's session was expired by the cluster (it was idle for longer than the session
 * expiry window) while this request may already have been executed: its outcome is unknown.
 * The client has opened a new session; later requests work normally.
 */
export class SessionExpiredError extends KvError {
  readonly clientId: string
  constructor(clientId: string) {
    super(
      'KV_SESSION_EXPIRED',
      `session ${clientId} expired while a retried request was outstanding: its outcome is unknown. ` +
        'Read the key to find out, then retry if needed (later requests use a new session)',
    )
    this.clientId = clientId
  }
}

/** The server refused the request as invalid (not retried: fix the arguments). */
export class BadRequestError extends KvError {
  constructor(message: string) {
    super('KV_BAD_REQUEST', `bad request: ${message}`)
  }
}

/** An option the service or the client cannot work with. `field` names it. */
export class KvConfigError extends KvError {
  readonly field: string
  constructor(field: string, message: string) {
    super('KV_CONFIG', `invalid option "${field}": ${message}`)
    this.field = field
  }
}

/**
 * A TLS connection to a server failed for a reason retrying does not fix: its certificate is
 * not trusted (give the cluster's CA: `tls.caFile`, `--ca`) or does not name the address dialed,
 * or the server does not speak TLS (an http:// server dialed with https://). Not retried.
 */
export class TlsError extends KvError {
  /** The server dialed ("host:port"). */
  readonly server: string
  /** Node's error code, e.g. SELF_SIGNED_CERT_IN_CHAIN or ERR_TLS_CERT_ALTNAME_INVALID. */
  readonly reason: string
  constructor(server: string, reason: string, message: string) {
    super('KV_TLS', `TLS connection to ${server} refused: ${message}`)
    this.server = server
    this.reason = reason
  }
}
