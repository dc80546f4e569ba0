/** Small statistics for the report's tables and plots: quantiles and CDF points. Pure. */

/**
 * The q-quantile (0..1), nearest-rank. Censored values (null or Infinity: no result within the
 * limit) rank above every other, so a median among them is Infinity; NaN when there are none.
 */
export function quantile(values: readonly (number | null)[], q: number): number {
  const s = values
    .map((v) => (v === null ? Infinity : v))
    .filter((v) => !Number.isNaN(v))
    .sort((a, b) => a - b)
  if (s.length === 0) return NaN
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}

/**
 * CDF points over all trials (censored ones, null or Infinity, count in the denominator and
 * never arrive): one point per distinct value, fraction of trials at or below it.
 */
export function cdf(values: readonly (number | null)[]): { ms: number; fraction: number }[] {
  const n = values.length
  const s = values
    .filter((v): v is number => v !== null && Number.isFinite(v))
    .sort((a, b) => a - b)
  const out: { ms: number; fraction: number }[] = []
  for (let i = 0; i < s.length; i++) {
    if (i + 1 < s.length && s[i + 1] === s[i]) continue
    out.push({ ms: s[i]!, fraction: (i + 1) / n })
  }
  return out
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2)
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US').replace(/,/g, ' ') : '—'
}
