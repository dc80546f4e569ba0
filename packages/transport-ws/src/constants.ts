/** Defaults and limits of the WebSocket transport. */

/** Largest frame a node accepts or sends. @default 64 MiB */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
/** Messages waiting per peer while its connection is down or slow. @default 10 000 */
export const DEFAULT_MAX_QUEUED_MESSAGES = 10_000
/** Bytes of the messages waiting per peer while its connection is down or slow. @default 64 MiB */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024
/** Messages handed to one socket whose write has not completed yet (a slow peer holds this). */
export const SEND_WINDOW = 64
/** First reconnect delay; it doubles per failed attempt, with jitter. @default 50 ms */
export const RECONNECT_BASE_MS = 50
/** Longest reconnect delay. @default 1000 ms */
export const RECONNECT_MAX_MS = 1000
/** A dialer gives up on a connection whose handshake has not finished in this time. @default 5000 ms */
export const HANDSHAKE_TIMEOUT_MS = 5000
/**
 * The listener closes an inbound connection that has not finished the handshake this long after
 * its TCP connection was accepted (HTTP upgrade included). @default 2000 ms
 */
export const PRE_AUTH_TIMEOUT_MS = 2000
/** A refused connection that has not closed this long after its close frame is destroyed. */
export const PRE_AUTH_CLOSE_GRACE_MS = 500
/**
 * Largest WebSocket frame accepted before the handshake completes (a handshake frame is under
 * 600 bytes even with two 256-byte node ids). Larger frames are refused from their header,
 * before any of their payload is buffered. @default 1024 bytes
 */
export const HANDSHAKE_MAX_FRAME_BYTES = 1024
/** Largest HTTP upgrade request head a listener reads (Node's `maxHeaderSize`). */
export const UPGRADE_MAX_HEADER_BYTES = 4096
/** Inbound connections that have not finished the handshake, in total. @default 64 */
export const MAX_UNAUTHENTICATED_CONNECTIONS = 64
/** Inbound connections that have not finished the handshake, per remote address. @default 16 */
export const MAX_UNAUTHENTICATED_PER_ADDRESS = 16
/** Shortest cluster secret accepted (same rule as kv-service's cluster file). */
export const MIN_SECRET_LENGTH = 16
/** Longest node id, in UTF-8 bytes (keeps the hello frame under HANDSHAKE_MAX_FRAME_BYTES). */
export const MAX_NODE_ID_BYTES = 256
/** An authenticated connection is closed after this many malformed messages. @default 3 */
export const MAX_MALFORMED_MESSAGES = 3
/** Version of the handshake and framing; both sides must speak the same one. */
export const PROTOCOL_VERSION = 1

/**
 * WebSocket close codes used by the transport (4000–4999 is the application range). The
 * reason text of the close frame says what happened; both ends log it.
 */
export const CloseCode = {
  /** close() was called (1001 "going away"). */
  GoingAway: 1001,
  /** A frame larger than maxMessageBytes (sent by the ws library itself). */
  TooBig: 1009,
  /** A frame that is not part of the protocol (text frame, bad handshake frame, wrong order). */
  Protocol: 4000,
  /** The dialer claims a node id this node does not know. */
  UnknownNode: 4001,
  /** The dialer wanted another node than the one that answered. */
  WrongNode: 4002,
  /** The proof of the cluster secret did not match (different secrets). */
  AuthFailed: 4003,
  /** The handshake did not finish in time. */
  HandshakeTimeout: 4004,
  /** Too many malformed messages after the handshake. */
  Malformed: 4005,
  /** The two ends speak different protocol versions. */
  Version: 4006,
  /** A newer connection from the same peer replaced this one, or the peer's address changed. */
  Replaced: 4007,
} as const
