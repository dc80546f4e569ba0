/**
 * Section 1b on the page — the floor under a 1-client write, measured with no raftkit code on
 * the path (bench/latency-floor.ts): its explanation, chart and table — and the line that puts a
 * 1-client write's p50 (raftkit's in section 1, raftkit's and etcd's in section 7) next to the
 * commit skeleton's p50 from the same run, or says why there is none.
 */
import type { FloorMeasurement, FloorSyncMode } from '../../bench/latency-floor-names.js'
import type { FloorData, FloorRow, LoadRow, Section } from '../types.js'
import { esc, figure, table } from './page.js'
import { fmtInt } from './stats.js'
import { toSvg, type ChartSpec } from './svg.js'

const SYNC: Record<FloorSyncMode, string> = {
  sync: 'main thread',
  pool: 'thread pool',
  zeroed: 'main thread, zero-filled file',
}

/** The chart's axis label of a measurement: short. */
function shortLabel(m: FloorMeasurement): string {
  const sync = (mode: FloorSyncMode): string => (mode === 'zeroed' ? 'zero-filled' : SYNC[mode])
  switch (m.kind) {
    case 'rtt':
      return `${m.transport === 'ws' ? 'ws' : 'TCP'} round trip`
    case 'fsync':
      return `fdatasync ×${m.writers}, ${sync(m.sync)}`
    case 'commit':
      return `skeleton, ${sync(m.sync)}${m.burnUs > 0 ? ` + ${m.burnUs} µs/step` : ''}`
  }
}

/** A measurement as the page names it. */
export function floorLabel(m: FloorMeasurement): string {
  switch (m.kind) {
    case 'rtt':
      return `round trip over ${m.transport === 'ws' ? 'ws' : 'TCP'}, ${m.bytes} bytes each way`
    case 'fsync':
      return `write + fdatasync, ${m.writers} at once (${SYNC[m.sync]})`
    case 'commit':
      return `commit skeleton (fdatasync: ${SYNC[m.sync]}${m.burnUs > 0 ? `; ${m.burnUs} µs of work per step` : ''})`
  }
}

/**
 * The skeleton a 1-client write is set against: fdatasync on the main thread, as storage-fs
 * does when its log was idle (its default `inlineSync: 'when-idle'`, the 1-client case), no work.
 */
function skeletonRow(d: FloorData): FloorRow | undefined {
  return d.rows.find(
    (r) =>
      r.measurement.kind === 'commit' &&
      r.measurement.sync === 'sync' &&
      r.measurement.burnUs === 0,
  )
}

/** The 1-client put of `system` among `rows`, if measured. */
export function oneClientWrite(
  rows: readonly LoadRow[] | undefined,
  system: (name: string) => boolean,
): LoadRow | undefined {
  return rows?.find((r) => r.op === 'put' && r.clients === 1 && system(r.system))
}

/**
 * One paragraph: `who`'s 1-client write p50 and how far above the commit skeleton's p50 of the
 * same run it is; or, when the floor was not run, skipped or failed, that there is nothing to
 * compare it with.
 */
export function floorLine(
  floor: Section<FloorData> | undefined,
  who: string,
  p50Us: number,
): string {
  const head = `${esc(who)}'s 1-client write p50 is <b>${fmtInt(p50Us)} µs</b>`
  const none = (why: string): string =>
    `<p class="floor">${head}. ${why}: no floor to compare it with in this report.</p>`
  if (!floor) return none('The floor (section 1b) was not run')
  if (floor.status !== 'ok' || !floor.data)
    return none(`The floor (section 1b) ${floor.status === 'failed' ? 'FAILED' : 'was skipped'}`)
  const sk = skeletonRow(floor.data)
  if (!sk) return none('The floor (section 1b) has no commit skeleton row')
  const diff = p50Us - sk.p50
  const than =
    who === 'raftkit'
      ? 'a commit with no raftkit code on this machine'
      : 'the same commit skeleton (Node processes doing only the hops and the fdatasyncs)'
  return `<p class="floor">${head}, <b>${fmtInt(Math.abs(diff))} µs ${diff >= 0 ? 'above' : 'below'} ${than}</b>
(section 1b's commit skeleton, fdatasync on the main thread: ${fmtInt(sk.p50)} µs p50, in the same run).</p>`
}

const TEXT = `<p>What a 1-client write costs on this machine with <em>no raftkit code on the path</em>
(<code>bench/latency-floor.ts</code>): Node processes doing only the hops and the disk writes, one after another, so that
each sleeps between messages as a server does at 1 client. <em>Round trip</em>: one frame each way between two Node processes,
over a <code>ws</code> WebSocket (noDelay, no compression, as raftkit's links) and over plain TCP. <em>write + fdatasync</em>: 1, 2
or 3 processes at once, each appending 220 bytes to its own file and making it durable: <code>fdatasyncSync</code> on the main
thread, <code>FileHandle.datasync</code> on libuv's thread pool, or on the main thread into a file zero-filled beforehand (no
size or extent change to journal). <em>Commit skeleton</em>: four processes over <code>ws</code> — the client sends a request to a
leader, which sends it to two followers and appends + fdatasyncs it itself; each follower appends + fdatasyncs and
acknowledges; the leader answers once its own sync and one acknowledgement are in. That is the path of a 1-client raftkit
write (section 1) minus everything raftkit does, so its p50 is the floor under raftkit's; it moves with the machine (on the
same VM, from one boot to the next), which is why it is measured in every report.</p>`

/** p50 bars: the floor's measurements, then the 1-client writes they bound. */
function floorChart(d: FloorData, writes: readonly { label: string; p50Us: number }[]): ChartSpec {
  const group = (r: FloorRow): string =>
    r.measurement.kind === 'rtt'
      ? 'round trip'
      : r.measurement.kind === 'fsync'
        ? 'write + fdatasync'
        : 'commit skeleton'
  const values = [
    ...d.rows.map((r) => ({ label: shortLabel(r.measurement), group: group(r), p50: r.p50 })),
    ...writes.map((w) => ({ label: w.label, group: '1-client write', p50: w.p50Us })),
  ]
  const y = {
    field: 'label',
    type: 'nominal',
    sort: null,
    title: null,
    axis: { labelLimit: 240 },
  } as const
  const x = { field: 'p50', type: 'quantitative', title: 'µs, p50' } as const
  return {
    width: 420,
    height: { step: 16 },
    title: 'p50 of each measurement, and of the 1-client writes they bound',
    data: { values },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y,
          x,
          color: {
            field: 'group',
            type: 'nominal',
            title: null,
            sort: null,
            legend: { orient: 'bottom' },
          },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 },
        encoding: { y, x, text: { field: 'p50', type: 'quantitative', format: ',.0f' } },
      },
    ],
  } as unknown as ChartSpec
}

/** Section 1b's body; `writes` are the 1-client write p50s of this report to set beside it. */
export async function floorBody(
  d: FloorData,
  floor: Section<FloorData>,
  writes: readonly { who: string; p50Us: number }[],
): Promise<string> {
  const sk = skeletonRow(d)
  const lines = writes.map((w) => floorLine(floor, w.who, w.p50Us)).join('\n')
  const noRaftkit = writes.some((w) => w.who === 'raftkit')
    ? ''
    : '<p class="floor">raftkit\'s 1-client write was not measured in this report (section 1 not run, or without a 1-client level): nothing of raftkit\'s to set beside the floor.</p>'

  const chart = await toSvg(
    floorChart(
      d,
      writes.map((w) => ({ label: `${w.who}, 1 client`, p50Us: w.p50Us })),
    ),
  )
  const cpu = (r: FloorRow): string =>
    r.measurement.kind === 'commit'
      ? [
          r.measurement.cpuUsPerRound.client,
          r.measurement.cpuUsPerRound.leader,
          ...r.measurement.cpuUsPerRound.followers,
        ]
          .map(fmtInt)
          .join(' / ')
      : ''
  return (
    TEXT +
    (sk
      ? ''
      : '<p class="note">No commit skeleton with fdatasync on the main thread in this run.</p>') +
    noRaftkit +
    lines +
    figure(
      chart,
      `${fmtInt(d.rounds)} rounds per measurement (writes: per process), files in ${esc(d.dir)}. Bars: p50; the table has p10–p99.`,
    ) +
    table(
      [
        'measurement',
        'n',
        'p10 µs',
        'p50 µs',
        'p90 µs',
        'p99 µs',
        'CPU µs per round: client / leader / followers',
      ],
      d.rows.map((r) => [floorLabel(r.measurement), r.n, r.p10, r.p50, r.p90, r.p99, cpu(r)]),
    )
  )
}
