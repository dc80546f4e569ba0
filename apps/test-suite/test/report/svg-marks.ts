/**
 * What a rendered Vega SVG must contain to show data: the mark groups (`role-mark`) and, in
 * them, drawn shapes — a path with a non-empty `d`, or a rect/line with a non-zero extent.
 */
export function svgsOf(html: string): string[] {
  return html.match(/<svg[\s\S]*?<\/svg>/g) ?? []
}

/** Number of drawn data shapes (lines, areas, bars, points, rules) in one SVG. */
export function drawnMarks(svg: string): number {
  let n = 0
  for (const group of svg.match(/<g class="mark-[a-z]+ role-mark[\s\S]*?<\/g>/g) ?? []) {
    n += (group.match(/<path[^>]* d="M[^"]+"/g) ?? []).length
    n += (group.match(/<line[^>]* x2="[^"]+"/g) ?? []).length
  }
  return n
}
