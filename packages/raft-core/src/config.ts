import { ConfigError } from './errors.js'

/** Configuration of the deterministic core, in ticks. */
export interface CoreConfig {
  /** Election timeout is drawn uniformly from [electionTicksMin, electionTicksMax). */
  readonly electionTicksMin: number
  readonly electionTicksMax: number
  /** A leader sends heartbeats every heartbeatTicks. Must be well below electionTicksMin. */
  readonly heartbeatTicks: number
  /** Upper bound on entry bytes in one AppendEntries (at least one entry is always sent). */
  readonly maxBytesPerAppend: number
  /** Max AppendEntries with entries in flight per follower before waiting for acks. */
  readonly maxInflightAppends: number
  /** Bytes per InstallSnapshot chunk. */
  readonly snapshotChunkBytes: number
  /** Pre-vote (thesis §9.6): a partitioned node cannot disrupt the cluster by raising its term. */
  readonly preVote: boolean
  /** A leader steps down when it has not heard from a quorum for an election timeout. */
  readonly checkQuorum: boolean
}

export const DEFAULT_CORE_CONFIG: CoreConfig = Object.freeze({
  electionTicksMin: 30,
  electionTicksMax: 60,
  heartbeatTicks: 10,
  maxBytesPerAppend: 1024 * 1024,
  maxInflightAppends: 64,
  snapshotChunkBytes: 64 * 1024,
  preVote: true,
  checkQuorum: true,
})

/** Runtime timing and limits, in milliseconds. */
export interface RaftConfig {
  /** Length of one core tick. */
  readonly tickMs: number
  readonly heartbeatIntervalMs: number
  /** Election timeout range: randomized in [min, max). */
  readonly electionTimeoutMinMs: number
  readonly electionTimeoutMaxMs: number
  readonly maxBytesPerAppend: number
  readonly maxInflightAppends: number
  readonly snapshotChunkBytes: number
  readonly preVote: boolean
  readonly checkQuorum: boolean
  /**
   * A leader sends AppendEntries while its own write of the same entries is still in flight
   * (thesis §10.2.1), instead of after it. Safe because the leader counts itself toward a commit
   * only for entries that are durable; it saves one disk write of latency per commit. Messages
   * that depend on a new term or vote still wait for the write. Default false.
   */
  readonly pipelineLeaderAppends: boolean
}

export const DEFAULT_RAFT_CONFIG: RaftConfig = Object.freeze({
  tickMs: 10,
  heartbeatIntervalMs: 100,
  electionTimeoutMinMs: 300,
  electionTimeoutMaxMs: 600,
  maxBytesPerAppend: DEFAULT_CORE_CONFIG.maxBytesPerAppend,
  maxInflightAppends: DEFAULT_CORE_CONFIG.maxInflightAppends,
  snapshotChunkBytes: DEFAULT_CORE_CONFIG.snapshotChunkBytes,
  preVote: true,
  checkQuorum: true,
  pipelineLeaderAppends: false,
})

function positiveInt(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
    throw new ConfigError(field, `must be a positive integer, got ${String(v)}`)
}
function bool(field: string, v: unknown): void {
  if (typeof v !== 'boolean')
    throw new ConfigError(field, `must be true or false, got ${String(v)}`)
}

/** Throws ConfigError (naming the field) for a core configuration Raft cannot live with. */
export function validateCoreConfig(c: CoreConfig): CoreConfig {
  positiveInt('electionTicksMin', c.electionTicksMin)
  positiveInt('electionTicksMax', c.electionTicksMax)
  positiveInt('heartbeatTicks', c.heartbeatTicks)
  positiveInt('maxBytesPerAppend', c.maxBytesPerAppend)
  positiveInt('maxInflightAppends', c.maxInflightAppends)
  positiveInt('snapshotChunkBytes', c.snapshotChunkBytes)
  bool('preVote', c.preVote)
  bool('checkQuorum', c.checkQuorum)
  if (c.electionTicksMax <= c.electionTicksMin)
    throw new ConfigError(
      'electionTicksMax',
      'must be greater than electionTicksMin (the timeout must be randomized)',
    )
  if (c.electionTicksMin < 3 * c.heartbeatTicks)
    throw new ConfigError(
      'electionTicksMin',
      `must be at least 3 × heartbeatTicks (${3 * c.heartbeatTicks}), or followers start elections between heartbeats`,
    )
  return c
}

/** Fills defaults and validates; throws ConfigError naming the first bad field. */
export function resolveRaftConfig(partial: Partial<RaftConfig> = {}): RaftConfig {
  for (const key of Object.keys(partial))
    if (!(key in DEFAULT_RAFT_CONFIG)) throw new ConfigError(key, 'is not a known setting')
  const c: RaftConfig = { ...DEFAULT_RAFT_CONFIG, ...partial }
  positiveInt('tickMs', c.tickMs)
  positiveInt('heartbeatIntervalMs', c.heartbeatIntervalMs)
  positiveInt('electionTimeoutMinMs', c.electionTimeoutMinMs)
  positiveInt('electionTimeoutMaxMs', c.electionTimeoutMaxMs)
  bool('pipelineLeaderAppends', c.pipelineLeaderAppends)
  if (c.heartbeatIntervalMs < c.tickMs)
    throw new ConfigError('heartbeatIntervalMs', `must be at least tickMs (${c.tickMs})`)
  if (c.electionTimeoutMaxMs <= c.electionTimeoutMinMs)
    throw new ConfigError(
      'electionTimeoutMaxMs',
      'must be greater than electionTimeoutMinMs (the timeout must be randomized)',
    )
  if (c.electionTimeoutMinMs < 3 * c.heartbeatIntervalMs)
    throw new ConfigError(
      'electionTimeoutMinMs',
      `must be at least 3 × heartbeatIntervalMs (${3 * c.heartbeatIntervalMs} ms): with less, one late heartbeat starts an election`,
    )
  toCoreConfig(c) // validates the rest
  return c
}

/** Converts millisecond timing into core ticks. */
export function toCoreConfig(c: RaftConfig): CoreConfig {
  return validateCoreConfig({
    electionTicksMin: Math.max(1, Math.round(c.electionTimeoutMinMs / c.tickMs)),
    electionTicksMax: Math.max(2, Math.round(c.electionTimeoutMaxMs / c.tickMs)),
    heartbeatTicks: Math.max(1, Math.round(c.heartbeatIntervalMs / c.tickMs)),
    maxBytesPerAppend: c.maxBytesPerAppend,
    maxInflightAppends: c.maxInflightAppends,
    snapshotChunkBytes: c.snapshotChunkBytes,
    preVote: c.preVote,
    checkQuorum: c.checkQuorum,
  })
}
