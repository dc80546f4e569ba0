/**
 * The clients the sharded command line and the chaos monkey open on a cluster file: the
 * controller / group RPC (`HttpShardRpc`, with the cluster secret) and the key/value HTTP API
 * (`HttpKvRpc`), both to every node's `http` address, over HTTPS trusting the file's
 * `tls.caFile` when the cluster uses TLS (kv-service's `readClientTls`).
 */
import { HttpKvRpc, readClientTls } from '@raftkit/kv-service'
import { HttpShardRpc } from '../net/rpc-http-client.js'
import type { ShardCluster } from '../node/cluster-file.js'

function addresses(cluster: ShardCluster): Record<string, string> {
  const out: Record<string, string> = {}
  for (const n of cluster.config.nodes) out[n.id] = `${n.http.host}:${n.http.port}`
  return out
}

/** The controller / group RPC of the cluster (local endpoints: none). */
export function shardRpcOf(cluster: ShardCluster): HttpShardRpc {
  const tls = readClientTls(cluster.config)
  return new HttpShardRpc({
    addresses: addresses(cluster),
    secret: cluster.config.secret,
    ...(tls ? { tls: tls.ca ? { ca: tls.ca } : {} } : {}),
  })
}

/** The nodes' key/value HTTP API (endpoint name = node id). */
export function kvRpcOf(cluster: ShardCluster): HttpKvRpc {
  const tls = readClientTls(cluster.config)
  return new HttpKvRpc({ endpoints: addresses(cluster), ...(tls ? { tls } : {}) })
}
