/** Defaults and limits of the WebSocket transport. */

/** Largest frame a node accepts or sends. @default 64 MiB */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
/** Messages waiting per peer while its connection is down or slow. @default 10 000 */
export const DEFAULT_MAX_QUEUED_MESSAGES = 10_000
/** Messages handed to one socket whose write has not completed yet (a slow peer holds this). */
export const SEND_WINDOW = 64
/** First reconnect delay; it doubles per failed attempt, with jitter. @default 50 ms */
export const RECONNECT_BASE_MS = 50
/** Longest reconnect delay. @default 1000 ms */
export const RECONNECT_MAX_MS = 1000
/** A connection that has not finished the handshake in this time is closed. @default 5000 ms */
export const HANDSHAKE_TIMEOUT_MS = 5000
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
