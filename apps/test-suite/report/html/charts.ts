/**
 * The report's plots as Vega-Lite specs, built from the raw data (types.ts). One function per
 * plot; each returns a spec with its data inline.
 */
import type { ChaosData, FailoverSetting, LoadRow, SimulatedSetting } from '../types.js'
import type { ChartSpec } from './svg.js'
import { cdf } from './stats.js'

const W = 330
const H = 220

function opName(op: string): string {
  return op === 'put' ? 'writes (put)' : 'ReadIndex reads (get)'
}

/** Throughput and p50/p99 latency versus clients (log scale), one line per operation. */
export function concurrencyCharts(rows: readonly LoadRow[]): ChartSpec {
  const values = rows.map((r) => ({
    clients: r.clients,
    op: opName(r.op),
    opsPerSec: r.opsPerSec,
    p50: r.p50Us / 1000,
    p99: r.p99Us / 1000,
    cpu: r.leaderCpuUsPerOp,
  }))
  const x = {
    field: 'clients',
    type: 'quantitative',
    scale: { type: 'log', base: 2 },
    title: 'concurrent clients',
  } as const
  const color = { field: 'op', type: 'nominal', title: null, legend: { orient: 'bottom' } } as const
  return {
    data: { values },
    hconcat: [
      {
        width: W,
        height: H,
        title: 'Throughput',
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'opsPerSec', type: 'quantitative', title: 'operations/s' },
          color,
        },
      },
      {
        width: W,
        height: H,
        title: 'Latency: p50 (solid), p99 (dashed)',
        transform: [{ fold: ['p50', 'p99'], as: ['percentile', 'ms'] }],
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'ms' },
          color,
          strokeDash: { field: 'percentile', type: 'nominal', legend: null },
          detail: { field: 'percentile' },
        },
      },
      {
        width: W * 0.7,
        height: H,
        title: "Leader's CPU per operation",
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: {
            field: 'cpu',
            type: 'quantitative',
            scale: { type: 'log' },
            title: 'µs of CPU per op',
          },
          color,
        },
      },
    ],
  }
}

/** Throughput and p99 versus cluster size, one line per (operation, clients). */
export function clusterSizeCharts(rows: readonly LoadRow[]): ChartSpec {
  const values = rows.map((r) => ({
    nodes: r.nodes,
    series: `${r.op === 'put' ? 'writes' : 'reads'}, ${r.clients} clients`,
    opsPerSec: r.opsPerSec,
    p99: r.p99Us / 1000,
    p50: r.p50Us / 1000,
  }))
  const x = {
    field: 'nodes',
    type: 'quantitative',
    scale: { domain: [3, 9] },
    axis: { values: [3, 5, 7, 9] },
    title: 'servers in the cluster',
  } as const
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    legend: { orient: 'bottom', columns: 2 },
  } as const
  return {
    data: { values },
    hconcat: [
      {
        width: W,
        height: H,
        title: 'Throughput',
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'opsPerSec', type: 'quantitative', title: 'operations/s' },
          color,
        },
      },
      {
        width: W,
        height: H,
        title: 'Latency p50',
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'p50', type: 'quantitative', title: 'ms' }, color },
      },
      {
        width: W,
        height: H,
        title: 'Latency p99',
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'p99', type: 'quantitative', title: 'ms' }, color },
      },
    ],
  } as unknown as ChartSpec
}

/** CDF of failover times, one step line per setting. */
export function failoverCdf(settings: readonly FailoverSetting[], title: string): ChartSpec {
  const values = settings.flatMap((s) =>
    cdf(s.timesMs).map((p) => ({ ...p, setting: `${s.label} (${s.nodes} servers)` })),
  )
  return {
    width: W * 1.6,
    height: H,
    title,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', point: { size: 12 } },
    encoding: {
      x: {
        field: 'ms',
        type: 'quantitative',
        title: 'ms from kill -9 of the leader to the next acknowledged write',
      },
      y: {
        field: 'fraction',
        type: 'quantitative',
        scale: { domain: [0, 1] },
        title: 'cumulative fraction of kills',
      },
      color: {
        field: 'setting',
        type: 'nominal',
        title: 'election timeout',
        legend: { orient: 'right' },
      },
    },
  }
}

/**
 * Figure 16: the CDF of time without a leader, one line per timeout range, PreVote off and on
 * side by side; the top plot on a log time axis as in the paper.
 */
export function simulationCdf(
  settings: readonly SimulatedSetting[],
  plot: 'top' | 'bottom',
): ChartSpec {
  const chosen = settings.filter((s) => s.plot === plot)
  const values = chosen.flatMap((s) =>
    cdf(s.downtimeMs).map((p) => ({
      ...p,
      range: s.label,
      prevote: s.preVote ? 'PreVote on' : 'PreVote off',
    })),
  )
  const order = [...new Set(chosen.map((s) => s.label))]
  const log = plot === 'top'
  return {
    data: { values },
    facet: {
      column: {
        field: 'prevote',
        type: 'nominal',
        title: null,
        sort: ['PreVote off', 'PreVote on'],
      },
    },
    spec: {
      width: W,
      height: H,
      mark: { type: 'line', interpolate: 'step-after', clip: true },
      encoding: {
        x: {
          field: 'ms',
          type: 'quantitative',
          scale: log ? { type: 'log', domain: [100, 100_000] } : { domain: [0, 600] },
          title: 'time without a leader (simulated ms)',
        },
        y: {
          field: 'fraction',
          type: 'quantitative',
          scale: { domain: [0, 1] },
          title: 'cumulative fraction of trials',
        },
        color: {
          field: 'range',
          type: 'nominal',
          sort: order,
          title: 'election timeout',
          scale: { scheme: 'category10' },
        },
      },
    },
  }
}

/** Real processes against the simulation for the same ranges. */
export function realVsSimulated(
  real: readonly FailoverSetting[],
  sim: readonly SimulatedSetting[],
): ChartSpec {
  const values = [
    ...real.flatMap((s) =>
      cdf(s.timesMs).map((p) => ({
        ...p,
        range: s.label,
        source: 'real processes (to the next write)',
      })),
    ),
    ...real.flatMap((r) => {
      const s = sim.find(
        (x) =>
          x.preVote && x.electionMinMs === r.electionMinMs && x.electionMaxMs === r.electionMaxMs,
      )
      return s
        ? cdf(s.downtimeMs).map((p) => ({
            ...p,
            range: r.label,
            source: 'simulation (to a new leader)',
          }))
        : []
    }),
  ]
  return {
    width: W * 1.6,
    height: H,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'ms' },
      y: {
        field: 'fraction',
        type: 'quantitative',
        scale: { domain: [0, 1] },
        title: 'cumulative fraction',
      },
      color: { field: 'range', type: 'nominal', title: 'election timeout (5 servers, PreVote on)' },
      strokeDash: { field: 'source', type: 'nominal', title: null },
    },
  }
}

/** Probe writes/s and errors over time, with the faults marked. */
export function chaosTimeline(d: ChaosData): ChartSpec {
  const kind = (text: string): string =>
    text.startsWith('kill')
      ? 'kill -9'
      : text.startsWith('SIGSTOP')
        ? 'pause'
        : text.startsWith('partition')
          ? 'partition'
          : 'repair'
  const events = d.events.map((e) => ({ t: e.t, kind: kind(e.text), text: e.text }))
  return {
    width: W * 2.4,
    height: H,
    layer: [
      {
        data: { values: events },
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: {
          x: { field: 't', type: 'quantitative' },
          color: {
            field: 'kind',
            type: 'nominal',
            title: 'fault',
            scale: {
              domain: ['kill -9', 'partition', 'pause', 'repair'],
              range: ['#d62728', '#9467bd', '#ff7f0e', '#bbbbbb'],
            },
          },
        },
      },
      {
        data: { values: d.timeline },
        mark: { type: 'area', opacity: 0.35, color: '#1f77b4', interpolate: 'step-after' },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds since the chaos run started' },
          y: {
            field: 'okPerSec',
            type: 'quantitative',
            title: 'probe writes acknowledged per second',
          },
        },
      },
      {
        data: { values: d.timeline.filter((p) => p.errors > 0) },
        mark: { type: 'tick', color: '#000', thickness: 2, size: 14 },
        encoding: {
          x: { field: 't', type: 'quantitative' },
          y: { datum: 0 },
        },
      },
    ],
  }
}

/** Grouped bars: operations/s per clients, one bar per system or setting. */
export function groupedBars(
  rows: readonly LoadRow[],
  series: (r: LoadRow) => string,
  title: string,
): ChartSpec {
  const values = rows.map((r) => ({
    clients: `${r.clients} clients`,
    op: opName(r.op),
    series: series(r),
    opsPerSec: r.opsPerSec,
    p50: r.p50Us / 1000,
  }))
  return {
    data: { values },
    title,
    facet: { column: { field: 'op', type: 'nominal', title: null } },
    spec: {
      width: W * 0.8,
      height: H * 0.8,
      mark: 'bar',
      encoding: {
        x: { field: 'clients', type: 'nominal', title: null, sort: null, axis: { labelAngle: 0 } },
        xOffset: { field: 'series' },
        y: { field: 'opsPerSec', type: 'quantitative', title: 'operations/s' },
        color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } },
        tooltip: [{ field: 'p50', title: 'p50 ms' }],
      },
    },
  }
}
