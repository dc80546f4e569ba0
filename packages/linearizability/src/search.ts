/**
 * The search for one partition: Wing & Gong's backtracking over the entry list, with Lowe's
 * cache of (linearized set, state) configurations.
 *
 * At each point the candidates are the calls that precede the first return still in the list:
 * those operations have all started, and the one owning that return must take effect before
 * anything that starts later. A legal candidate leading to an unseen configuration is linearized
 * (its entries are lifted out) and the scan restarts from the head. Reaching a return means no
 * candidate works from here: undo the most recent choice and try the next candidate after it.
 *
 * Operations with an unknown outcome have their return at +Infinity, after every other entry.
 * Reaching such a return therefore means every operation with a known outcome is linearized,
 * and the remaining ones may simply never have taken effect: the history is linearizable.
 */
import { Bitset } from './bitset.js'
import { STEPS_PER_CLOCK_CHECK, type Budget } from './budget.js'
import { ConfigurationCache } from './cache.js'
import { buildEntryList, lift, unlift, type Entry } from './entry-list.js'
import type { Operation } from './history.js'
import type { Model } from './model.js'

export interface SearchStats {
  /** Candidate steps tried. */
  steps: number
  /** Legal steps skipped because their configuration had been explored already. */
  cacheHits: number
  /** Configurations stored. */
  cacheSize: number
  backtracks: number
}

export type SearchResult =
  | { readonly kind: 'ok'; readonly order: number[]; readonly stats: SearchStats }
  | { readonly kind: 'illegal'; readonly longestPrefix: number[]; readonly stats: SearchStats }
  | { readonly kind: 'timeout'; readonly longestPrefix: number[]; readonly stats: SearchStats }

interface Choice<S> {
  readonly call: Entry
  /** The state before this operation was applied. */
  readonly stateBefore: S
}

/**
 * Operation indices in the order of their returns (unknown outcomes last, ties by index). The
 * search numbers operations this way: whatever it has linearized is then nearly always every
 * operation up to a point plus a few after it, which the cache's keys store compactly.
 */
function byReturn(ops: readonly Operation<unknown, unknown>[]): number[] {
  return ops
    .map((_, i) => i)
    .sort((a, b) => {
      const ra = ops[a]!.return
      const rb = ops[b]!.return
      return ra === rb ? a - b : ra < rb ? -1 : 1
    })
}

export function searchPartition<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  budget: Budget,
): SearchResult {
  const original = byReturn(history)
  const ops = original.map((i) => history[i]!)
  const head = buildEntryList(ops)
  const cache = new ConfigurationCache<S>(
    model.equal ? (a, b) => model.equal!(a, b) : Object.is,
    model.hash ? (s) => model.hash!(s) : () => 0,
  )
  const linearized = Bitset.ofSize(ops.length)
  const stack: Choice<S>[] = []
  const stats: SearchStats = { steps: 0, cacheHits: 0, cacheSize: 0, backtracks: 0 }
  // The longest prefix linearized so far: while the stack is that prefix (it has only grown since
  // it became the longest), it is not saved; it is saved when the first backtrack would shorten
  // it, and then only from where the stack last stopped agreeing with the saved prefix
  // (`agree`): every entry is copied at most once per time it is pushed. Copying the whole stack
  // instead costs O(n²) on a long history that backtracks a little now and then (a 20 000-operation
  // history of 3 concurrent clients: 8.9 of its 11.6 s).
  const longestPrefix: number[] = []
  let longestLength = 0
  let stackIsLongest = false
  let agree = 0
  const saveLongest = (): void => {
    if (!stackIsLongest) return
    longestPrefix.length = agree
    for (let i = agree; i < stack.length; i++) longestPrefix.push(original[stack[i]!.call.id]!)
    agree = stack.length
    stackIsLongest = false
  }
  let state = model.init()
  let cur = head.next
  let iterations = 0

  /** Applies the candidate if legal and new: lifts it and pushes the choice. */
  const tryLinearize = (call: Entry): boolean => {
    stats.steps++
    const op = ops[call.id]!
    const next = model.step(state, op.input, op.output)
    if (!next.ok) return false
    linearized.set(call.id)
    if (!cache.add(linearized, next.state)) {
      linearized.clear(call.id)
      stats.cacheHits++
      return false
    }
    stack.push({ call, stateBefore: state })
    state = next.state
    lift(call)
    if (stack.length > longestLength) {
      longestLength = stack.length
      stackIsLongest = true
    }
    return true
  }

  const finish = (kind: SearchResult['kind']): SearchResult => {
    stats.cacheSize = cache.size
    saveLongest()
    if (kind === 'ok') return { kind, order: stack.map((c) => original[c.call.id]!), stats }
    return { kind, longestPrefix, stats }
  }

  for (;;) {
    if (cur === null) return finish('ok')
    if (iterations++ % STEPS_PER_CLOCK_CHECK === 0 && budget.expired()) return finish('timeout')
    if (cur.isCall) {
      cur = tryLinearize(cur) ? head.next : cur.next
      continue
    }
    if (cur.pending) return finish('ok')
    saveLongest()
    const undo = stack.pop()
    if (!undo) return finish('illegal')
    if (stack.length < agree) agree = stack.length
    stats.backtracks++
    state = undo.stateBefore
    linearized.clear(undo.call.id)
    unlift(undo.call)
    cur = undo.call.next
  }
}
