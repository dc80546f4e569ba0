import { expect } from 'chai'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkOperations, kvModel, renderHtml, renderText, writeHtmlReport } from '../src/index.js'
import { append, get, put } from './helpers.js'

const stale = [put(1, 0, 10, 'x', '1'), get(2, 20, 30, 'x', ''), append(3, 5, Infinity, 'x', '<b>')]

describe('linearizability: renderings', () => {
  it('draws a text timeline per client on a scaled axis, marking the failure', () => {
    const r = checkOperations(kvModel, stale)
    const text = renderText(kvModel, r.partitions[0]!, { width: 31 })
    const lines = text.split('\n')
    expect(lines[0]).to.equal(
      "key 'x': NOT linearizable (longest linearizable prefix: 2 of 3 operations)",
    )
    // Axis 0..30 over 31 columns: one column per time unit.
    expect(lines[1]).to.match(/^\s+0\s+30$/)
    const row = (id: number) => lines.find((l) => l.includes(` #${id} `))!
    expect(row(0)).to.match(/^client 1 #0 \|\[=========\]\s{20}\| put\('x', '1'\)  order \d$/)
    expect(row(1)).to.match(
      /^client 2 #1 \|\s{20}\[=========\]\| get\('x'\) -> ''  <-- could not be placed$/,
    )
    // The unknown-outcome append runs off the end of the axis.
    expect(row(2)).to.match(/^client 3 #2 \|\s{5}\[-{24}>\| append\('x', '<b>'\)/)
  })

  it('marks a witness order on a linearizable partition', () => {
    const r = checkOperations(kvModel, [put(1, 0, 10, 'x', '1'), get(2, 5, 15, 'x', '')])
    const text = renderText(kvModel, r.partitions[0]!)
    expect(text).to.include('linearizable (2 operations')
    expect(text).to.match(/put\('x', '1'\)\s+order 2/)
    expect(text).to.match(/get\('x'\) -> ''\s+order 1/)
  })

  it('renders a self-contained, escaped HTML page with the failing operation highlighted', () => {
    const r = checkOperations(kvModel, stale)
    const html = renderHtml(kvModel, r.partitions)
    expect(html.startsWith('<!doctype html>')).to.equal(true)
    expect(html).not.to.match(/<script|<link|src=|href=|url\(/i)
    expect(html).to.include('&lt;b&gt;')
    expect(html).not.to.include("'<b>'")
    expect(html).to.match(/<div class="row failed">.*get\(&#39;x&#39;\) -&gt; &#39;&#39;/)
    expect(html).to.include('could not place #1')
  })

  it('writes the failing partitions to an HTML report file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raftkit-lin-'))
    try {
      const history = [...stale, put(1, 0, 1, 'y', 'fine')]
      const r = checkOperations(kvModel, history, { verbose: true })
      const path = join(dir, 'nested', 'report.html')
      expect(await writeHtmlReport(path, kvModel, r, 'kv test')).to.equal(path)
      const html = await readFile(path, 'utf8')
      expect(html).to.equal(renderHtml(kvModel, [r.partitions[0]!], 'kv test'))
      expect(html).not.to.include('key &#39;y&#39;')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
