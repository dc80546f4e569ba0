/**
 * @packageDocumentation
 * A linearizable key/value service on raftkit: `KvServer` (a replicated state machine on a
 * Raft node, with ReadIndex reads and snapshots), `KvClient` (the clerk: leader discovery,
 * retries, at-most-once sessions) and an in-memory RPC network with the lab's fault model.
 */
export { KvServer, DEFAULT_SERVER_REQUEST_TIMEOUT_MS } from './server.js'
export type { KvServerOptions, KvServerStartOptions } from './server.js'
export { KvClient, DEFAULT_CLIENT_REQUEST_TIMEOUT_MS } from './client.js'
export type { KvClientOptions, OperationOptions } from './client.js'
export type { BackoffOptions } from './backoff.js'
export { DEFAULT_BACKOFF } from './backoff.js'
export { KvStateMachine, DEFAULT_SESSION_EXPIRY_ENTRIES, retryAnswer } from './state-machine.js'
export type {
  KvApplyResult,
  KvStateMachineOptions,
  MemberAddress,
  Session,
} from './state-machine.js'
export { encodeCommand, decodeCommand, validateCommand, requestDigest } from './ops.js'
export type { KvCommand, WriteCommand, OpenCommand, AddressCommand } from './ops.js'
export { validateRequest, validateReply } from './rpc.js'
export type { KvRequest, KvReply, KvFailure, KvHandler, KvRpcNetwork } from './rpc.js'
export { MemoryKvRpc, createMemoryKvRpc } from './memory-rpc.js'
export type { MemoryKvRpcOptions, MemoryKvRpcStats } from './memory-rpc.js'
export type { KvRaft } from './raft-api.js'
export * from './errors.js'
export { encodeBackup, decodeBackup, BACKUP_MAGIC, BACKUP_VERSION } from './backup-format.js'
export type { Backup, BackupMeta, DecodedBackup } from './backup-format.js'
export { backupFromDataDir } from './config/data-dir-backup.js'
export type { DataDirBackup, DataDirBackupOptions } from './config/data-dir-backup.js'
export { KvHttpServer } from './http/server.js'
export type { KvHttpServerOptions } from './http/server.js'
export { DEFAULT_HTTP_LIMITS } from './http/limits.js'
export type { HttpLimits } from './http/limits.js'
export { FaultAdmin, parseFaultRequest } from './http/faults.js'
export type { FaultAdminOptions, TransportFaultControls } from './http/faults.js'
export { HttpError } from './http/io.js'
export * from './http/protocol.js'
export { HttpKvRpc } from './http/client-rpc.js'
export type { HttpKvRpcOptions } from './http/client-rpc.js'
export * from './http/ws-protocol.js'
export { WsKvRpc } from './http/ws-client-rpc.js'
export type { WsKvRpcOptions } from './http/ws-client-rpc.js'
export { MembersClient, MembersError } from './http/members-client.js'
export { checkKvCommandArgs, runKvCommand } from './cli/kv-command.js'
export type { KvCommandClient, KvCommandIo, KvCommandOp } from './cli/kv-command.js'
export type { MembersClientOptions } from './http/members-client.js'
export * from './http/members-protocol.js'
export { MemberDirectory } from './membership.js'
export { parseClusterConfig, loadClusterConfig, applyOverrides } from './config/cluster-config.js'
export { createPinoLogger } from './cli/logging.js'
export { logLevel as logLevelFlag } from './cli/args.js'
export { localNodesFile } from './config/init.js'
export { freePort } from './config/free-port.js'
export type { LocalNodesFile } from './config/init.js'
export type {
  ClusterConfig,
  ClusterTls,
  NodeSpec,
  NodeTls,
  HostPort,
  ServiceLogLevel,
} from './config/cluster-config.js'
export { readNodeTls, readClientTls } from './config/tls.js'
export { peerTransportOptions } from './config/peer-transport.js'
export type { PeerTransportSettings } from './config/peer-transport.js'
export { tlsFailure } from './http/tls-failure.js'
export { generateCertificates } from './config/certs.js'
export type { GenerateOptions, GeneratedCertificates } from './config/certs.js'
export type { TlsMaterial } from './config/tls.js'
