/**
 * The per-request HTTP metrics of one node: `raftkit_http_requests_total` (a counter) and
 * `raftkit_http_request_duration_seconds` (a histogram), both by operation and status code.
 *
 * Recorded on every request, so recorded cheaply (issue 15): one slot per (op, status) found
 * through two small maps, and a count, a sum and a bucket count in a typed array updated in
 * place. prom-client's Counter.inc and Histogram.observe would hash and validate the label set
 * and build a few objects on every call. The two metrics are registered in the node's
 * prom-client registry as metric objects that build their values only when scraped, in the
 * shape prom-client's Counter and Histogram give (same names, help, label order, series order
 * and values: test/request-metrics.spec.ts compares the texts), so /metrics is unchanged.
 */
import type { Metric, Registry } from 'prom-client'

export const REQUESTS_NAME = 'raftkit_http_requests_total'
export const DURATION_NAME = 'raftkit_http_request_duration_seconds'
const REQUESTS_HELP = 'HTTP requests answered, by operation and status code.'
const DURATION_HELP = 'Time to answer an HTTP request, by operation and status code.'
export const DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]

interface Slot {
  readonly labels: { readonly op: string; readonly status: string }
  /** Observations per bucket (not cumulative); one past the last bound are counted only. */
  readonly buckets: Float64Array
  sum: number
  count: number
}

/** One exported sample, as prom-client's metrics give them to the registry. */
interface Sample {
  value: number
  labels: Record<string, string | number>
  metricName?: string
  sharedLabels?: Record<string, string>
  exemplar?: null | undefined
}

export class RequestMetrics {
  /** In the order first seen (prom-client's series order). */
  private slots: Slot[] = []
  private byOp = new Map<string, Map<number, Slot>>()
  private readonly bounds: readonly number[]

  constructor(registry: Registry, bounds: readonly number[] = DURATION_BUCKETS) {
    this.bounds = [...bounds]
    // Duck-typed metric objects (prom-client's registry reads name, help, type, aggregator and
    // get(); reset() for resetMetrics()); the cast is because its types list only its classes.
    registry.registerMetric(this.counter() as unknown as Metric)
    registry.registerMetric(this.histogram() as unknown as Metric)
  }

  /** Counts one answered request of `op` with `status` that took `seconds`. */
  observe(op: string, status: number, seconds: number): void {
    let byStatus = this.byOp.get(op)
    if (byStatus === undefined) {
      byStatus = new Map()
      this.byOp.set(op, byStatus)
    }
    let slot = byStatus.get(status)
    if (slot === undefined) {
      slot = {
        labels: { op, status: String(status) },
        buckets: new Float64Array(this.bounds.length),
        sum: 0,
        count: 0,
      }
      byStatus.set(status, slot)
      this.slots.push(slot)
    }
    const bounds = this.bounds
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= (bounds[i] as number)) {
        ;(slot.buckets[i] as number)++
        break
      }
    }
    slot.sum += seconds
    slot.count++
  }

  private reset(): void {
    this.slots = []
    this.byOp = new Map()
  }

  private counter(): object {
    const base = { name: REQUESTS_NAME, help: REQUESTS_HELP, type: 'counter', aggregator: 'sum' }
    return {
      ...base,
      reset: () => this.reset(),
      get: () =>
        Promise.resolve({
          ...base,
          values: this.slots.map((s): Sample => ({ value: s.count, labels: { ...s.labels } })),
        }),
    }
  }

  private histogram(): object {
    const base = { name: DURATION_NAME, help: DURATION_HELP, type: 'histogram', aggregator: 'sum' }
    const bucketName = `${DURATION_NAME}_bucket`
    /** prom-client's Histogram.getForPromString: the label set as sharedLabels. */
    const forText = (): Sample[] => {
      const out: Sample[] = []
      for (const s of this.slots) {
        let acc = 0
        this.bounds.forEach((le, i) => {
          acc += s.buckets[i] as number
          out.push({
            labels: { le },
            sharedLabels: s.labels,
            value: acc,
            metricName: bucketName,
            exemplar: null,
          })
        })
        out.push(
          {
            labels: { le: '+Inf' },
            sharedLabels: s.labels,
            value: s.count,
            metricName: bucketName,
            exemplar: null,
          },
          {
            labels: {},
            sharedLabels: s.labels,
            value: s.sum,
            metricName: `${DURATION_NAME}_sum`,
            exemplar: undefined,
          },
          {
            labels: {},
            sharedLabels: s.labels,
            value: s.count,
            metricName: `${DURATION_NAME}_count`,
            exemplar: undefined,
          },
        )
      }
      return out
    }
    return {
      ...base,
      reset: () => this.reset(),
      getForPromString: () => Promise.resolve({ ...base, values: forText() }),
      // Histogram.get: the label set merged into each sample's labels.
      get: () =>
        Promise.resolve({
          ...base,
          values: forText().map(({ sharedLabels, labels, ...sample }) => ({
            ...sample,
            labels: { ...labels, ...sharedLabels },
          })),
        }),
    }
  }
}
