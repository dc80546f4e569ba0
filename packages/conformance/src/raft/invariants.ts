/**
 * Raft's safety properties (Figure 3 of the paper), checked continuously while a scenario
 * runs, beyond what the lab's tests look at:
 * - election safety: at most one leader per term over the whole run;
 * - log matching: two live logs that hold an entry with the same index and term are
 *   identical up to there;
 * - leader completeness: an entry seen committed is in the log of every leader elected later
 *   (unless compacted into a snapshot);
 * - state machine safety per term: an index is applied with one term everywhere (the apply
 *   checker compares values).
 * Every check is incremental or throttled so the whole 2A–2D set stays fast.
 */
import type { Entry } from '@raftkit/raft-core'
import { ScenarioFailure } from './failure.js'
import type { RaftNode } from './node.js'
import { bytesEqual } from './values.js'

interface Verified {
  term: number
  upTo: number
}

export interface LiveNode {
  readonly server: number
  readonly node: RaftNode
}

export class InvariantChecker {
  /** term -> the server that led it. */
  private readonly leaders = new Map<number, number>()
  /** index -> term of the entry applied there. */
  private readonly committedTerm: number[] = []
  /** index -> every leader with a term above this was elected after the entry committed. */
  private readonly committedBefore: number[] = []
  private maxTerm = 0
  private readonly verified = new WeakMap<RaftNode, Verified>()

  /** Election safety; also tracks the highest term seen. Call with every live node's state. */
  observe(server: number, state: { readonly term: number; readonly isLeader: boolean }): void {
    if (state.term > this.maxTerm) this.maxTerm = state.term
    if (!state.isLeader) return
    const leader = this.leaders.get(state.term)
    if (leader === undefined) this.leaders.set(state.term, server)
    else if (leader !== server)
      throw new ScenarioFailure(
        `election safety violated: term ${state.term} has two leaders (servers ${leader} and ${server})`,
      )
  }

  /** Records an applied entry; the same index applied with two terms is a safety violation. */
  noteApplied(server: number, index: number, term: number): void {
    const known = this.committedTerm[index]
    if (known === undefined) {
      this.committedTerm[index] = term
      this.committedBefore[index] = this.maxTerm
    } else if (known !== term) {
      throw new ScenarioFailure(
        `state machine safety violated: server ${server} applied index ${index} from term ${term}, another server applied it from term ${known}`,
      )
    }
  }

  /**
   * Leader completeness for one node that claims leadership: every committed entry whose
   * commit preceded this leader's term must be in its log. Incremental: a leader never
   * rewrites its own log during its term, so each index is verified once per (node, term).
   */
  checkLeader(server: number, node: RaftNode, term: number): void {
    let v = this.verified.get(node)
    if (v === undefined || v.term !== term) {
      v = { term, upTo: 0 }
      this.verified.set(node, v)
    }
    const last = this.committedTerm.length - 1
    if (v.upTo >= last) return
    const status = node.status()
    const lo = Math.max(v.upTo + 1, status.firstIndex)
    const hi = last
    const top = Math.min(hi, status.lastIndex)
    const entries = lo <= top ? node.entries(lo, top + 1) : []
    const byIndex = new Map<number, Entry>(entries.map((e) => [e.index, e]))
    for (let k = lo; k <= hi; k++) {
      const committed = this.committedTerm[k]
      const before = this.committedBefore[k]
      if (committed === undefined || before === undefined || before >= term) continue
      const e = byIndex.get(k)
      if (e === undefined || e.term !== committed)
        throw new ScenarioFailure(
          `leader completeness violated: leader ${server} of term ${term} has ${e ? `term ${e.term}` : 'no entry'} at index ${k}, which was committed with term ${committed}`,
        )
    }
    v.upTo = hi
  }

  /** Log matching over every pair of live nodes (O(total log length); call it throttled). */
  checkLogMatching(nodes: readonly LiveNode[]): void {
    const logs = nodes.map(({ server, node }) => ({ server, log: readLog(node) }))
    for (let a = 0; a < logs.length; a++)
      for (let b = a + 1; b < logs.length; b++) {
        const x = logs[a]
        const y = logs[b]
        if (x && y) compareLogs(x.server, x.log, y.server, y.log)
      }
  }
}

interface LogView {
  readonly first: number
  readonly entries: readonly Entry[]
}

function readLog(node: RaftNode): LogView {
  const s = node.status()
  return {
    first: s.firstIndex,
    entries: s.lastIndex >= s.firstIndex ? node.entries(s.firstIndex, s.lastIndex + 1) : [],
  }
}

function compareLogs(sa: number, a: LogView, sb: number, b: LogView): void {
  const lo = Math.max(a.first, b.first)
  const hi = Math.min(a.first + a.entries.length, b.first + b.entries.length) - 1
  // The highest common index where the terms agree: everything from lo up to it must match.
  let top = -1
  for (let k = hi; k >= lo; k--) {
    if (a.entries[k - a.first]?.term === b.entries[k - b.first]?.term) {
      top = k
      break
    }
  }
  for (let k = lo; k <= top; k++) {
    const x = a.entries[k - a.first]
    const y = b.entries[k - b.first]
    if (!x || !y || x.term !== y.term || x.kind !== y.kind || !bytesEqual(x.data, y.data))
      throw new ScenarioFailure(
        `log matching violated: servers ${sa} and ${sb} agree on index ${top} (term ${a.entries[top - a.first]?.term}) but differ at index ${k}`,
      )
  }
}
