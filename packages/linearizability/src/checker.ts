/**
 * The entry point: validate, partition (P-compositionality, after Horn & Kroening), then search
 * each partition in turn under one shared time budget.
 */
import { Budget } from './budget.js'
import { InvalidCheckOptionsError, InvalidHistoryError } from './errors.js'
import { diagnose, explainIllegal } from './explain.js'
import { validateOperationTimes, type Operation } from './history.js'
import type { Model, Partition } from './model.js'
import { searchPartition, type SearchStats } from './search.js'

export type CheckVerdict = 'ok' | 'illegal' | 'unknown'

/**
 * ok: linearizable. illegal: proven not linearizable. timeout: the budget ran out while it was
 * searched. skipped: not searched (an earlier partition failed, or the budget was already spent).
 */
export type PartitionVerdict = 'ok' | 'illegal' | 'timeout' | 'skipped'

export interface PartitionResult<I, O> {
  readonly label: string
  readonly verdict: PartitionVerdict
  readonly operations: readonly Operation<I, O>[]
  /** ok: a witness order (indices into `operations`); unknown-outcome ops left out never happened. */
  readonly linearization?: readonly number[]
  /** illegal/timeout: the longest linearizable prefix the search found. */
  readonly longestPrefix?: readonly number[]
  /** illegal: the operation that could not be placed after the longest prefix. */
  readonly failedOp?: number
  /** illegal: a readable account of the failure. */
  readonly explanation?: string
  readonly stats?: SearchStats
}

export interface CheckResult<I, O> {
  readonly result: CheckVerdict
  readonly partitions: PartitionResult<I, O>[]
  /** Set for 'illegal' (the first failing partition) and 'unknown'. */
  readonly explanation?: string
}

export interface CheckOptions {
  /** Time budget for the whole check in ms; when it runs out the result is 'unknown'. Default: none. */
  readonly timeoutMs?: number
  /** Keep checking the remaining partitions after one fails (to report them all). */
  readonly verbose?: boolean
  /** Clock for the budget, in ms. Default: performance.now. */
  readonly now?: () => number
}

function validateOptions(options: CheckOptions): void {
  const t = options.timeoutMs
  if (t !== undefined && (typeof t !== 'number' || Number.isNaN(t) || t < 0)) {
    throw new InvalidCheckOptionsError(
      'timeoutMs',
      `got ${String(t)}; expected a number >= 0 (or Infinity)`,
    )
  }
}

function validateHistory<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
): void {
  validateOperationTimes(history)
  if (!model.validate) return
  history.forEach((op, i) => {
    const problem = model.validate!(op)
    if (problem !== undefined) throw new InvalidHistoryError(i, problem)
  })
}

function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  part: Partition<I, O>,
  budget: Budget,
): PartitionResult<I, O> {
  const { label, operations } = part
  const r = searchPartition(model, operations, budget)
  switch (r.kind) {
    case 'ok':
      return { label, operations, verdict: 'ok', linearization: r.order, stats: r.stats }
    case 'timeout':
      return {
        label,
        operations,
        verdict: 'timeout',
        longestPrefix: r.longestPrefix,
        stats: r.stats,
      }
    case 'illegal': {
      const d = diagnose(model, operations, r.longestPrefix)
      return {
        label,
        operations,
        verdict: 'illegal',
        longestPrefix: r.longestPrefix,
        ...(d.failedOp === undefined ? {} : { failedOp: d.failedOp }),
        explanation: explainIllegal(model, label, operations, d, r.longestPrefix),
        stats: r.stats,
      }
    }
  }
}

function summarise<I, O>(
  partitions: PartitionResult<I, O>[],
  timeoutMs: number,
): CheckResult<I, O> {
  const illegal = partitions.filter((p) => p.verdict === 'illegal')
  const first = illegal[0]
  if (first) {
    const others =
      illegal.length > 1
        ? `\n(${illegal.length - 1} more partition(s) are not linearizable: ${illegal
            .slice(1)
            .map((p) => p.label)
            .join(', ')})`
        : ''
    return { result: 'illegal', partitions, explanation: `${first.explanation ?? ''}${others}` }
  }
  const unfinished = partitions.filter((p) => p.verdict === 'timeout' || p.verdict === 'skipped')
  if (unfinished.length > 0) {
    const ok = partitions.length - unfinished.length
    return {
      result: 'unknown',
      partitions,
      explanation: `linearizability check ran out of its ${timeoutMs} ms budget: ${ok} of ${partitions.length} partition(s) are linearizable, not finished: ${unfinished.map((p) => p.label).join(', ')}`,
    }
  }
  return { result: 'ok', partitions }
}

/**
 * Checks whether `history` is linearizable with respect to `model`. Throws InvalidHistoryError
 * or InvalidCheckOptionsError on malformed input, before doing any work.
 */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  validateOptions(options)
  validateHistory(model, history)
  const timeoutMs = options.timeoutMs ?? Infinity
  const budget = new Budget(options.now ?? (() => performance.now()), timeoutMs)
  const parts = model.partition
    ? model.partition(history)
    : [{ label: 'all operations', operations: history }]
  const results: PartitionResult<I, O>[] = []
  let stop = false
  for (const part of parts) {
    if (stop) {
      results.push({ label: part.label, operations: part.operations, verdict: 'skipped' })
      continue
    }
    const r = checkPartition(model, part, budget)
    results.push(r)
    stop = r.verdict === 'timeout' || (r.verdict === 'illegal' && options.verbose !== true)
  }
  return summarise(results, timeoutMs)
}
