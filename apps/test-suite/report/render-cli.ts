/**
 * Re-renders a report page from its raw data: `report.json` → `index.html` (or --out).
 *
 *   npx tsx --conditions=@raftkit/source report/render-cli.ts report.json [--out index.html]
 */
import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { renderReport } from './html/render.js'
import type { ReportData } from './types.js'

const { values, positionals } = parseArgs({
  options: { out: { type: 'string' } },
  allowPositionals: true,
})
const input = positionals[0]
if (!input) throw new RangeError('usage: render-cli.ts report.json [--out index.html]')
const data = JSON.parse(await readFile(input, 'utf8')) as ReportData
const out = values.out ?? join(dirname(input), 'index.html')
await writeFile(out, await renderReport(data))
console.error(`wrote ${out}`)
