/**
 * The HTTP protocol of a raftkit node, shared by the server (http/server.ts) and the client
 * (http/client-rpc.ts, the chaos monkey, the CLI): paths, header names, the error body and its
 * codes, the status body and the fault request. Types and constants only — no node:http, no
 * server code — so a client never imports the server.
 */
import type { NodeId } from '@raftkit/raft-core'

/** Paths (keys go after KV_PATH, percent-encoded; appends end in APPEND_SUFFIX). */
export const KV_PATH = '/v1/kv/'
export const APPEND_SUFFIX = '/append'
export const SESSIONS_PATH = '/v1/sessions'
export const STATUS_PATH = '/v1/status'
export const METRICS_PATH = '/metrics'
export const FAULTS_PATH = '/v1/admin/faults'
/** GET: a backup file (backup-format.ts), answered by the leader (needs the cluster secret). */
export const BACKUP_PATH = '/v1/admin/backup'

/** Header names (lower case, as node:http reports them). */
export const CLIENT_ID_HEADER = 'raftkit-client-id'
export const REQUEST_SEQ_HEADER = 'raftkit-request-seq'
export const SECRET_HEADER = 'raftkit-secret'
/** Set on redirects and on 503 answers: the leader's node id, when known. */
export const LEADER_HEADER = 'raftkit-leader'
/** On a backup answer: the log index and term the backup reflects. */
export const BACKUP_INDEX_HEADER = 'raftkit-backup-index'
export const BACKUP_TERM_HEADER = 'raftkit-backup-term'

/**
 * Error codes of the JSON error body and the HTTP status each comes with. A client decides on
 * the code; the status is for tools that only see statuses.
 */
export const HTTP_ERRORS = {
  /** A redirect to the leader (Location, Raftkit-Leader). */
  NOT_LEADER: 307,
  BAD_KEY: 400,
  EMPTY_KEY: 400,
  EMPTY_VALUE: 400,
  BAD_VALUE: 400,
  BAD_SESSION: 400,
  BAD_JSON: 400,
  BAD_FAULTS: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  KEY_NOT_FOUND: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  /** The request body did not arrive within http.bodyTimeoutMs. */
  REQUEST_TIMEOUT: 408,
  /** A different request under an already-used (client id, seq): nothing was executed. */
  REQUEST_CONFLICT: 409,
  /** Membership admin: another membership change (or a leadership transfer) is under way. */
  CHANGE_IN_PROGRESS: 409,
  /** Membership admin: the node named is not a member (or not a learner, for promote). */
  UNKNOWN_NODE: 404,
  /** Membership admin: the change asked for is not allowed (e.g. removing the last voter). */
  BAD_MEMBERSHIP: 400,
  /** Membership admin: the leadership transfer did not complete (nothing else changed). */
  TRANSFER_FAILED: 409,
  /**
   * The client's session is unknown (never opened, or expired): this request was not executed
   * now, and whether an earlier attempt of it ran can no longer be known.
   */
  SESSION_EXPIRED: 410,
  KEY_TOO_LARGE: 413,
  VALUE_TOO_LARGE: 413,
  INTERNAL: 500,
  NO_LEADER: 503,
  STOPPED: 503,
  /** Too many unfinished request bodies held (http.maxPendingBodyBytes): retry shortly. */
  BUSY: 503,
  TIMEOUT: 504,
} as const

export type HttpErrorCode = keyof typeof HTTP_ERRORS

/** JSON body of every error answer. */
export interface HttpErrorBody {
  /** An HttpErrorCode (a client must tolerate codes it does not know). */
  readonly error: string
  readonly message: string
}

/** Server-issued client ids start with this (followed by 22 base64url characters). */
export const ISSUED_ID_PREFIX = 's-'

/** JSON body of a successful POST /v1/sessions (201). */
export interface OpenSessionBody {
  /** Server-issued, unguessable: send it as Raftkit-Client-Id with seq 1, 2, 3, ... */
  readonly clientId: string
}

/** What GET /v1/status answers. */
export interface NodeStatus {
  readonly id: NodeId
  readonly role: string
  readonly term: number
  readonly leader: NodeId | null
  /** The leader's HTTP address ("host:port"), when known. */
  readonly leaderHttp: string | null
  readonly commitIndex: number
  readonly appliedIndex: number
  readonly firstIndex: number
  readonly lastIndex: number
  readonly snapshotIndex: number
  readonly snapshotTerm: number
  /** Per peer, on the leader: replication progress. */
  readonly peers: Readonly<Record<NodeId, { match: number; next: number; state: string }>>
  readonly kv: { readonly appliedIndex: number; readonly keys: number; readonly sessions: number }
}

/** What POST /v1/admin/faults accepts (a JSON object; every field optional). */
export interface FaultRequest {
  /** Remove every fault. Applied first. */
  readonly heal?: true
  /** Block every peer. */
  readonly isolate?: true
  /** Stop blocking these peers (true: all). */
  readonly unblock?: readonly NodeId[] | true
  /** Drop all traffic to and from these peers. */
  readonly block?: readonly NodeId[]
  /** Probability in [0, 1] of dropping each message. */
  readonly drop?: number
  /** Delay each message by a random time in [min, max] ms (max at most MAX_FAULT_DELAY_MS). */
  readonly delayMs?: readonly [number, number]
}

/** The longest delay a fault request may set. */
export const MAX_FAULT_DELAY_MS = 60_000
/** The largest fault request body. */
export const MAX_FAULT_REQUEST_BYTES = 16 * 1024
