/**
 * @packageDocumentation
 * A sharded key/value service on many Raft groups (the lab's part 4): the shard controller
 * (`ShardCtrlerServer`, `CtrlerClient`: a replicated history of configurations assigning
 * NSHARDS shards to replica groups), the pure placement rule (`rebalance`), and the replica
 * groups (`ShardKvServer`) with their clerk (`ShardKvClient`), which migrate shards together
 * with their at-most-once session entries.
 */
export * from './common.js'
export { rebalance } from './rebalance.js'
export { MemoryShardRpc, RpcLostError } from './rpc.js'
export type { ShardRpc, ShardRpcHandler, MemoryShardRpcOptions } from './rpc.js'
export { Replica } from './replica.js'
export type {
  ReplicaRaft,
  ReadableReplicaRaft,
  ReplicaOptions,
  SubmitOutcome,
  ReadOutcome,
} from './replica.js'
export {
  validateCtrlerCommand,
  encodeCtrlerCommand,
  decodeCtrlerCommand,
  BadCtrlerRequest,
} from './ctrler/commands.js'
export type { CtrlerCommand, CtrlerRequest, CtrlerReply } from './ctrler/commands.js'
export {
  CtrlerStateMachine,
  DEFAULT_CTRLER_SESSION_EXPIRY_ENTRIES,
} from './ctrler/state-machine.js'
export type { CtrlerResult, CtrlerStateMachineOptions } from './ctrler/state-machine.js'
export { ShardCtrlerServer } from './ctrler/server.js'
export type { ShardCtrlerServerOptions } from './ctrler/server.js'
export { CtrlerClient, CtrlerRequestError, CtrlerClosedError } from './ctrler/client.js'
export type { CtrlerClientOptions } from './ctrler/client.js'
export {
  validateShardKvRequest,
  validateShardData,
  validateConfig,
  encodeShardKvCommand,
  decodeShardKvCommand,
  BadShardKvRequest,
} from './kv/commands.js'
export type {
  OpRequest,
  PullRequest,
  DeleteRequest,
  ShardKvRequest,
  ShardKvReply,
  ShardKvFailure,
  ShardKvCommand,
  ShardData,
  ShardSession,
} from './kv/commands.js'
export { ShardKvStateMachine, DEFAULT_SHARD_SESSION_EXPIRY_ENTRIES } from './kv/state-machine.js'
export type { ShardStatus, ShardKvResult, ShardKvStateMachineOptions } from './kv/state-machine.js'
export { ShardKvServer } from './kv/server.js'
export type { ShardKvServerOptions } from './kv/server.js'
export { ShardKvClient, ShardKvRequestError } from './kv/client.js'
export type { ShardKvClientOptions } from './kv/client.js'
export { HttpShardRpc } from './net/rpc-http-client.js'
export type { HttpShardRpcOptions } from './net/rpc-http-client.js'
export {
  RPC_PATH,
  DEFAULT_MAX_RPC_REQUEST_BYTES,
  DEFAULT_MAX_RPC_REPLY_BYTES,
  endpointName,
  parseEndpoint,
  ShardRpcTooLargeError,
  ShardRpcAuthError,
  ShardRpcProtocolError,
} from './net/rpc-protocol.js'
export { serveRpc } from './net/rpc-route.js'
export type { RpcRouteOptions } from './net/rpc-route.js'
export { ShardRouter } from './node/router.js'
export type { ShardRouterOptions, RouteReply } from './node/router.js'
export { ShardKvHttpClient } from './node/http-client.js'
export type { ShardKvHttpClientOptions } from './node/http-client.js'
export { CONFIG_PATH } from './node/http-api.js'
export { loadShardCluster, parseShardLayout, initShardCluster } from './node/cluster-file.js'
export type { ShardCluster, ShardLayout, ShardGroupSpec } from './node/cluster-file.js'
export { startShardNode } from './node/node.js'
export type { RunningShardNode } from './node/node.js'
export type { ShardNodeStatus, GroupStatus } from './node/status.js'
