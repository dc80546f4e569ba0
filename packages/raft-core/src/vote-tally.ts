/**
 * VoteTally: the votes a node counts while it campaigns — the tally of its current election (a
 * pre-vote or a real one) and the real votes of the term it campaigned in, kept past the
 * election timeout (election.ts counts late grants in them, §5.2). A pure leaf like progress.ts:
 * state, and quorum.ts's joint rule to decide an election; RaftCore says when it resets.
 */
import { jointVoteResult, type VoteResult } from './quorum.js'
import type { Membership, NodeId } from './types.js'

export class VoteTally {
  private readonly votes = new Map<NodeId, boolean>()
  /**
   * The real votes of the election this node ran in the current term, kept past its election
   * timeout (a grant counts for the whole term it was given in, §5.2); null when it did not
   * campaign in this term, or once it led in it. Hearing of another leader of the term does not
   * clear them: election.ts's countLateVote ignores late grants while the node knows a leader
   * (`leader !== null`).
   */
  private termVotes: Map<NodeId, boolean> | null = null

  /**
   * Records `from`'s first answer in this pre-vote's tally, or in this term's real votes, and
   * decides the election by the votes of `membership` (joint: both halves).
   */
  poll(kind: 'pre' | 'real', from: NodeId, granted: boolean, membership: Membership): VoteResult {
    const votes = kind === 'real' && this.termVotes ? this.termVotes : this.votes
    if (!votes.has(from)) votes.set(from, granted)
    return jointVoteResult(votes, membership.voters, membership.outgoing)
  }

  /** Forgets the current election's tally (every role or term change). */
  clearElection(): void {
    this.votes.clear()
  }

  /** This node campaigns in a new term: its real votes of the term start empty. */
  startTerm(): void {
    this.termVotes = new Map()
  }

  /** Forgets the term's real votes (a new term, or this node led in it). */
  endTerm(): void {
    this.termVotes = null
  }

  /** Whether the term's real votes are kept (this node campaigned in it and has not led in it). */
  hasTermVotes(): boolean {
    return this.termVotes !== null
  }
}
