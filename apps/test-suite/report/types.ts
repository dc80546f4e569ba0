/**
 * The report's raw data (report/report.json): what every section measured, with the machine,
 * the commands and the times. The HTML is rendered from this alone (`render.ts`), so a report
 * can be re-rendered, compared or rebuilt from a fixture. Pure types.
 */
import type { FloorMeasurement } from '../bench/latency-floor-names.js'

export type Profile = 'quick' | 'full'

export interface Machine {
  readonly hostname: string
  readonly cpus: number
  readonly cpuModel: string
  readonly memoryGiB: number
  readonly os: string
  readonly node: string
  /** 1-, 5- and 15-minute load averages at the start and at the end of the run. */
  readonly loadAverageStart: readonly number[]
  readonly loadAverageEnd: readonly number[]
  readonly gitCommit: string
  /** Files modified in the working tree at the start (the figures may not match the commit). */
  readonly gitDirty: boolean
  /** How idle CPUs wait (bench/cpu-idle.ts), when sysfs tells; it moves the latency floor. */
  readonly cpuIdle?: string
}

export type SectionStatus = 'ok' | 'skipped' | 'failed'

/** One measurement section: its status, the commands that reproduce it, and its data. */
export interface Section<D> {
  readonly status: SectionStatus
  /** Why it was skipped or how it failed; or a caveat. */
  readonly note?: string
  readonly commands: readonly string[]
  readonly seconds: number
  /** 1-minute load average when the section started. */
  readonly loadAverage: number
  readonly data?: D
}

/** One closed-loop load level (bench/cluster-ws.ts's JSON row, plus the setting it ran under). */
export interface LoadRow {
  readonly op: 'put' | 'get'
  readonly clients: number
  readonly nodes: number
  readonly storageSync: 'always' | 'never'
  readonly system: string
  readonly opsPerSec: number
  readonly p50Us: number
  readonly p99Us: number
  readonly ops: number
  readonly errors: number
  readonly loadGenCpu: number
  /** NaN when not measured (etcd). */
  readonly leaderCpuUsPerOp: number
}

/** Kill-the-leader rounds on real processes under one election-timeout setting. */
export interface FailoverSetting {
  readonly label: string
  readonly nodes: number
  readonly electionMinMs: number
  readonly electionMaxMs: number
  readonly heartbeatMs: number
  /** ms from kill -9 of the leader to the next acknowledged write, one per round. */
  readonly timesMs: readonly number[]
}

export interface SimulatedSetting {
  readonly plot: 'top' | 'bottom'
  readonly label: string
  readonly electionMinMs: number
  readonly electionMaxMs: number
  readonly heartbeatMs: number
  readonly preVote: boolean
  readonly trials: number
  readonly censored: number
  /** Per trial: simulated ms without a leader (Infinity → null in JSON: censored). */
  readonly downtimeMs: readonly (number | null)[]
  /** Trials with a split vote (the new leader is more than one term ahead) or no leader. */
  readonly splitTrials: number
  /** Trials were stopped early after this many censored ones. */
  readonly stoppedEarly: boolean
}

export interface SimulationData {
  readonly servers: number
  readonly tickMs: number
  readonly delayMs: readonly [number, number]
  readonly diskMs: readonly [number, number]
  readonly maxTrialMs: number
  readonly settings: readonly SimulatedSetting[]
  /** The same experiment with a fast disk: how much the split-vote window matters. */
  readonly fastDisk?: {
    readonly delayMs: readonly [number, number]
    readonly diskMs: readonly [number, number]
    readonly settings: readonly SimulatedSetting[]
  }
}

export interface ChaosData {
  readonly seconds: number
  readonly nodes: number
  readonly seed: number
  readonly verdict: string
  readonly operationsChecked: number
  readonly faults: Readonly<Record<string, number>>
  readonly failovers: number
  /** Probe client: per bucket, acknowledged writes/s and errors. */
  readonly bucketMs: number
  readonly timeline: readonly {
    readonly t: number
    readonly okPerSec: number
    readonly errors: number
  }[]
  /** Fault events as the chaos monkey printed them (seconds since its start). */
  readonly events: readonly { readonly t: number; readonly text: string }[]
}

export interface FsyncData {
  readonly bytes: number
  readonly samples: number
  readonly p50Us: number
  readonly p99Us: number
  readonly meanUs: number
  readonly dir: string
}

/** One of bench/latency-floor.ts's rows: what it measured, and its quantiles in µs. */
export interface FloorRow {
  /** The name latency-floor.ts printed. */
  readonly name: string
  readonly measurement: FloorMeasurement
  readonly n: number
  readonly p10: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
}

/** The floor under a 1-client write, with no raftkit code on the path (bench/latency-floor.ts). */
export interface FloorData {
  /** Round trips measured per row (after a warm-up of up to 500), or writes per process. */
  readonly rounds: number
  /** Where the files were written and fdatasync-ed. */
  readonly dir: string
  readonly rows: readonly FloorRow[]
}

export interface ReportData {
  readonly version: 1
  readonly profile: Profile
  readonly startedAt: string
  readonly finishedAt: string
  /** The command that produced this file. */
  readonly command: string
  readonly machine: Machine
  readonly sections: {
    readonly concurrency?: Section<readonly LoadRow[]>
    readonly floor?: Section<FloorData>
    readonly clusterSize?: Section<readonly LoadRow[]>
    readonly failover?: Section<readonly FailoverSetting[]>
    readonly simulation?: Section<SimulationData>
    readonly realElection?: Section<readonly FailoverSetting[]>
    readonly chaos?: Section<ChaosData>
    readonly durability?: Section<{ readonly fsync: FsyncData; readonly rows: readonly LoadRow[] }>
    readonly etcd?: Section<readonly LoadRow[]>
  }
}

export type SectionName = keyof ReportData['sections']
