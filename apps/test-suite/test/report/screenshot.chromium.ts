/**
 * The report page as a browser shows it: the fixture report is rendered to HTML, screenshot by
 * headless Chromium, and the PNG must show the plots — coloured plot pixels far beyond what
 * the same page with its SVGs removed shows (links and the page's own colours). Not in the
 * default `npm test` (it needs Chromium: Debian's `chromium` package); run it with
 * `npm run test:report` from the repository root. The screenshot stays in
 * report/screenshot.png for a person to look at.
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

function chromium(): string {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync(name, ['--version'], { encoding: 'utf8' })
    if (r.status === 0) return name
  }
  throw new Error('no Chromium on the PATH: apt-get update && apt-get install -y chromium')
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

describe('report page in headless Chromium', function () {
  this.timeout(120_000)

  it('shows its plots: coloured plot pixels far beyond the same page without its SVGs', async () => {
    const browser = chromium()
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
})
