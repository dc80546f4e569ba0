/**
 * Elections (§5.2; pre-vote, thesis §9.6): campaigning, the RequestVote receiver and counting
 * the replies, late real votes of the term included. Functions over the node (NodeView,
 * node-view.ts; RaftCore owns the state and the role transitions, vote-tally.ts the votes).
 */
import type { NodeView } from './node-view.js'
import type { RequestVote, RequestVoteReply } from './messages.js'
import { allVoters } from './membership.js'

export function campaign(core: NodeView, kind: 'pre' | 'real', transfer = false): void {
  if (kind === 'pre') core.becomePreCandidate()
  else core.becomeCandidate()
  const term = kind === 'pre' ? core.term + 1 : core.term
  if (core.tally.poll(kind, core.id, true, core.memberships.current) === 'won')
    return won(core, kind)
  for (const to of allVoters(core.memberships.current)) {
    if (to === core.id) continue
    core.send({
      type: 'RequestVote',
      to,
      term,
      lastLogIndex: core.log.lastIndex(),
      lastLogTerm: core.log.lastTerm(),
      preVote: kind === 'pre',
      ...(transfer ? { transfer: true } : {}),
    })
  }
}

function won(core: NodeView, kind: 'pre' | 'real'): void {
  if (kind === 'pre') campaign(core, 'real')
  else core.becomeLeader()
}

/** RequestVote receiver (Figure 2) and the pre-vote variant. */
export function handleRequestVote(core: NodeView, m: RequestVote): void {
  const canVote =
    core.votedFor === m.from ||
    (core.votedFor === null && core.leader === null) ||
    (m.preVote && m.term > core.term)
  const grant = canVote && core.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)
  // A granted pre-vote answers in the probed term so the pre-candidate can count it.
  core.send({
    type: 'RequestVoteReply',
    to: m.from,
    term: grant && m.preVote ? m.term : core.term,
    granted: grant,
    preVote: m.preVote,
  })
  if (grant && !m.preVote) {
    // The vote is in this Ready's hard state: persisted before the reply leaves (bug #8).
    core.votedFor = m.from
    core.electionElapsed = 0
  }
}

export function handleVoteReply(core: NodeView, m: RequestVoteReply): void {
  if (!m.preVote && core.role !== 'candidate') return countLateVote(core, m)
  if (m.preVote && core.role !== 'pre-candidate') return
  if (m.preVote && m.granted && m.term !== core.term + 1) return
  const kind = m.preVote ? 'pre' : 'real'
  const result = core.tally.poll(kind, m.from, m.granted, core.memberships.current)
  if (result === 'won') won(core, kind)
  else if (result === 'lost') core.becomeFollower(core.term, null)
}

/**
 * A real vote of this term that arrives after the election timer made this node a
 * pre-candidate (or a follower that lost its pre-vote): "a candidate wins an election if it
 * receives votes from a majority of the servers in the full cluster for the same term" (§5.2),
 * whenever they arrive. Safe: every grant was given against this node's log as it still is
 * (in this term only a leader of it could change the log, and none exists if these votes
 * make a majority), and each voter votes once per term. Without it, replies delayed past the
 * timer (long reordering) can stall elections indefinitely (TestFigure8Unreliable2C seed 288).
 */
function countLateVote(core: NodeView, m: RequestVoteReply): void {
  // termVotes is null when this node did not campaign in this term or has led in it.
  if (!core.tally.hasTermVotes() || core.leader !== null) return
  if (core.tally.poll('real', m.from, m.granted, core.memberships.current) === 'won')
    core.becomeLeader()
}
