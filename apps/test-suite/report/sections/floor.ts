/**
 * Section 1b: the floor under a 1-client write on this machine, with no raftkit code on the
 * path. Runs bench/latency-floor.ts (ws and TCP round trips between two Node processes, write +
 * fdatasync 1, 2 and 3 at once, and a 4-process commit skeleton) as a child process and reads
 * its JSON lines back into what each measured (bench/latency-floor-names.ts).
 */
import { tmpdir } from 'node:os'
import { parseFloorRowName } from '../../bench/latency-floor-names.js'
import { runBench } from '../child.js'
import type { Progress } from '../progress.js'
import type { FloorData, FloorRow } from '../types.js'

export interface FloorPlan {
  /** latency-floor.ts's --rounds: round trips, or writes per process, per measurement. */
  readonly rounds: number
}

/** latency-floor.ts's JSON lines → rows; throws on a line of no known shape. */
export function toFloorRows(lines: readonly Record<string, unknown>[]): FloorRow[] {
  return lines.map((l) => {
    const name = String(l.name)
    const measurement = parseFloorRowName(name)
    if (!measurement) throw new Error(`latency-floor.ts printed a row of no known shape: ${name}`)
    return {
      name,
      measurement,
      n: Number(l.n),
      p10: Number(l.p10),
      p50: Number(l.p50),
      p90: Number(l.p90),
      p99: Number(l.p99),
    }
  })
}

export async function runFloor(
  plan: FloorPlan,
  progress: Progress,
): Promise<{ command: string; data: FloorData }> {
  // Generous: 17 child processes' startups, 9 × rounds fdatasyncs, 3 × (rounds + 500) commits.
  const budgetMs = 120_000 + plan.rounds * 100
  const run = await runBench(
    'latency-floor.ts',
    ['--rounds', String(plan.rounds)],
    (l) => progress.info(l),
    budgetMs,
  )
  const rows = toFloorRows(run.rows)
  for (const r of rows.filter((x) => x.measurement.kind === 'commit'))
    progress.info(`${r.name.split(';')[0]}: p50 ${r.p50} µs, p99 ${r.p99} µs`)
  return { command: run.command, data: { rounds: plan.rounds, dir: tmpdir(), rows } }
}
