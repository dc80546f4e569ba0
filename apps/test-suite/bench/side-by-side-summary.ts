/**
 * The summary of side-by-side.ts's rows (pure): per operation, concurrency and metric, each
 * system's median over the pairs, the ratio raftkit/etcd of every pair (the pair's raftkit row
 * over its etcd row, run back to back) and the median of those ratios. A ratio above 1 means
 * raftkit did more (ops/s) or spent more (latency, CPU per operation).
 */

export type System = 'etcd' | 'raftkit'

/** One measured phase (one JSON line of side-by-side.ts). */
export interface Row {
  readonly bench: 'side-by-side'
  /** 1-based: the etcd run and the raftkit run with the same number ran back to back. */
  readonly pair: number
  readonly system: System
  readonly op: 'put' | 'get'
  readonly clients: number
  readonly opsPerSec: number
  readonly p50Us: number
  readonly p99Us: number
  readonly ops: number
  readonly errors: number
  /** The server processes' CPU time summed, per acknowledged operation (µs). */
  readonly serverCpuUsPerOp: number
  /** The server processes' voluntary context switches summed, per acknowledged operation. */
  readonly serverSleepsPerOp: number
  /** The load generator's CPU time per acknowledged operation (µs). */
  readonly loadGenCpuUsPerOp: number
  /** The load generator's CPU time / wall time (1 = one core). */
  readonly loadGenCpu: number
}

const METRICS = ['opsPerSec', 'p50Us', 'p99Us', 'serverCpuUsPerOp', 'loadGenCpuUsPerOp'] as const
type Metric = (typeof METRICS)[number]

export interface SummaryLine {
  readonly op: 'put' | 'get'
  readonly clients: number
  readonly metric: Metric
  /** Median over the pairs; undefined when the system was not measured. */
  readonly etcd: number | undefined
  readonly raftkit: number | undefined
  /** raftkit/etcd of each pair that measured both, in pair order, two decimals. */
  readonly ratios: readonly number[]
  readonly medianRatio: number | undefined
}

/** The median (the mean of the middle two for an even count); undefined for none. */
export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2
}

const round2 = (x: number): number => Math.round(x * 100) / 100

export function summarize(rows: readonly Row[]): SummaryLine[] {
  const levels: { op: 'put' | 'get'; clients: number }[] = []
  for (const r of rows)
    if (!levels.some((l) => l.op === r.op && l.clients === r.clients))
      levels.push({ op: r.op, clients: r.clients })
  const out: SummaryLine[] = []
  for (const { op, clients } of levels) {
    const at = rows.filter((r) => r.op === op && r.clients === clients)
    const of = (system: System): Row[] => at.filter((r) => r.system === system)
    for (const metric of METRICS) {
      const ratios: number[] = []
      for (const k of of('raftkit')) {
        const e = of('etcd').find((r) => r.pair === k.pair)
        if (e) ratios.push(round2(k[metric] / e[metric]))
      }
      const m = (system: System): number | undefined => {
        const x = median(of(system).map((r) => r[metric]))
        return x === undefined ? undefined : Math.round(x)
      }
      const r = median(ratios)
      out.push({
        op,
        clients,
        metric,
        etcd: m('etcd'),
        raftkit: m('raftkit'),
        ratios,
        medianRatio: r === undefined ? undefined : round2(r),
      })
    }
  }
  return out
}
