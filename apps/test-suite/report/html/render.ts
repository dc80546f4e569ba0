/**
 * ReportData → one self-contained HTML page: inline SVG plots (Vega-Lite, rendered in Node),
 * the tables behind them, the commands, the machine, load averages and dates. No scripts, no
 * external resources.
 */
import type { LoadRow, ReportData } from '../types.js'
import {
  chaosTimeline,
  clusterSizeCharts,
  concurrencyCharts,
  failoverCdf,
  groupedBars,
} from './charts.js'
import { realElectionBody, simulationBody } from './figure16.js'
import { floorBody, floorLine, oneClientWrite } from './floor.js'
import { STYLE, esc, figure, frame, table } from './page.js'
import { fmtInt, fmtMs, quantile } from './stats.js'
import { toSvg } from './svg.js'

function loadTable(rows: readonly LoadRow[], withSystem = false): string {
  return table(
    [
      ...(withSystem ? ['system'] : []),
      'servers',
      'storageSync',
      'op',
      'clients',
      'ops/s',
      'p50 ms',
      'p99 ms',
      'errors',
      'leader CPU µs/op',
      'load-gen CPU (cores)',
    ],
    rows.map((r) => [
      ...(withSystem ? [r.system] : []),
      r.nodes,
      r.storageSync,
      r.op,
      r.clients,
      fmtInt(r.opsPerSec),
      fmtMs(r.p50Us / 1000),
      fmtMs(r.p99Us / 1000),
      r.errors,
      fmtInt(r.leaderCpuUsPerOp),
      r.loadGenCpu,
    ]),
  )
}

const LOAD_TEXT = `<p>Real processes: <code>raftkit init</code> into a temporary folder, one <code>raftkit serve</code> (the built bin)
per server, WebSocket between them, FileStorage with <code>fdatasync</code> before every acknowledgement; a fourth process
runs closed-loop clients (each a <code>KvClient</code> over its own keep-alive HTTP connection to the leader, its own session),
16-byte keys and 128-byte values over 1 000 preloaded keys, a phase of writes then a phase of ReadIndex reads per level,
each after a warm-up. <em>Leader CPU µs/op</em> is the leader process's CPU time divided by the operations (a figure that
depends much less on other load than ops/s); <em>load-gen CPU</em> is the client process's share of one core: when it nears
1, the load generator is the bottleneck.</p>`

export async function renderReport(d: ReportData): Promise<string> {
  const s = d.sections
  const parts: string[] = []
  const isRaftkit = (system: string): boolean => system === 'raftkit'
  const raftkit1 = oneClientWrite(s.concurrency?.data, isRaftkit)
  const etcd1 = oneClientWrite(s.etcd?.data, (system) => system.startsWith('etcd'))
  const vsFloor = (r: LoadRow | undefined): string =>
    r ? floorLine(s.floor, r.system, r.p50Us) : ''
  parts.push(
    frame(
      'concurrency',
      '1. Throughput and latency versus concurrency (3 servers)',
      s.concurrency,
      () => '',
    ),
  )
  if (s.concurrency?.status === 'ok' && s.concurrency.data) {
    const rows = s.concurrency.data
    parts[parts.length - 1] = frame(
      'concurrency',
      '1. Throughput and latency versus concurrency (3 servers)',
      s.concurrency,
      () => LOAD_TEXT + vsFloor(raftkit1) + '%%CONCURRENCY%%' + loadTable(rows),
    ).replace(
      '%%CONCURRENCY%%',
      figure(
        await toSvg(concurrencyCharts(rows)),
        'Writes and ReadIndex reads; log-scale clients.',
      ),
    )
  }
  const bodies: Record<string, string> = {}
  if (s.floor?.data)
    bodies.floor = await floorBody(
      s.floor.data,
      s.floor,
      [raftkit1, etcd1].flatMap((r) => (r ? [{ who: r.system, p50Us: r.p50Us }] : [])),
    )
  if (s.clusterSize?.data)
    bodies.clusterSize =
      figure(
        await toSvg(clusterSizeCharts(s.clusterSize.data)),
        'More servers: each write waits for a majority, and the leader sends every entry to every follower.',
      ) + loadTable(s.clusterSize.data)
  if (s.failover?.data) {
    const settings = s.failover.data
    bodies.failover =
      `<p>kill -9 the leader of 3 real servers, then time until a write is acknowledged (a retrying <code>KvClient</code>: 200 ms per
attempt, 5–20 ms backoff); the killed server is restarted and caught up before the next round.</p>` +
      figure(
        await toSvg(failoverCdf(settings, 'Failover: CDF over kills')),
        'One step per kill; the curve should reach 1 well before twice the maximum timeout.',
      ) +
      table(
        ['election timeout', 'heartbeat ms', 'kills', 'p50 ms', 'p99 ms', 'max ms'],
        settings.map((x) => [
          x.label,
          x.heartbeatMs,
          x.timesMs.length,
          fmtMs(quantile(x.timesMs, 0.5)),
          fmtMs(quantile(x.timesMs, 0.99)),
          fmtMs(quantile(x.timesMs, 1)),
        ]),
      )
  }
  if (s.simulation?.data) bodies.simulation = await simulationBody(s.simulation.data)
  if (s.realElection?.data)
    bodies.realElection = await realElectionBody(s.realElection.data, s.simulation?.data)
  if (s.chaos?.data) {
    const c = s.chaos.data
    bodies.chaos =
      `<p><code>raftkit chaos</code> (kv-service's chaos monkey) on ${c.nodes} servers for ${c.seconds} s, seed ${c.seed}: kill -9 and
restart, network partitions and SIGSTOP pauses, the leader often chosen; its clients' history is then checked for linearizability.
The line is a probe client of the report's own writing one key back to back (1 s deadline per write); black ticks on the axis mark intervals in which a probe write failed.</p>` +
      figure(
        await toSvg(chaosTimeline(c)),
        `Verdict of the linearizability check: <b>${esc(c.verdict === 'ok' ? 'LINEARIZABLE, no acknowledged write lost' : c.verdict.toUpperCase())}</b> over ${fmtInt(c.operationsChecked)} operations; ${c.failovers} leader changes; faults ${esc(JSON.stringify(c.faults))}.`,
      ) +
      `<details><summary>Fault log</summary><pre>${c.events.map((e) => `${e.t.toFixed(1).padStart(6)} s  ${esc(e.text)}`).join('\n')}</pre></details>`
  }
  if (s.durability?.data) {
    const { fsync, rows } = s.durability.data
    bodies.durability =
      `<p>The disk's floor, measured in this run: ${fsync.samples} × (write ${fsync.bytes} bytes + <code>fdatasync</code>) in
${esc(fsync.dir)}, one writer: <b>p50 ${fmtMs(fsync.p50Us / 1000)} ms, p99 ${fmtMs(fsync.p99Us / 1000)} ms</b> (mean ${fmtMs(fsync.meanUs / 1000)} ms).
A 1-client write waits for at least the leader's and one follower's write (they overlap), so its p50 cannot go much below one
fdatasync plus two network hops. <code>storageSync: never</code> skips fdatasync (survives a process crash, not a power loss).</p>` +
      figure(
        await toSvg(
          groupedBars(rows, (r) => `storageSync: ${r.storageSync}`, 'storageSync always vs never'),
        ),
        'Same workload, same servers.',
      ) +
      loadTable(rows)
  }
  if (s.etcd?.data) {
    const rows = s.etcd.data
    bodies.etcd =
      `<p>The same workload against a 3-member etcd cluster started for the run (etcd's defaults: fsync on commit, linearizable
reads), over raw gRPC (etcd's KV Put and Range, the API etcd's own clients use) to the leader, every client multiplexed on one HTTP/2 connection (as one etcd client is),
the same closed loop, key and value sizes, warm-up and phases (bench/etcd.ts). raftkit's clients are <code>KvClient</code>s over
HTTP (sessions, retries), etcd's plain gRPC calls.</p>` +
      vsFloor(oneClientWrite(rows, isRaftkit)) +
      vsFloor(etcd1) +
      figure(
        await toSvg(groupedBars(rows, (r) => r.system, 'raftkit and etcd')),
        'Operations/s; same machine, same run.',
      ) +
      loadTable(rows, true)
  }
  const titles: [string, string][] = [
    ['floor', '1b. The floor: a commit with no raftkit code'],
    ['clusterSize', '2. Versus cluster size'],
    ['failover', '3. Leader failover on real processes'],
    ['simulation', "4. The Raft paper's Figure 16 in simulated time"],
    ['realElection', '4b. Figure 16 on real processes'],
    ['chaos', '5. Availability under chaos'],
    ['durability', '6. The cost of durability'],
    ['etcd', '7. etcd side by side'],
  ]
  for (const [id, title] of titles)
    parts.push(frame(id, title, s[id as keyof typeof s], () => bodies[id] ?? ''))
  const m = d.machine
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>raftkit report ${esc(d.startedAt.slice(0, 10))}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body>
<h1>raftkit: measurements</h1>
<p>${esc(d.profile)} profile, ${esc(d.startedAt)} → ${esc(d.finishedAt)}; produced by <code>${esc(d.command)}</code> at commit
<code>${esc(m.gitCommit)}</code>${m.gitDirty ? ' (with uncommitted changes)' : ''}. Raw data: <code>report.json</code> beside this file.
${d.profile === 'quick' ? '<b>Quick profile: short phases and few trials — a smoke run, not figures to quote.</b>' : ''}</p>
<dl class="machine">
<dt>CPU</dt><dd>${m.cpus} × ${esc(m.cpuModel)}</dd><dt>memory</dt><dd>${m.memoryGiB} GiB</dd>
<dt>OS, Node</dt><dd>${esc(m.os)}, ${esc(m.node)}</dd>
${m.cpuIdle === undefined ? '' : `<dt>idle CPUs</dt><dd>${esc(m.cpuIdle)}</dd>\n`}<dt>load average</dt><dd>${m.loadAverageStart.join(' / ')} at the start, ${m.loadAverageEnd.join(' / ')} at the end (1 / 5 / 15 min); above ${m.cpus} means the processes measured waited for a CPU</dd>
</dl>
<nav><ul>${[['concurrency', '1. Versus concurrency'], ...titles].map(([id, t]) => `<li><a href="#${id}">${esc(t!)}</a></li>`).join('')}</ul></nav>
${parts.join('\n')}
</body></html>
`
}
