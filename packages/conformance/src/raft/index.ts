/**
 * @packageDocumentation
 * The Raft lab scenarios (2A–2D) over any Network and Storage: the `Cluster` harness (the
 * lab's config.go), the scenario list, a runner, and `raftScenarios()` to register them with
 * mocha.
 *
 * @example
 * ```ts
 * import { raftScenarios, memoryStorage } from '@raftkit/conformance/raft'
 * import { createMemoryNetwork } from '@raftkit/transport-memory'
 *
 * raftScenarios({
 *   name: 'transport-memory + MemoryStorage',
 *   clock: 'sim',
 *   createNetwork: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
 *   createStorage: memoryStorage,
 * })
 * ```
 */
export { Cluster, ELECTION_TIMEOUT_MS, SNAPSHOT_INTERVAL, TEST_TIME_LIMIT_MS } from './harness.js'
export type { ClusterOptions, NetworkFactory } from './harness.js'
export type { NodeFactory, NodeOptions, RaftNode, StartResult } from './node.js'
export { MemoryStorageHarness, memoryStorage } from './storage-harness.js'
export type { IoGate, StorageFactory, StorageHarness } from './storage-harness.js'
export { IoSequencer, IO_WATCHDOG_MS, StorageIoTimeoutError } from './io-sequencer.js'
export { ScenarioFailure } from './failure.js'
export { InvariantChecker } from './invariants.js'
export { AppliedLogs } from './applied-logs.js'
export { DEFAULT_CAPABILITIES, scenario } from './scenario.js'
export type { ClusterCapabilities, Part, Scenario } from './scenario.js'
export {
  allScenarios,
  selectScenarios,
  scenarios2A,
  scenarios2B,
  scenarios2C,
  scenarios2D,
} from './scenarios/index.js'
export { MAXLOGSIZE, TestSnapshotDuringSlowWrite2D } from './scenarios/2d.js'
export { runScenario, describeFailure, diskModelOn } from './runner.js'
export { SimulatedDisks } from './disk-harness.js'
export type { ClockKind, RunOptions, RunResult } from './runner.js'
export { raftScenarios, defaultSeed, defaultDiskModel } from './register.js'
export type { RaftScenariosOptions } from './register.js'
export { TraceHasher, formatEvent } from './trace.js'
export type { TraceEvent, TraceSink } from './trace.js'
export { NOOP, encodeCommand, decodeCommand } from './values.js'
