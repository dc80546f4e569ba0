/**
 * @packageDocumentation
 * The Raft consensus algorithm for Node.js: a deterministic core (`RawNode`: ticks and
 * messages in, `Ready` out) and a runtime (`Raft`) with the classic interface
 * `start(command) -> {index, term, isLeader}`, `getState()`, an ordered apply stream and
 * `kill()`. Transports and storage plug in through the `Transport` and `Storage` interfaces.
 */
export type {
  NodeId,
  Term,
  Index,
  EntryKind,
  Entry,
  HardState,
  Membership,
  SnapshotMeta,
  Snapshot,
  Role,
} from './types.js'
export { EMPTY_HARD_STATE } from './types.js'
export type {
  Message,
  MessageType,
  RequestVote,
  RequestVoteReply,
  AppendEntries,
  AppendEntriesReply,
  InstallSnapshot,
  InstallSnapshotReply,
  TimeoutNow,
} from './messages.js'
export { validateMessage, isRequest, REQUEST_TYPES } from './messages.js'
export * from './errors.js'
export type { Transport, Network, NetworkFaults, NetworkStats, NodeStats } from './transport.js'
export type {
  Storage,
  StorageBatch,
  StorageCapabilities,
  PersistedState,
  StorageSize,
} from './storage.js'
export type { DeliveryPlan, FaultModes } from './fault-model.js'
export {
  planDelivery,
  REQUEST_DROP_PROBABILITY,
  REPLY_DROP_PROBABILITY,
  UNRELIABLE_DELAY_MS,
  LONG_REORDER_PROBABILITY,
  LONG_REORDER_MIN_MS,
  LONG_REORDER_SPREAD_MS,
} from './fault-model.js'
export { Reachability } from './fault-model-reachability.js'
export type { Clock, ClockSlot, TimerHandle } from './clock.js'
export { SystemClock, SimulatedClock, SimulationStalledError } from './clock.js'
export type { Rng } from './rng.js'
export { createRng, randomRng, seedFrom } from './rng.js'
export type { Logger, LogFields, LogLevel } from './logger.js'
export { silentLogger, consoleLogger, MemoryLogger } from './logger.js'
export type { CoreConfig, RaftConfig } from './config.js'
export {
  DEFAULT_CORE_CONFIG,
  DEFAULT_RAFT_CONFIG,
  validateCoreConfig,
  resolveRaftConfig,
  toCoreConfig,
} from './config.js'
export { encodeMessage, decodeMessage, packValue, unpackValue } from './codec.js'
export type { Ready, ReadState, SoftState } from './ready.js'
export type { Status, PeerProgress, ProgressState } from './status.js'
export type { ApplyMsg, StateMachine } from './apply.js'
export { toApplyMsgs } from './runtime-pump.js'
export { RawNode } from './raw-node.js'
export {
  EMPTY_MEMBERSHIP,
  validateMembership,
  isJoint,
  isVoter,
  isLearner,
  members,
  sameMembership,
  describeMembership,
} from './membership.js'
export { encodeMembership, decodeMembership } from './membership-codec.js'
export type { MembershipTarget } from './confchange.js'
export type { RawNodeOptions } from './raw-node.js'
export { MemoryStorage } from './memory-storage.js'
export { copyEntriesPacked } from './packed-entries.js'
export { Raft } from './runtime.js'
export type { RaftOptions, StartResult } from './runtime-options.js'
export type { LeaderNews } from './leader-watch.js'
export type { DiskLatency, OpTiming } from './disk-latency.js'
export {
  DISK_LATENCY_RANGES,
  drawDiskLatency,
  drawOpTiming,
  describeDiskLatency,
} from './disk-latency.js'
export type { SimulatedDiskOptions, DiskCrashReport, SimulatedDiskStats } from './simulated-disk.js'
export { SimulatedDisk } from './simulated-disk.js'
export type { DiskModelOptions } from './disk-model.js'
export { DiskModel } from './disk-model.js'
