/** HTML building blocks of the report page: escaping, tables, section frames, the style. Pure. */
import type { Section } from '../types.js'

export function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

export function table(
  head: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('')
  const tr = rows
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td${typeof c === 'number' ? ' class="n"' : ''}>${esc(String(c))}</td>`).join('')}</tr>`,
    )
    .join('\n')
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`
}

/** A section: title, status line (time, load), the body when ok, the commands. */
export function frame(
  id: string,
  title: string,
  s: Section<unknown> | undefined,
  body: () => string,
): string {
  if (!s)
    return `<section id="${id}"><h2>${esc(title)}</h2><p class="note">Not run in this report.</p></section>`
  const status =
    s.status === 'ok'
      ? `measured in ${s.seconds} s; 1-minute load average ${s.loadAverage} at the start`
      : s.status === 'skipped'
        ? 'skipped'
        : 'FAILED'
  const note = s.note ? `<p class="note ${s.status}">${esc(s.note)}</p>` : ''
  const cmds = s.commands.length
    ? `<details><summary>Commands (from <code>apps/test-suite</code>)</summary><pre>${s.commands.map(esc).join('\n')}</pre></details>`
    : ''
  return `<section id="${id}"><h2>${esc(title)}</h2><p class="status">${esc(status)}</p>${note}${s.status === 'ok' ? body() : ''}${cmds}</section>`
}

export function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${caption}</figcaption></figure>`
}

export const STYLE = `
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; max-width: 1180px; margin: 2em auto; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; } th { background: #f4f4f4; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; overflow-x: auto; } figcaption { font-size: 13px; color: #555; max-width: 60em; }
figure svg { display: block; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 12px; }
.status { color: #666; font-size: 13px; } .note { background: #fff8e0; padding: 0.4em 0.8em; border-left: 3px solid #e0b000; }
.note.failed { background: #fde8e8; border-color: #d00; white-space: pre-wrap; font-family: monospace; font-size: 12px; }
.note.skipped { background: #eef; border-color: #88c; }
nav ul { columns: 2; } dl.machine dt { float: left; clear: left; width: 11em; color: #666; } dl.machine dd { margin-left: 11em; }
`
