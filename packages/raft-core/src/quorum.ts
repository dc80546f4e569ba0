/**
 * Pure majority arithmetic (etcd's quorum/majority.go): no state, no side effects, so the
 * rules that make Raft safe can be tested on their own.
 */
import type { Index, NodeId } from './types.js'

/** Smallest number of voters that forms a majority of `voters`. */
export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1
}

/**
 * The highest index that a majority has matched: sort the match indexes descending and take
 * the majority-th one. `matches` holds one entry per voter (the leader included).
 */
export function committedIndex(matches: readonly Index[]): Index {
  return majorityMatched(matches.slice())
}

/**
 * committedIndex of `sorted`, which it sorts in place (descending) by insertion:
 * Array.prototype.sort allocates its work space (about 2 KB in V8, whatever the length) on each
 * call, and a leader needs this on every AppendEntries reply.
 */
function majorityMatched(sorted: Index[]): Index {
  const n = sorted.length
  if (n === 0) return 0
  for (let i = 1; i < n; i++) {
    const v = sorted[i] as Index
    let j = i - 1
    for (; j >= 0 && (sorted[j] as Index) < v; j--) sorted[j + 1] = sorted[j] as Index
    sorted[j + 1] = v
  }
  return sorted[majority(n) - 1] ?? 0
}

export type VoteResult = 'won' | 'lost' | 'pending'

/** Outcome of an election given the votes received so far (absent voters have not answered). */
export function voteResult(
  votes: ReadonlyMap<NodeId, boolean>,
  voters: readonly NodeId[],
): VoteResult {
  const need = majority(voters.length)
  let granted = 0
  let rejected = 0
  for (const voter of voters) {
    const vote = votes.get(voter)
    if (vote === true) granted++
    else if (vote === false) rejected++
  }
  if (granted >= need) return 'won'
  if (rejected > voters.length - need) return 'lost'
  return 'pending'
}

/** True when `acked` (a set of voters, the leader included) is a majority of `voters`. */
export function hasQuorum(acked: ReadonlySet<NodeId>, voters: readonly NodeId[]): boolean {
  let n = 0
  for (const voter of voters) if (acked.has(voter)) n++
  return n >= majority(voters.length)
}

// -----------------------------------------------------------------------------------------------
// Joint quorums (thesis §4.3; etcd's quorum/joint.go): while a configuration is joint, every
// decision needs a majority of the incoming voters AND a majority of the outgoing ones. With no
// outgoing voters these reduce to the plain majority functions above.

/** The highest index matched by a majority of `incoming` and (if any) of `outgoing`. */
export function jointCommittedIndex(
  match: (id: NodeId) => Index,
  incoming: readonly NodeId[],
  outgoing: readonly NodeId[],
): Index {
  // map() already makes the arrays this sorts.
  const inc = majorityMatched(incoming.map(match))
  if (outgoing.length === 0) return inc
  return Math.min(inc, majorityMatched(outgoing.map(match)))
}

/** Won when both halves are won; lost when either is lost; pending otherwise. */
export function jointVoteResult(
  votes: ReadonlyMap<NodeId, boolean>,
  incoming: readonly NodeId[],
  outgoing: readonly NodeId[],
): VoteResult {
  const inc = voteResult(votes, incoming)
  if (outgoing.length === 0) return inc
  const out = voteResult(votes, outgoing)
  if (inc === 'lost' || out === 'lost') return 'lost'
  if (inc === 'won' && out === 'won') return 'won'
  return 'pending'
}

/** True when `acked` holds a majority of `incoming` and (if any) of `outgoing`. */
export function jointHasQuorum(
  acked: ReadonlySet<NodeId>,
  incoming: readonly NodeId[],
  outgoing: readonly NodeId[],
): boolean {
  return hasQuorum(acked, incoming) && (outgoing.length === 0 || hasQuorum(acked, outgoing))
}
