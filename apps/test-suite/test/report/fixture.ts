/**
 * A small, fixed ReportData with every section filled (made-up figures of the right shape),
 * for rendering tests. Deterministic.
 */
import { floorRowName, type FloorMeasurement } from '../../bench/latency-floor-names.js'
import type {
  FailoverSetting,
  FloorData,
  FloorRow,
  LoadRow,
  ReportData,
  SimulatedSetting,
} from '../../report/types.js'

function load(
  nodes: number,
  clients: number,
  op: 'put' | 'get',
  system = 'raftkit',
  sync: 'always' | 'never' = 'always',
): LoadRow {
  const base =
    (op === 'put' ? 500 : 2000) * Math.sqrt(clients) * (3 / nodes) * (sync === 'never' ? 1.5 : 1)
  return {
    op,
    clients,
    nodes,
    storageSync: sync,
    system,
    opsPerSec: Math.round(base),
    p50Us: Math.round((clients * 1e6) / base),
    p99Us: Math.round((clients * 4e6) / base),
    ops: Math.round(base * 5),
    errors: 0,
    loadGenCpu: 0.2,
    leaderCpuUsPerOp: Math.round(900 / Math.sqrt(clients)),
  }
}

const times = (start: number, step: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => start + step * i + ((i * 37) % 11))

function failover(label: string, min: number, max: number, nodes: number): FailoverSetting {
  return {
    label,
    nodes,
    electionMinMs: min,
    electionMaxMs: max,
    heartbeatMs: min / 3,
    timesMs: times(min, (max - min) / 10, 12),
  }
}

function sim(plot: 'top' | 'bottom', min: number, max: number, preVote: boolean): SimulatedSetting {
  const downtimeMs: (number | null)[] = times(min * 0.8, (max - min + 5) / 20, 40)
  if (min === max && !preVote) downtimeMs.push(null, null)
  return {
    plot,
    label: `${min}–${max} ms`,
    electionMinMs: min,
    electionMaxMs: max,
    heartbeatMs: min / 3,
    preVote,
    trials: downtimeMs.length,
    censored: downtimeMs.filter((d) => d === null).length,
    downtimeMs,
    splitTrials: 3,
    stoppedEarly: false,
  }
}

const levels = [1, 4, 16, 64, 256]

function floorRow(measurement: FloorMeasurement, p50: number): FloorRow {
  return {
    name: floorRowName(measurement),
    measurement,
    n: 300,
    p10: Math.round(p50 * 0.8),
    p50,
    p90: Math.round(p50 * 1.5),
    p99: p50 * 4,
  }
}

/** The floor: 2 round trips, 9 fdatasync rows, 3 commit skeletons (main thread: 650 µs). */
export function fixtureFloor(): FloorData {
  const cpu = { client: 60, leader: 180, followers: [130, 125] }
  return {
    rounds: 300,
    dir: '/tmp',
    rows: [
      floorRow({ kind: 'rtt', transport: 'ws', bytes: 200 }, 64),
      floorRow({ kind: 'rtt', transport: 'tcp', bytes: 200 }, 46),
      ...(['sync', 'pool', 'zeroed'] as const).flatMap((sync, i) =>
        [1, 2, 3].map((writers) =>
          floorRow({ kind: 'fsync', sync, writers, bytes: 220 }, 100 + 40 * writers + 20 * i),
        ),
      ),
      floorRow({ kind: 'commit', sync: 'pool', burnUs: 0, cpuUsPerRound: cpu }, 735),
      floorRow({ kind: 'commit', sync: 'sync', burnUs: 0, cpuUsPerRound: cpu }, 650),
      floorRow({ kind: 'commit', sync: 'zeroed', burnUs: 0, cpuUsPerRound: cpu }, 643),
    ],
  }
}

export function fixtureReport(): ReportData {
  const concurrency = levels.flatMap((c) => [load(3, c, 'put'), load(3, c, 'get')])
  const section = {
    status: 'ok' as const,
    commands: ['npx tsx bench/example.ts'],
    seconds: 1,
    loadAverage: 0.5,
  }
  return {
    version: 1,
    profile: 'quick',
    startedAt: '2026-12-04T00:00:00.000Z',
    finishedAt: '2026-12-04T00:04:00.000Z',
    command: 'npm run report -- --quick',
    machine: {
      hostname: 'fixture',
      cpus: 2,
      cpuModel: 'Fixture CPU',
      memoryGiB: 4,
      os: 'Linux',
      node: 'v20.20.2',
      loadAverageStart: [0.5, 0.4, 0.3],
      loadAverageEnd: [0.6, 0.5, 0.4],
      gitCommit: '000000000000',
      gitDirty: false,
    },
    sections: {
      concurrency: { ...section, data: concurrency },
      floor: { ...section, data: fixtureFloor() },
      clusterSize: {
        ...section,
        data: [3, 5, 7, 9].flatMap((n) => [load(n, 16, 'put'), load(n, 16, 'get')]),
      },
      failover: {
        ...section,
        data: [failover('300–600 ms', 300, 600, 3), failover('150–300 ms', 150, 300, 3)],
      },
      simulation: {
        ...section,
        data: {
          servers: 5,
          tickMs: 0.1,
          delayMs: [0.1, 0.5],
          diskMs: [2, 12],
          maxTrialMs: 10_000,
          settings: [false, true].flatMap((p) => [
            sim('top', 150, 150, p),
            sim('top', 150, 155, p),
            sim('top', 150, 300, p),
            sim('bottom', 12, 24, p),
            sim('bottom', 150, 300, p),
          ]),
          fastDisk: {
            delayMs: [0.1, 0.5],
            diskMs: [0.5, 1.5],
            settings: [false, true].map((p) => sim('top', 150, 155, p)),
          },
        },
      },
      realElection: { ...section, data: [failover('150–300 ms', 150, 300, 5)] },
      chaos: {
        ...section,
        data: {
          seconds: 10,
          nodes: 3,
          seed: 1,
          verdict: 'ok',
          operationsChecked: 1234,
          faults: { kill: 1, partition: 1, pause: 0 },
          failovers: 1,
          bucketMs: 500,
          timeline: Array.from({ length: 20 }, (_, i) => ({
            t: i / 2 + 0.25,
            okPerSec: i === 8 ? 0 : 400,
            errors: i === 8 ? 2 : 0,
          })),
          events: [
            { t: 4, text: 'kill -9 n1 (the leader); restart in 1.0 s' },
            { t: 5, text: 'restarted n1' },
            { t: 7, text: 'partition {n2} | {n1,n3} for 1.0 s' },
            { t: 8, text: 'healed' },
          ],
        },
      },
      durability: {
        ...section,
        data: {
          fsync: { bytes: 222, samples: 100, p50Us: 300, p99Us: 900, meanUs: 350, dir: '/tmp' },
          rows: [1, 16].flatMap((c) => [load(3, c, 'put'), load(3, c, 'put', 'raftkit', 'never')]),
        },
      },
      etcd: {
        ...section,
        data: [1, 16].flatMap((c) => [load(3, c, 'put'), load(3, c, 'put', 'etcd 3.4.23')]),
      },
    },
  }
}
