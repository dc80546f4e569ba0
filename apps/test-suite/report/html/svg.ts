/**
 * Vega-Lite spec → SVG string, headless: vega-lite compiles the spec to Vega, vega renders it
 * with its SVG string renderer (no browser, no canvas).
 */
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'

export type ChartSpec = TopLevelSpec

const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e8e8e8' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320, titleLimit: 320 },
  title: { fontSize: 13, anchor: 'start' as const },
  view: { stroke: '#ccc' },
}

export async function toSvg(spec: ChartSpec): Promise<string> {
  const full = {
    ...spec,
    config: { ...CONFIG, ...(spec as { config?: object }).config },
  } as TopLevelSpec
  const view = new vega.View(vega.parse(compile(full).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}
