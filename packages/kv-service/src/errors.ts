/**
 * Errors of the key/value service. Like raft-core's errors they carry a stable `code`; match on
 * it, not on the message. Timeouts and stops reuse raft-core's TimeoutError and StoppedError.
 */
export type KvErrorCode =
  | 'KV_MALFORMED_COMMAND'
  | 'KV_MALFORMED_SNAPSHOT'
  | 'KV_MALFORMED_REQUEST'
  | 'KV_OUTCOME_UNKNOWN'
  | 'KV_BAD_REQUEST'
  | 'KV_REQUEST_CONFLICT'
  | 'KV_CONFIG'
  | 'KV_TLS'
  | 'KV_BACKUP_FORMAT'
  | 'KV_RESTORE_REFUSED'
  | 'KV_DATA_DIR'

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
 * The outcome of a write is unknown and cannot be found out from the session any more: its
 * session expired (it was idle for longer than the session expiry window, in log entries)
 * while the write was being retried, so an earlier attempt may or may not have run. The
 * cluster refused to run it again (that could run it twice). Read the key to find out, then
 * retry if needed; the client has opened a new session and later requests work normally.
 */
export class OutcomeUnknownError extends KvError {
  /** The expired session. */
  readonly clientId: string
  /** Why the outcome is unknown. */
  readonly reason: 'session-expired'
  constructor(clientId: string) {
    super(
      'KV_OUTCOME_UNKNOWN',
      `the outcome of this write is unknown: session ${clientId} expired while it was being retried, so an earlier attempt may or may not have run (it was not run again). ` +
        'Read the key to find out, then retry if needed (later requests use a new session)',
    )
    this.clientId = clientId
    this.reason = 'session-expired'
  }
}

/** The server refused the request as invalid (not retried: fix the arguments). */
export class BadRequestError extends KvError {
  constructor(message: string) {
    super('KV_BAD_REQUEST', `bad request: ${message}`)
  }
}

/**
 * The cluster refused a write because its (client id, seq) was already used by a different
 * request: the client's sequence numbers are wrong (a restarted counter, two clients sharing an
 * id). Nothing was executed; not retried.
 */
export class RequestConflictError extends KvError {
  constructor(message: string) {
    super('KV_REQUEST_CONFLICT', `request conflict: ${message}`)
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

/** What is wrong with bytes that were to be a backup file (backup-format.ts). */
export type BackupFormatProblem =
  /** Shorter than its header says (a cut download, a disk that filled up). */
  | 'truncated'
  /** Does not start with the backup magic: another kind of file. */
  | 'foreign'
  /** A backup of a format version this build does not know. */
  | 'version'
  /** The checksum does not match the bytes: damaged in storage or transit. */
  | 'corrupt'
  /** Longer than its header says (bytes appended after the checksum). */
  | 'trailing'
  /** The checksum matches, yet the metadata or the state snapshot does not decode. */
  | 'malformed'

/**
 * Bytes that are not a usable backup. Decoding never returns a partial result: it checks the
 * header, the length and the checksum before it reads anything else.
 */
export class BackupFormatError extends KvError {
  readonly problem: BackupFormatProblem
  constructor(problem: BackupFormatProblem, message: string) {
    super('KV_BACKUP_FORMAT', `not a usable raftkit backup (${problem}): ${message}`)
    this.problem = problem
  }
}

/**
 * `raftkit backup restore` refused to write a node's data directory (it already holds files,
 * e.g. Raft state of a running or earlier cluster). Nothing was written anywhere.
 */
export class RestoreRefusedError extends KvError {
  /** The data directory refused. */
  readonly dataDir: string
  constructor(dataDir: string, message: string) {
    super('KV_RESTORE_REFUSED', `restore refused: ${dataDir}: ${message}`)
    this.dataDir = dataDir
  }
}

/** Why `raftkit backup save --data-dir` cannot read a directory. */
export type DataDirProblem =
  /** There is nothing at the path, or it is not a directory. */
  | 'missing'
  /** The directory is empty, or its log holds no Raft state yet. */
  | 'empty'
  /** It holds files, but no raftkit write-ahead log: not a node's data directory. */
  | 'foreign'
  /** Its write-ahead log or snapshot is damaged (the file and byte are named). */
  | 'corrupt'
  /** A running process (the node) holds the directory's lock. */
  | 'locked'

/**
 * A node's data directory that `raftkit backup save --data-dir` refused to read. Nothing was
 * written: neither the backup file nor anything in the directory.
 */
export class DataDirError extends KvError {
  /** The data directory, absolute. */
  readonly dataDir: string
  readonly problem: DataDirProblem
  constructor(dataDir: string, problem: DataDirProblem, message: string) {
    super('KV_DATA_DIR', `cannot back up ${dataDir} (${problem}): ${message}`)
    this.dataDir = dataDir
    this.problem = problem
  }
}
