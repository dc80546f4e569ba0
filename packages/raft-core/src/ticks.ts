/**
 * Ticks: what the passing of time does to a node. A follower's or candidate's election timer
 * (campaign once it runs out); a leader's checkQuorum round (step down without a quorum heard
 * from within an election timeout), its transfer and snapshot timers, and its heartbeats; and
 * the lease a recently heard leader holds against vote requests. Functions over the node
 * (NodeView, node-view.ts; RaftCore owns the state and calls these from tick() and step()).
 */
import type { NodeView } from './node-view.js'
import { tickTransfer } from './leadership-transfer.js'
import { jointHasQuorum } from './quorum.js'
import { broadcastHeartbeat } from './replication.js'
import { tickSnapshotTransfers } from './snapshot-transfer.js'
import type { NodeId } from './types.js'

export function tickElection(core: NodeView): void {
  core.electionElapsed++
  // A node that may not campaign (learner, removed, joining) lets the timer run on: it must
  // not look "in lease" (inLease) for a leader it stopped hearing from long ago, or it would
  // ignore the vote requests of the voters that need it (etcd's promotable check).
  if (core.electionElapsed >= core.randomizedElectionTimeout && core.mayCampaign()) {
    core.electionElapsed = 0
    core.hup()
  }
}

/** Leader tick (RaftCore.tick marks a pending commit due first: core.ts, commitDue). */
export function tickLeader(core: NodeView): void {
  core.heartbeatElapsed++
  core.electionElapsed++
  if (core.electionElapsed >= core.config.electionTicksMin) {
    core.electionElapsed = 0
    if (core.config.checkQuorum && !quorumActive(core)) {
      core.logger.info(
        'stepping down: no quorum heard from within an election timeout',
        core.fields(),
      )
      core.becomeFollower(core.term, null)
      return
    }
    for (const pr of core.progress.values()) pr.recentActive = false
  }
  tickTransfer(core)
  tickSnapshotTransfers(core)
  if (core.heartbeatElapsed >= core.config.heartbeatTicks) {
    core.heartbeatElapsed = 0
    broadcastHeartbeat(core, core.reads.nextRound())
  }
}

function quorumActive(core: NodeView): boolean {
  const active = new Set<NodeId>([core.id])
  for (const [peer, pr] of core.progress) if (pr.recentActive) active.add(peer)
  return jointHasQuorum(active, core.memberships.current.voters, core.memberships.current.outgoing)
}

/** With checkQuorum, a node that heard from a leader within the minimum election timeout. */
export function inLease(core: NodeView): boolean {
  return (
    core.config.checkQuorum &&
    core.leader !== null &&
    core.electionElapsed < core.config.electionTicksMin
  )
}
