/** The chaos monkey's closing summary: operations, failovers, faults, lost writes, verdict. */
import type { CheckVerdict } from '@raftkit/linearizability'
import type { NodeProcesses } from './processes.js'
import type { FaultKind } from './schedule.js'
import type { DuplicatedWrite, LostWrite, OpCounts, Workload } from './workload.js'

export interface ChaosResult {
  readonly seed: number
  readonly dir: string
  /** ok: linearizable and no acknowledged write lost. */
  readonly verdict: CheckVerdict
  readonly lostWrites: readonly LostWrite[]
  /** Written values a final read shows more than once (a write run twice). */
  readonly duplicatedWrites: readonly DuplicatedWrite[]
  /** The cluster was a sharded one (migrate faults, leaders per group). */
  readonly sharded: boolean
  /** Sharded: configuration changes the controller accepted from migrate faults. */
  readonly migrations: number
  /** Sharded: what was still moving when the settle deadline passed (then exit code 1). */
  readonly unsettled?: string
  readonly ops: OpCounts
  readonly operationsRecorded: number
  /** Leader changes observed by polling /v1/status (new leader or new term). */
  readonly failovers: number
  readonly faults: Readonly<Record<FaultKind, number>>
  readonly interrupted: boolean
  readonly explanation?: string
  readonly reportPath?: string
  /** 0 pass, 1 illegal history, lost or repeated writes, shards stuck, 3 inconclusive, 130 interrupted. */
  readonly exitCode: number
}

export function summary(r: ChaosResult, workload: Workload, nodes: NodeProcesses): string {
  const b = r.ops.byOp
  const lines = [
    '',
    `chaos summary (seed ${r.seed})${r.interrupted ? ' — interrupted' : ''}`,
    `  operations: ${r.ops.ok + r.ops.unknown} by the workload — ${r.ops.ok} ok, ${r.ops.unknown} unknown outcome` +
      ` (get ${b.get.ok}/${b.get.unknown}, put ${b.put.ok}/${b.put.unknown}, append ${b.append.ok}/${b.append.unknown} ok/unknown);` +
      ` ${r.operationsRecorded} in the checked history`,
    `  failovers observed: ${r.failovers}`,
    `  faults injected: ${r.faults.kill} kill -9 + restart, ${r.faults.partition} partitions, ${r.faults.pause} pauses, ` +
      (r.sharded
        ? `${r.faults.migrate} migrations (${r.migrations} configurations changed by the controller)`
        : `${r.faults.transfer} leadership transfers, ${r.faults.member} membership changes`),
  ]
  if (nodes.unexpectedExits.length > 0)
    lines.push(
      `  unexpected node exits: ${nodes.unexpectedExits.map((e) => `${e.id} (${e.exit.signal ?? String(e.exit.code)})`).join(', ')} — see the node logs`,
    )
  for (const [name, message] of workload.errors)
    lines.push(`  client error seen: ${name}: ${message}`)
  if (r.lostWrites.length > 0) {
    lines.push(`  LOST ACKNOWLEDGED WRITES: ${r.lostWrites.length}`)
    for (const w of r.lostWrites.slice(0, 10))
      lines.push(
        `    ${w.op} ${w.key} ${w.value} acknowledged, final value ${JSON.stringify(w.finalValue.slice(0, 200))}`,
      )
  }
  if (r.duplicatedWrites.length > 0) {
    lines.push(`  WRITES RUN TWICE: ${r.duplicatedWrites.length}`)
    for (const d of r.duplicatedWrites.slice(0, 10))
      lines.push(`    ${d.value} appears ${d.times} times in ${d.key}`)
  }
  if (r.unsettled !== undefined)
    lines.push(`  SHARDS DID NOT SETTLE after the repair: ${r.unsettled}`)
  const verdict =
    r.verdict === 'ok'
      ? 'LINEARIZABLE, no acknowledged write lost or run twice'
      : r.verdict === 'illegal'
        ? 'NOT LINEARIZABLE'
        : 'INCONCLUSIVE (the checker ran out of its time budget)'
  lines.push(`  verdict: ${verdict}`)
  if (r.verdict !== 'ok' && r.explanation) lines.push(r.explanation)
  if (r.reportPath) lines.push(`  report: ${r.reportPath}`)
  return lines.join('\n') + '\n'
}
