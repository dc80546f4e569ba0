/**
 * The WebSocket peer transport options of one node of a cluster file, shared by `raftkit serve`
 * (cli/node.ts) and @raftkit/shardkv's sharded node: the node listens on its `peer` address,
 * dials the given peers, authenticates with the cluster secret and bounds messages and queues by
 * the file's `limits`; with TLS (the node's files, as `readNodeTls` checked them) it speaks
 * wss:// with its certificate and key, trusting the cluster's CA when the file names one.
 */
import type { Clock, Logger } from '@raftkit/raft-core'
import type { WsTransportOptions } from '@raftkit/transport-ws'
import type { ClusterConfig, NodeSpec, NodeTls } from './cluster-config.js'

export interface PeerTransportSettings {
  readonly config: ClusterConfig
  /** This node's entry in `config.nodes` (or the spec of a node that joins). */
  readonly self: NodeSpec
  /** The other nodes: id → peer `host:port`. */
  readonly peers: Readonly<Record<string, string>>
  /** The node's TLS files (`readNodeTls(...)?.files`); undefined: plain ws://. */
  readonly tls: NodeTls | undefined
  readonly logger: Logger
  readonly clock: Clock
}

/** The `createWsTransport` options of a node of a cluster file (see the module comment). */
export function peerTransportOptions(settings: PeerTransportSettings): WsTransportOptions {
  const { config, self, tls } = settings
  return {
    id: self.id,
    listen: { host: self.peer.host, port: self.peer.port },
    peers: settings.peers,
    secret: config.secret,
    maxMessageBytes: config.limits.maxMessageBytes,
    maxQueuedMessages: config.limits.maxQueuedMessages,
    logger: settings.logger,
    clock: settings.clock,
    ...(tls
      ? {
          tls: {
            certFile: tls.certFile,
            keyFile: tls.keyFile,
            ...(tls.caFile === undefined ? {} : { caFile: tls.caFile }),
          },
        }
      : {}),
  }
}
