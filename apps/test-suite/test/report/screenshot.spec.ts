/**
 * The report page as a browser shows it: the fixture report is rendered to HTML, screenshot by
 * headless Chromium, and the PNG must show the plots — coloured plot pixels far beyond what
 * the same page with its SVGs removed shows (links and the page's own colours). Part of
 * `npm test`; it needs Chromium (Debian's `chromium` package, which `.ci/run` installs). Where
 * Chromium is missing it is skipped with a note, except under CI (`CI=true`, as `.ci/run` sets)
 * or with `RAFTKIT_REQUIRE_CHROMIUM=1`, where a missing browser fails it. `npm run test:report`
 * runs it with the other report tests. The screenshot stays in report/screenshot.png for a
 * person to look at. The floor's chart (section 1b) is also checked on its own: the page
 * without it must show fewer coloured pixels.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { expect } from 'chai'
import { renderReport } from '../../report/html/render.js'
import { fixtureReport } from './fixture.js'
import { colouredPixels, decodePng } from './png.js'
import { svgsOf } from './svg-marks.js'

const OUT = resolve(import.meta.dirname, '..', '..', '..', '..', 'report')

const INSTALL = 'apt-get update && apt-get install -y chromium'

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync(name, ['--version'], { encoding: 'utf8' })
    if (r.status === 0) return name
  }
  return undefined
}

/** A missing browser fails the test under CI or when asked to, and skips it elsewhere. */
function chromiumRequired(): boolean {
  return process.env.CI === 'true' || process.env.RAFTKIT_REQUIRE_CHROMIUM === '1'
}

function screenshot(
  browser: string,
  html: string,
  name: string,
): { png: string; coloured: number } {
  mkdirSync(OUT, { recursive: true })
  const page = join(OUT, `${name}.html`)
  const png = join(OUT, `${name}.png`)
  writeFileSync(page, html)
  const r = spawnSync(
    browser,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      // the machine's network is closed: no background fetches, no update checks
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${join(OUT, `.chromium-${name}`)}`,
      '--hide-scrollbars',
      '--window-size=1280,9000',
      `--screenshot=${png}`,
      `file://${page}`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  )
  if (r.status !== 0) throw new Error(`${browser} failed (${String(r.status)}): ${r.stderr}`)
  return { png, coloured: colouredPixels(decodePng(readFileSync(png))) }
}

/** The browser, or the test skipped (or failed, under CI) without one. */
function browserOrSkip(test: Mocha.Context): string {
  const browser = findChromium()
  if (browser === undefined) {
    if (chromiumRequired()) throw new Error(`no Chromium on the PATH: ${INSTALL}`)
    console.log(`      (skipped: no Chromium on the PATH; ${INSTALL})`)
    test.skip()
  }
  return browser
}

describe('report page in headless Chromium', function () {
  this.timeout(120_000)

  it('shows its plots: coloured plot pixels far beyond the same page without its SVGs', async function () {
    const browser = browserOrSkip(this)
    const html = await renderReport(fixtureReport())
    expect(svgsOf(html).length).to.be.greaterThan(0)
    const withPlots = screenshot(browser, html, 'screenshot')
    const without = screenshot(
      browser,
      html.replace(/<svg[\s\S]*?<\/svg>/g, ''),
      'screenshot-no-plots',
    )
    // Every plot draws at least a few thousand coloured pixels (lines, bars, areas, legends).
    expect(
      withPlots.coloured - without.coloured,
      `${withPlots.png} vs ${without.png}`,
    ).to.be.greaterThan(svgsOf(html).length * 2_000)
  })

  it("shows the floor's chart (section 1b): the page without it has fewer coloured pixels", async function () {
    const browser = browserOrSkip(this)
    const html = await renderReport(fixtureReport())
    const floor = /<section id="floor">[\s\S]*?<\/section>/.exec(html)?.[0] ?? ''
    const [svg] = svgsOf(floor)
    expect(svg).to.be.a('string')
    // An empty SVG of the same size in its place: the rest of the page stays where it was.
    const size = /^<svg[^>]*?( width="[^"]+")[^>]*?( height="[^"]+")/.exec(svg!)
    expect(size, svg!.slice(0, 200)).not.to.equal(null)
    const blank = `<svg xmlns="http://www.w3.org/2000/svg"${size![1]}${size![2]}></svg>`
    const withChart = screenshot(browser, html, 'screenshot-floor')
    const without = screenshot(
      browser,
      html.replace(svg!, () => blank),
      'screenshot-no-floor',
    )
    expect(
      withChart.coloured - without.coloured,
      `${withChart.png} vs ${without.png}`,
    ).to.be.greaterThan(2_000)
  })
})
