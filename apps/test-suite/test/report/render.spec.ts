/**
 * The report page (report/html/render.ts): one self-contained HTML file whose every plot is an
 * inline SVG with drawn data marks, with the tables and commands behind them.
 */
import { expect } from 'chai'
import { renderReport } from '../../report/html/render.js'
import { cdf, quantile } from '../../report/html/stats.js'
import { fixtureReport } from './fixture.js'
import { drawnMarks, svgsOf } from './svg-marks.js'

describe('report page', function () {
  this.timeout(60_000)
  let html = ''
  before(async () => {
    html = await renderReport(fixtureReport())
  })

  it('has one inline SVG per plot of every section, each with drawn data marks', () => {
    const svgs = svgsOf(html)
    // concurrency, floor, cluster size, failover, 2 × Figure 16, real vs simulated, chaos,
    // durability, etcd
    expect(svgs).to.have.length(10)
    for (const svg of svgs) expect(drawnMarks(svg), svg.slice(0, 200)).to.be.greaterThan(0)
  })

  it('is self-contained: no script, no external resource', () => {
    expect(html).not.to.match(/<script|<link|src="http|href="http/i)
  })

  it('shows the tables, the commands, the machine and the load average', () => {
    expect(html).to.include('<table>')
    expect(html).to.include('npx tsx bench/example.ts')
    expect(html).to.include('Fixture CPU')
    expect(html).to.include('0.5 / 0.4 / 0.3')
    expect(html).to.include('LINEARIZABLE')
  })

  it('marks a failed section as failed with its error, and still renders the others', async () => {
    const d = fixtureReport()
    const broken = {
      ...d,
      sections: {
        ...d.sections,
        etcd: {
          status: 'failed' as const,
          note: 'etcd exited with 1',
          commands: [],
          seconds: 1,
          loadAverage: 1,
        },
      },
    }
    const page = await renderReport(broken)
    expect(page).to.include('FAILED')
    expect(page).to.include('etcd exited with 1')
    expect(svgsOf(page)).to.have.length(9)
  })
})

describe('report statistics', () => {
  it('a censored trial counts in the CDF denominator and never arrives', () => {
    expect(cdf([10, 20, null, 20])).to.deep.equal([
      { ms: 10, fraction: 0.25 },
      { ms: 20, fraction: 0.75 },
    ])
  })

  it('quantiles are nearest-rank, and censored trials rank above every result', () => {
    const xs = [5, 1, 4, 2, 3]
    expect(quantile(xs, 0)).to.equal(1)
    expect(quantile(xs, 0.5)).to.equal(3)
    expect(quantile(xs, 1)).to.equal(5)
    expect(quantile([1, null, null], 0.5)).to.equal(Infinity)
    expect(quantile([1, 2, null], 0.5)).to.equal(2)
    expect(quantile([], 0.5)).to.be.NaN
  })
})
