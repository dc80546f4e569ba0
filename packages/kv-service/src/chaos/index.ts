/**
 * The chaos monkey and the multi-process toolkit: real `raftkit serve` processes, their HTTP
 * admin API, a recorded concurrent workload, a seeded fault schedule and the driver.
 */
export {
  ClusterAdmin,
  delay,
  type FaultRequest,
  type LeaderInfo,
  type NodeStatus,
} from './admin.js'
export { CHAOS_USAGE, ChaosUsageError, parseChaosArgs, parseDuration } from './args.js'
export { checkKeyByKey, type KeyByKeyVerdict } from './check.js'
export { CompactKvRecorder, type KvRecorder } from './compact-history.js'
export { runChaosCli, type ChaosCliIo } from './cli.js'
export {
  DEFAULT_CHAOS_OPTIONS,
  runChaos,
  type ChaosIo,
  type ChaosOptions,
  type ChaosResult,
} from './driver.js'
export {
  NodeProcesses,
  initClusterDir,
  killEveryChild,
  runRaftkit,
  type CliResult,
  type ExitInfo,
  type NodeProcessesOptions,
  type NodeState,
} from './processes.js'
export { raftkitInvocation, type CliInvocation } from '../cli/invocation.js'
export {
  FAULT_KINDS,
  faultSchedule,
  pickNode,
  splitGroups,
  type FaultKind,
  type FaultRates,
  type FaultStep,
  type ScheduleOptions,
} from './schedule.js'
export type { ShardedChaosCluster, ShardedChaosPlugin } from './sharded.js'
export {
  Workload,
  duplicatedWrites,
  emptyCounts,
  finalReads,
  httpClient,
  lostAcknowledgedWrites,
  monotonicClock,
  newRecorder,
  recordedOp,
  uniqueValue,
  type ClientOptions,
  type DuplicatedWrite,
  type KvHistory,
  type LostWrite,
  type OpCounts,
  type OpOutcome,
  type WorkloadOptions,
} from './workload.js'
