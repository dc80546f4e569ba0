/**
 * Turns a failed search into a diagnosis a person can act on: the longest linearizable prefix
 * found, the operation that could not be placed after it, and why each candidate failed there.
 */
import { isPending, type Operation } from './history.js'
import type { Model } from './model.js'

export interface CandidateVerdict<S> {
  /** Operation index within the partition. */
  readonly id: number
  /** Whether the model accepts the operation right after the prefix. */
  readonly legal: boolean
  /** The state it would lead to, when legal. */
  readonly stateAfter?: S
}

export interface Diagnosis<S> {
  /** States after each operation of the prefix, in order. */
  readonly prefixStates: S[]
  readonly stateAfterPrefix: S
  /**
   * The first operation (by return time) that the prefix leaves out: it had to take effect
   * before anything that started after it returned, and nothing available could precede it.
   */
  readonly failedOp: number | undefined
  /** The operations that had started by the time `failedOp` returned, tried after the prefix. */
  readonly candidates: CandidateVerdict<S>[]
}

/** Whether entry order puts op `a`'s return before op `b`'s (same tie-break as the search). */
function returnsBefore(ops: readonly Operation<unknown, unknown>[], a: number, b: number): boolean {
  const ra = ops[a]!.return
  const rb = ops[b]!.return
  return ra < rb || (ra === rb && a < b)
}

export function diagnose<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  prefix: readonly number[],
): Diagnosis<S> {
  let state = model.init()
  const prefixStates: S[] = []
  for (const id of prefix) {
    const op = ops[id]!
    state = model.step(state, op.input, op.output).state
    prefixStates.push(state)
  }
  const placed = new Set(prefix)
  let failedOp: number | undefined
  ops.forEach((op, id) => {
    if (placed.has(id) || isPending(op)) return
    if (failedOp === undefined || returnsBefore(ops, id, failedOp)) failedOp = id
  })
  const candidates: CandidateVerdict<S>[] = []
  if (failedOp !== undefined) {
    const deadline = ops[failedOp]!.return
    ops.forEach((op, id) => {
      if (placed.has(id) || op.call > deadline) return
      const r = model.step(state, op.input, op.output)
      candidates.push(r.ok ? { id, legal: true, stateAfter: r.state } : { id, legal: false })
    })
  }
  return { prefixStates, stateAfterPrefix: state, failedOp, candidates }
}

export function formatTime(t: number): string {
  return t === Infinity ? '?' : String(t)
}

/** One line per operation: index, client, interval and what it did. */
export function describeOperationLine<S, I, O>(
  model: Model<S, I, O>,
  op: Operation<I, O>,
  id: number,
): string {
  const interval = `[${formatTime(op.call)}, ${formatTime(op.return)}${isPending(op) ? ')' : ']'}`
  const unknown = isPending(op) ? '  (outcome unknown: may or may not have taken effect)' : ''
  return `#${id}  client ${String(op.clientId)}  ${interval}  ${model.describeOperation(op.input, op.output)}${unknown}`
}

/** Operation indices sorted by call time (then index). */
export function byCallTime(ops: readonly Operation<unknown, unknown>[]): number[] {
  return ops.map((_, i) => i).sort((a, b) => ops[a]!.call - ops[b]!.call || a - b)
}

export function explainIllegal<S, I, O>(
  model: Model<S, I, O>,
  label: string,
  ops: readonly Operation<I, O>[],
  d: Diagnosis<S>,
  prefix: readonly number[],
): string {
  const describe = (id: number) => model.describeOperation(ops[id]!.input, ops[id]!.output)
  const lines = [`history is not linearizable: ${label} (${ops.length} operations)`]
  lines.push('operations, by call time:')
  for (const id of byCallTime(ops)) lines.push(`  ${describeOperationLine(model, ops[id]!, id)}`)
  lines.push(
    `longest linearizable prefix found (${prefix.length} of ${ops.length}), starting from state ${model.describeState(model.init())}:`,
  )
  if (prefix.length === 0) lines.push('  (empty: not even the first operation can be placed)')
  prefix.forEach((id, i) => {
    lines.push(
      `  ${i + 1}. #${id} ${describe(id)}  -> state ${model.describeState(d.prefixStates[i]!)}`,
    )
  })
  if (d.failedOp === undefined) return lines.join('\n')
  const failed = ops[d.failedOp]!
  lines.push(
    `could not place #${d.failedOp} ${describe(d.failedOp)} (client ${String(failed.clientId)}, returned at ${formatTime(failed.return)}):`,
    `  it must take effect before anything that started after it returned, but from state ${model.describeState(d.stateAfterPrefix)} no operation that had started by then leads to a linearization:`,
  )
  for (const c of d.candidates) {
    const verdict = c.legal
      ? `legal (-> state ${model.describeState(c.stateAfter as S)}), but every continuation from there fails`
      : `illegal in state ${model.describeState(d.stateAfterPrefix)}`
    lines.push(`  #${c.id} ${describe(c.id)}: ${verdict}`)
  }
  return lines.join('\n')
}
