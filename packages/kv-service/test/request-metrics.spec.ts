import { expect } from 'chai'
import { Counter, Histogram, Registry } from 'prom-client'
import { createRng } from '@raftkit/raft-core'
import {
  DURATION_BUCKETS,
  DURATION_NAME,
  REQUESTS_NAME,
  RequestMetrics,
} from '../src/http/request-metrics.js'

/** The same two metrics as prom-client's own Counter and Histogram (what /metrics had before). */
function promClientPair(registry: Registry): (op: string, status: number, s: number) => void {
  const requests = new Counter({
    name: REQUESTS_NAME,
    help: 'HTTP requests answered, by operation and status code.',
    labelNames: ['op', 'status'],
    registers: [registry],
  })
  const latency = new Histogram({
    name: DURATION_NAME,
    help: 'Time to answer an HTTP request, by operation and status code.',
    labelNames: ['op', 'status'],
    buckets: [...DURATION_BUCKETS],
    registers: [registry],
  })
  return (op, status, seconds) => {
    const labels = { op, status: String(status) }
    requests.inc(labels)
    latency.observe(labels, seconds)
  }
}

/** Observations on every bucket bound, between them, past the last one, in mixed series. */
function workload(n: number, seed: number): Array<[string, number, number]> {
  const rng = createRng(seed)
  const ops = ['put', 'get', 'append', 'status']
  const statuses = [200, 204, 404, 307, 503]
  const out: Array<[string, number, number]> = []
  for (let i = 0; i < n; i++) {
    const r = rng.int(4)
    const seconds =
      r === 0
        ? (DURATION_BUCKETS[rng.int(DURATION_BUCKETS.length)] as number)
        : r === 1
          ? 5 + rng.next() * 10
          : r === 2
            ? 0
            : rng.next() * rng.next() * 0.3
    out.push([
      ops[rng.int(ops.length)] as string,
      statuses[rng.int(statuses.length)] as number,
      seconds,
    ])
  }
  return out
}

describe('RequestMetrics: the HTTP request metrics export what prom-client Counter + Histogram export', () => {
  for (const defaults of [{}, { node: 'n1' }]) {
    it(`same Prometheus text and JSON for the same requests (default labels ${JSON.stringify(defaults)})`, async () => {
      const ours = new Registry()
      const theirs = new Registry()
      ours.setDefaultLabels(defaults)
      theirs.setDefaultLabels(defaults)
      const metrics = new RequestMetrics(ours)
      const observe = promClientPair(theirs)
      expect(await ours.metrics()).to.equal(await theirs.metrics())
      for (const [round, n] of [200, 1, 1000].entries()) {
        for (const [op, status, s] of workload(n, round + 1)) {
          metrics.observe(op, status, s)
          observe(op, status, s)
        }
        const text = await ours.metrics()
        expect(text).to.equal(await theirs.metrics())
        expect(await ours.getMetricsAsJSON()).to.deep.equal(await theirs.getMetricsAsJSON())
      }
      expect(await ours.metrics()).to.match(
        /raftkit_http_request_duration_seconds_bucket\{le="0.001",(node="n1",)?op="[a-z]+",status="\d+"\} \d+/,
      )
      ours.resetMetrics()
      theirs.resetMetrics()
      expect(await ours.metrics()).to.equal(await theirs.metrics())
      metrics.observe('get', 200, 0.002)
      observe('get', 200, 0.002)
      expect(await ours.metrics()).to.equal(await theirs.metrics())
    })
  }
})
