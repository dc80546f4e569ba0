/**
 * Human renderings of a partition's history: a text timeline for terminals and logs, and a
 * self-contained HTML page (inline CSS, no scripts or external assets) for a report file.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { CheckResult, PartitionResult } from './checker.js'
import { formatTime } from './explain.js'
import { isPending } from './history.js'
import type { Model } from './model.js'
import { buildTimeline, partitionsToShow, type Timeline, type TimelineRow } from './timeline.js'

function verdictLine(p: PartitionResult<unknown, unknown>): string {
  const n = p.operations.length
  switch (p.verdict) {
    case 'ok':
      return `linearizable (${n} operations; numbers give a witness order)`
    case 'illegal':
      return `NOT linearizable (longest linearizable prefix: ${p.longestPrefix?.length ?? 0} of ${n} operations)`
    case 'timeout':
      return `unknown: the time budget ran out (longest prefix found: ${p.longestPrefix?.length ?? 0} of ${n})`
    case 'skipped':
      return `not checked (${n} operations)`
  }
}

function noteFor(row: TimelineRow<unknown, unknown>): string {
  switch (row.role) {
    case 'linearized':
      return `order ${row.order ?? '?'}`
    case 'failed':
      return '<-- could not be placed'
    case 'omitted':
      return '(never took effect)'
    case 'other':
      return ''
  }
}

/** Column of time `t` on an axis of `width` columns. */
function column(t: Timeline<unknown, unknown>, time: number, width: number): number {
  return Math.round(((time - t.start) / (t.end - t.start)) * (width - 1))
}

function textBar(
  t: Timeline<unknown, unknown>,
  row: TimelineRow<unknown, unknown>,
  width: number,
): string {
  const cells = new Array<string>(width).fill(' ')
  const from = column(t, row.op.call, width)
  const pending = isPending(row.op)
  const to = pending ? width - 1 : column(t, row.op.return, width)
  for (let c = from; c <= to; c++) cells[c] = pending ? '-' : '='
  if (from === to && !pending) cells[from] = '|'
  else {
    cells[from] = '['
    cells[to] = pending ? '>' : ']'
  }
  return cells.join('')
}

export interface TextRenderOptions {
  /** Width of the time axis in columns. Default 60. */
  readonly width?: number
}

/**
 * One line per operation, grouped by client, each drawn as `[====]` over a time axis scaled to
 * the partition (`[---->` when the outcome is unknown), followed by the operation and its role.
 */
export function renderText<S, I, O>(
  model: Model<S, I, O>,
  p: PartitionResult<I, O>,
  options: TextRenderOptions = {},
): string {
  const width = Math.max(10, Math.floor(options.width ?? 60))
  const t = buildTimeline(p)
  const labels = t.lanes.flatMap((lane) => lane.rows.map((r) => `#${r.id}`))
  const idWidth = Math.max(...labels.map((l) => l.length), 2)
  const clientWidth = Math.max(...t.lanes.map((l) => `client ${String(l.clientId)}`.length), 6)
  const gutter = ' '.repeat(clientWidth + idWidth + 3)
  const startLabel = formatTime(t.start)
  const endLabel = formatTime(t.end)
  const axis = `${startLabel}${' '.repeat(Math.max(1, width + 2 - startLabel.length - endLabel.length))}${endLabel}`
  const lines = [`${p.label}: ${verdictLine(p)}`, `${gutter}${axis}`]
  for (const lane of t.lanes) {
    lane.rows.forEach((row, i) => {
      const who = (i === 0 ? `client ${String(lane.clientId)}` : '').padEnd(clientWidth)
      const op = model.describeOperation(row.op.input, row.op.output)
      const note = noteFor(row)
      lines.push(
        `${who} ${`#${row.id}`.padEnd(idWidth)} |${textBar(t, row, width)}| ${op}${note ? `  ${note}` : ''}`.trimEnd(),
      )
    })
  }
  return lines.join('\n')
}

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

const STYLE = `
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 32px; }
.verdict-illegal { color: #b00020; } .verdict-ok { color: #1b5e20; } .verdict-timeout { color: #8a6d00; }
.axis, .row { display: grid; grid-template-columns: 110px 50px 1fr 300px; align-items: center; }
.axis { color: #666; font-size: 12px; border-bottom: 1px solid #ccc; }
.axis .ticks { display: flex; justify-content: space-between; }
.row { height: 24px; border-bottom: 1px dotted #eee; }
.track { position: relative; height: 18px; }
.bar { position: absolute; top: 2px; height: 14px; min-width: 3px; border-radius: 3px; background: #b0bec5; }
.bar.linearized { background: #66bb6a; } .bar.failed { background: #e53935; outline: 2px solid #b00020; }
.bar.omitted { background: repeating-linear-gradient(45deg, #ddd, #ddd 4px, #fff 4px, #fff 8px); }
.bar.pending { border-right: 0; border-radius: 3px 0 0 3px; opacity: 0.75; }
.op { font-family: ui-monospace, monospace; font-size: 12px; padding-left: 8px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.row.failed .op { color: #b00020; font-weight: bold; }
.client { font-weight: bold; } .id { color: #666; font-family: ui-monospace, monospace; }
pre { background: #f6f8fa; padding: 12px; overflow-x: auto; font-size: 12px; }
.legend span { display: inline-block; margin-right: 16px; }
.legend i { display: inline-block; width: 14px; height: 10px; margin-right: 4px; border-radius: 2px; }
`

function htmlRow<S, I, O>(
  model: Model<S, I, O>,
  t: Timeline<I, O>,
  row: TimelineRow<I, O>,
  first: boolean,
  client: string,
): string {
  const span = t.end - t.start
  const left = ((row.op.call - t.start) / span) * 100
  const pending = isPending(row.op)
  const right = pending ? 100 : ((row.op.return - t.start) / span) * 100
  const op = model.describeOperation(row.op.input, row.op.output)
  const note = noteFor(row)
  const title = `#${row.id} client ${client} [${formatTime(row.op.call)}, ${formatTime(row.op.return)}] ${op}${note ? ` ${note}` : ''}`
  const classes = ['bar', row.role, pending ? 'pending' : ''].join(' ').trim()
  return `<div class="row ${row.role}"><div class="client">${first ? escapeHtml(`client ${client}`) : ''}</div><div class="id">#${row.id}</div><div class="track"><div class="${classes}" style="left:${left.toFixed(3)}%;width:${Math.max(0, right - left).toFixed(3)}%" title="${escapeHtml(title)}"></div></div><div class="op" title="${escapeHtml(title)}">${escapeHtml(op)}${note ? ` <em>${escapeHtml(note)}</em>` : ''}</div></div>`
}

function htmlSection<S, I, O>(model: Model<S, I, O>, p: PartitionResult<I, O>): string {
  const t = buildTimeline(p)
  const mid = (t.start + t.end) / 2
  const ticks = [t.start, mid, t.end]
    .map((x) => `<span>${escapeHtml(formatTime(Number(x.toFixed(3))))}</span>`)
    .join('')
  const rows = t.lanes.flatMap((lane) =>
    lane.rows.map((row, i) => htmlRow(model, t, row, i === 0, String(lane.clientId))),
  )
  const explanation = p.explanation ? `<pre>${escapeHtml(p.explanation)}</pre>` : ''
  return `<section><h2>${escapeHtml(p.label)}: <span class="verdict-${p.verdict}">${escapeHtml(verdictLine(p))}</span></h2>
<div class="axis"><div>client</div><div>op</div><div class="ticks">${ticks}</div><div>operation</div></div>
${rows.join('\n')}
${explanation}</section>`
}

/** A complete HTML document showing the given partitions. */
export function renderHtml<S, I, O>(
  model: Model<S, I, O>,
  partitions: readonly PartitionResult<I, O>[],
  title = 'Linearizability report',
): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
<div class="legend"><span><i style="background:#66bb6a"></i>in the witness / longest linearizable prefix (with its order)</span><span><i style="background:#e53935"></i>could not be placed</span><span><i style="background:#b0bec5"></i>other</span><span><i style="background:#ddd"></i>unknown outcome, never took effect</span></div>
${partitions.map((p) => htmlSection(model, p)).join('\n')}
</body></html>
`
}

/**
 * Writes an HTML report of a check to `path` (creating its directory): the failing partitions,
 * else the ones that timed out, else all of them. Returns the path.
 */
export async function writeHtmlReport<S, I, O>(
  path: string,
  model: Model<S, I, O>,
  result: CheckResult<I, O>,
  title?: string,
): Promise<string> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, renderHtml(model, partitionsToShow(result), title), 'utf8')
  return path
}
