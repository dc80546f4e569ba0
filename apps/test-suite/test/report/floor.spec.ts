/**
 * The report's floor section (1b): latency-floor.ts's row names read back into what they
 * measured, the section's chart and table on the page, and the line that sets raftkit's (and
 * etcd's) 1-client write p50 beside the commit skeleton's — or says why it cannot.
 */
import { expect } from 'chai'
import {
  floorRowName,
  parseFloorRowName,
  type FloorMeasurement,
} from '../../bench/latency-floor-names.js'
import { runBench } from '../../report/child.js'
import { floorLabel } from '../../report/html/floor.js'
import { renderReport } from '../../report/html/render.js'
import { toFloorRows } from '../../report/sections/floor.js'
import type { FloorData, ReportData, Section } from '../../report/types.js'
import { fixtureFloor, fixtureReport } from './fixture.js'
import { drawnMarks, svgsOf } from './svg-marks.js'

const ABOVE = 'above a commit with no raftkit code on this machine'

function sectionOf(html: string, id: string): string {
  const m = new RegExp(`<section id="${id}">[\\s\\S]*?</section>`).exec(html)
  if (!m) throw new Error(`no section ${id}`)
  return m[0]
}

function withFloor(floor: Section<FloorData> | undefined): ReportData {
  const d = fixtureReport()
  const { floor: _, ...rest } = d.sections
  return { ...d, sections: floor ? { ...rest, floor } : rest }
}

describe('latency-floor row names', () => {
  const cases: FloorMeasurement[] = [
    { kind: 'rtt', transport: 'ws', bytes: 200 },
    { kind: 'rtt', transport: 'tcp', bytes: 64 },
    { kind: 'fsync', sync: 'pool', writers: 3, bytes: 220 },
    { kind: 'fsync', sync: 'zeroed', writers: 1, bytes: 4096 },
    {
      kind: 'commit',
      sync: 'sync',
      burnUs: 12.5,
      cpuUsPerRound: { client: 60, leader: 183, followers: [126, 131] },
    },
    {
      kind: 'commit',
      sync: 'zeroed',
      burnUs: 0,
      cpuUsPerRound: { client: NaN, leader: 1000, followers: [] },
    },
  ]

  it('reads back every measurement it names', () => {
    for (const m of cases)
      expect(parseFloorRowName(floorRowName(m)), floorRowName(m)).to.deep.equal(m)
  })

  it('reads the names latency-floor.ts printed before they were shared with the report', () => {
    // Copied from a run of bench/latency-floor.ts at 270d515.
    expect(
      parseFloorRowName(
        'commit skeleton (fdatasync pool, 0 µs of work per step); CPU µs per round: client 0, leader 1000, followers 1000 0',
      ),
    ).to.deep.equal({
      kind: 'commit',
      sync: 'pool',
      burnUs: 0,
      cpuUsPerRound: { client: 0, leader: 1000, followers: [1000, 0] },
    })
    expect(parseFloorRowName('write+fdatasync (zeroed), 2 at once, 220 bytes')).to.deep.equal({
      kind: 'fsync',
      sync: 'zeroed',
      writers: 2,
      bytes: 220,
    })
  })

  it('turns JSON lines into rows, and refuses a name of no known shape', () => {
    const [row] = toFloorRows([
      { name: 'tcp round trip, 200 bytes', n: 5, p10: 1, p50: 2, p90: 3, p99: 4 },
    ])
    expect(row).to.deep.include({ n: 5, p10: 1, p50: 2, p90: 3, p99: 4 })
    expect(row?.measurement).to.deep.equal({ kind: 'rtt', transport: 'tcp', bytes: 200 })
    expect(() => toFloorRows([{ name: 'ws round trip, 200 frames', n: 1 }])).to.throw(
      /no known shape/,
    )
  })

  it('parses what bench/latency-floor.ts prints (its round trips only: no fdatasync)', async function () {
    this.timeout(30_000)
    const run = await runBench(
      'latency-floor.ts',
      ['--rounds', '20', '--only', 'rtt'],
      () => {},
      25_000,
    )
    const rows = toFloorRows(run.rows)
    expect(rows.map((r) => r.measurement)).to.deep.equal([
      { kind: 'rtt', transport: 'ws', bytes: 200 },
      { kind: 'rtt', transport: 'tcp', bytes: 200 },
    ])
    for (const r of rows) {
      expect(r.n).to.equal(20)
      expect(r.p50).to.be.greaterThan(0)
    }
  })
})

describe('report page: the floor', function () {
  this.timeout(60_000)
  let html = ''
  before(async () => {
    html = await renderReport(fixtureReport())
  })

  it('has section 1b with its chart, one table row per measurement, and the command', () => {
    const floor = sectionOf(html, 'floor')
    expect(floor).to.include('1b. The floor')
    expect(html).to.include('<a href="#floor">')
    const [svg, ...more] = svgsOf(floor)
    expect(more).to.have.length(0)
    // one bar per measurement and per 1-client write (raftkit's and etcd's), a label each
    expect(drawnMarks(svg!)).to.be.at.least(fixtureFloor().rows.length + 2)
    for (const r of fixtureFloor().rows) {
      const label = floorLabel(r.measurement).replace(/&/g, '&amp;')
      expect(floor).to.include(`<td>${label}</td>`)
    }
    expect(floor).to.include('<td class="n">650</td>')
    expect(floor).to.include('60 / 180 / 130 / 125')
    expect(floor).to.include('npx tsx bench/example.ts')
    expect(floor).not.to.include('was not measured in this report')
  })

  it("says so in section 1b when raftkit's 1-client write was not measured", async () => {
    const d = fixtureReport()
    const { concurrency: _, ...rest } = d.sections
    const floor = sectionOf(await renderReport({ ...d, sections: rest }), 'floor')
    expect(floor).to.include("raftkit's 1-client write was not measured in this report")
    expect(floor).not.to.include(ABOVE)
    expect(floor).to.include(
      "etcd 3.4.23's 1-client write p50 is <b>2 000 µs</b>, <b>1 350 µs above",
    )
  })

  it("sets raftkit's 1-client write p50 beside the skeleton's in sections 1, 1b and 7", () => {
    // fixture: the 1-client put p50 is 2 000 µs, the main-thread skeleton's 650 µs
    const line = `<b>1 350 µs ${ABOVE}</b>`
    expect(sectionOf(html, 'concurrency')).to.include(line)
    expect(sectionOf(html, 'concurrency')).to.include('650 µs p50')
    expect(sectionOf(html, 'floor')).to.include(line)
    const etcd = sectionOf(html, 'etcd')
    expect(etcd).to.include(line)
    expect(etcd).to.include(
      "etcd 3.4.23's 1-client write p50 is <b>2 000 µs</b>, <b>1 350 µs above the same",
    )
  })

  it('says below when a write is faster than the skeleton', async () => {
    const d = fixtureReport()
    const rows = fixtureFloor().rows.map((r) => (r.p50 === 650 ? { ...r, p50: 2100 } : r))
    const page = await renderReport({
      ...d,
      sections: {
        ...d.sections,
        floor: { ...d.sections.floor!, data: { ...fixtureFloor(), rows } },
      },
    })
    expect(sectionOf(page, 'concurrency')).to.include(
      '<b>100 µs below a commit with no raftkit code on this machine</b>',
    )
  })

  for (const [what, floor, says] of [
    ['not run', undefined, 'The floor (section 1b) was not run'],
    [
      'skipped',
      { status: 'skipped', note: 'not wanted', commands: [], seconds: 0, loadAverage: 1 },
      'The floor (section 1b) was skipped',
    ],
    [
      'failed',
      {
        status: 'failed',
        note: 'latency-floor.ts exited with 1',
        commands: [],
        seconds: 1,
        loadAverage: 1,
      },
      'The floor (section 1b) FAILED',
    ],
  ] as const)
    it(`when the floor was ${what}, the page says so and renders the rest`, async () => {
      const page = await renderReport(withFloor(floor))
      expect(page).not.to.include(ABOVE)
      expect(sectionOf(page, 'concurrency')).to.include(
        `raftkit's 1-client write p50 is <b>2 000 µs</b>. ${says}: no floor to compare it with`,
      )
      expect(sectionOf(page, 'floor')).to.include(floor ? floor.note : 'Not run in this report.')
      expect(svgsOf(page)).to.have.length(9)
    })
})
