/**
 * @packageDocumentation
 * Many Raft groups in one process (the TiKV / CockroachDB "multi-raft" layout): `TransportMux`
 * carries every group's messages over one endpoint with a group id per message, `TickClock`
 * gives all groups one shared tick (one timer per tick, not one per group), and
 * `MultiRaftNode` hosts the groups of one node, each with its own Storage.
 */
export { TransportMux, GROUP_FIELD, validateGroupId } from './mux.js'
export type { GroupMessage, MuxStats } from './mux.js'
export { TickClock } from './tick-clock.js'
export type { TickClockStats } from './tick-clock.js'
export {
  MultiRaftNode,
  groupDirectory,
  DEFAULT_MAX_GROUPS,
  DEFAULT_MAX_GROUP_BUFFER_BYTES,
  GROUP_DEFAULTS,
} from './node.js'
export type { MultiRaftNodeOptions, GroupOptions } from './node.js'
