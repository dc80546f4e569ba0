/**
 * @packageDocumentation
 * raftkit's real network: a Transport over WebSocket (the `ws` package). Each node listens on
 * a host/port and keeps one authenticated connection per peer (HMAC challenge–response over a
 * shared cluster secret, never sent), reconnects with backoff, bounds what it queues for a
 * slow or dead peer, optionally serves wss:// with given certificate files, and exposes the
 * same fault controls as transport-memory so the conformance suite runs over real sockets.
 *
 * @example
 * ```ts
 * import { createWsTransport } from '@raftkit/transport-ws'
 *
 * const a = await createWsTransport({ id: 'a', listen: { host: '127.0.0.1', port: 0 }, peers: {}, secret: 'a long random cluster secret' })
 * const b = await createWsTransport({ id: 'b', listen: { host: '127.0.0.1', port: 0 }, peers: { a: `127.0.0.1:${a.port}` }, secret: 'a long random cluster secret' })
 * a.setPeers({ b: `127.0.0.1:${b.port}` })
 * b.listen((m) => console.log('b got', m.type, 'from', m.from))
 * a.send({ type: 'RequestVote', from: 'a', to: 'b', term: 1, lastLogIndex: 0, lastLogTerm: 0, preVote: false })
 * ```
 */
export { createWsTransport } from './transport.js'
export type { WsTransport, WsTransportStats } from './transport.js'
export type { WsTransportOptions } from './options.js'
export type { NodeFaultControls, FaultState } from './fault-shim.js'
export { createWsNetwork } from './network.js'
export type { WsNetwork, WsNetworkOptions } from './network.js'
export {
  CloseCode,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  HANDSHAKE_MAX_FRAME_BYTES,
  HANDSHAKE_TIMEOUT_MS,
  MAX_MALFORMED_MESSAGES,
  MAX_NODE_ID_BYTES,
  MAX_UNAUTHENTICATED_CONNECTIONS,
  MAX_UNAUTHENTICATED_PER_ADDRESS,
  MIN_SECRET_LENGTH,
  PRE_AUTH_TIMEOUT_MS,
  PROTOCOL_VERSION,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
} from './constants.js'
