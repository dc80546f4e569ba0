/**
 * The chaos verdict over a CompactKvRecorder, one key at a time: each key's operations are
 * built, checked for linearizability (kvModel, one shared time budget) and for lost
 * acknowledged writes, and dropped before the next key's are built — unless the key is not
 * linearizable, whose check is kept for the HTML report (the keys after it are not searched,
 * as checkOperations stops at the first failing partition; their lost writes still are). Linearizability is local (a history is
 * linearizable iff each key's is), so this is the verdict checkOperations gives on the whole
 * history, which kvModel partitions by key anyway; only the peak memory differs.
 */
import type {
  CheckResult,
  CheckVerdict,
  KvInput,
  KvOutput,
  PartitionResult,
} from '@raftkit/linearizability'
import { checkOperations, kvModel } from '@raftkit/linearizability'
import type { CompactKvRecorder } from './compact-history.js'
import { lostAcknowledgedWrites, type LostWrite } from './workload.js'

export interface KeyByKeyVerdict {
  /** illegal: some key is not linearizable; unknown: the budget ran out first. */
  readonly result: CheckVerdict
  /**
   * What the HTML report shows (writeHtmlReport): the check of the first key found not
   * linearizable, else the checked keys that lost an acknowledged write.
   */
  readonly report: CheckResult<KvInput, KvOutput>
  readonly explanation?: string
  readonly lostWrites: LostWrite[]
  /** Keys checked, and how many there are. */
  readonly checked: number
  readonly keys: number
}

/**
 * Checks every key of `history` within `timeoutMs` (shared), and its acknowledged writes
 * against `finalValues` (lostAcknowledgedWrites). Stops at the first key that is not
 * linearizable; keys left when the budget runs out make the result unknown.
 */
export function checkKeyByKey(
  history: CompactKvRecorder,
  finalValues: ReadonlyMap<string, string>,
  timeoutMs: number,
  now: () => number = () => performance.now(),
): KeyByKeyVerdict {
  const keys = history.keyNames().sort()
  const deadline = now() + timeoutMs
  const lostWrites: LostWrite[] = []
  const unfinished: string[] = []
  const lostKeys: PartitionResult<KvInput, KvOutput>[] = []
  let illegal: CheckResult<KvInput, KvOutput> | undefined
  let checked = 0
  for (const key of keys) {
    const ops = history.operationsOf(key)
    const lost = lostAcknowledgedWrites(ops, finalValues)
    lostWrites.push(...lost)
    if (illegal !== undefined) continue // the lost writes of every key are still reported
    const left = deadline - now()
    if (left <= 0) {
      unfinished.push(key)
      continue
    }
    const r = checkOperations(kvModel, ops, { timeoutMs: left })
    checked++
    if (r.result === 'illegal') illegal = r
    else if (r.result === 'unknown') unfinished.push(key)
    if (lost.length > 0) lostKeys.push(...r.partitions)
  }
  if (illegal !== undefined)
    return {
      result: 'illegal',
      report: illegal,
      explanation: illegal.explanation,
      lostWrites,
      checked,
      keys: keys.length,
    }
  const result: CheckVerdict = unfinished.length === 0 ? 'ok' : 'unknown'
  const counts = {
    report: { result, partitions: lostKeys },
    lostWrites,
    checked,
    keys: keys.length,
  }
  if (unfinished.length === 0) return { result, ...counts }
  return {
    result,
    explanation: `linearizability check ran out of its ${timeoutMs} ms budget: ${keys.length - unfinished.length} of ${keys.length} key(s) are linearizable, not finished: ${unfinished.map((k) => JSON.stringify(k)).join(', ')}`,
    ...counts,
  }
}
