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
  if (matches.length === 0) return 0
  const sorted = [...matches].sort((a, b) => b - a)
  return sorted[majority(matches.length) - 1] ?? 0
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
