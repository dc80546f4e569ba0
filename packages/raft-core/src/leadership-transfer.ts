/**
 * Leadership transfer (thesis §3.10): the leader stops accepting proposals, brings the target
 * up to date, then sends it TimeoutNow; the target starts an election at once, without a
 * pre-vote, and its RequestVote says so, so that voters grant it although they heard from the
 * leader within the election timeout. If the target has not caught up within an election
 * timeout, or has not taken over within an election timeout of the first TimeoutNow, the leader
 * abandons the transfer and accepts proposals again. (Counting the campaign's time from the
 * TimeoutNow: a target that needed most of an election timeout to catch up — a slow disk — is
 * campaigning when an abandon counted from the start would come, and the proposals the old
 * leader then accepts make its log longer than the candidate's, so the voters refuse the
 * candidate and the cluster has no leader for an election timeout.) The transfer state is
 * cleared on every role or term change (core.reset), never left set (hashicorp/raft#696).
 */
import type { NodeView } from './node-view.js'
import { NotLeaderError, UnknownNodeError } from './errors.js'
import { isVoter } from './membership.js'
import type { TimeoutNow } from './messages.js'
import type { NodeId } from './types.js'

/** Leader: starts (or restarts, for another target) a transfer to voter `to`. */
export function transferLeadership(core: NodeView, to: NodeId): void {
  if (core.role !== 'leader') throw new NotLeaderError(core.leader)
  if (to === core.id) return
  if (!isVoter(core.memberships.current, to))
    throw new UnknownNodeError(to, `"${to}" is not a voter: leadership can only go to a voter`)
  if (core.leadTransferee === to) return
  core.logger.info('transferring leadership', core.fields({ to }))
  core.leadTransferee = to
  core.transferElapsed = 0
  core.timeoutNowSent = false
  if (!maybeSendTimeoutNow(core)) core.maybeSendAppends(to, true)
}

/** Sends TimeoutNow once the transferee's log matches ours. True if sent. */
export function maybeSendTimeoutNow(core: NodeView): boolean {
  const to = core.leadTransferee
  if (to === null) return false
  const pr = core.progress.get(to)
  if (pr === undefined || pr.match !== core.log.lastIndex()) return false
  core.send({ type: 'TimeoutNow', to })
  if (!core.timeoutNowSent) {
    // The campaign gets an election timeout of its own (module comment); later sends (each
    // caught-up reply sends one again) do not extend it.
    core.timeoutNowSent = true
    core.transferElapsed = 0
  }
  return true
}

/** Leader tick: abandons a transfer that did not complete in time (module comment). */
export function tickTransfer(core: NodeView): void {
  if (core.leadTransferee === null) return
  core.transferElapsed++
  if (core.transferElapsed >= core.config.electionTicksMin)
    abandonTransfer(core, 'leadership transfer timed out')
}

/**
 * Leader: ends the transfer under way, if any (proposals are accepted again), with all of its
 * state: the timer fields are read only while a transfer is under way and transferLeadership
 * resets them, so a stale value would do no harm, but none is left behind.
 */
export function abandonTransfer(core: NodeView, why: string): void {
  if (core.leadTransferee === null) return
  core.logger.info(why, core.fields({ to: core.leadTransferee }))
  core.leadTransferee = null
  core.transferElapsed = 0
  core.timeoutNowSent = false
}

/** TimeoutNow receiver: a voter campaigns now (no pre-vote; the requests carry `transfer`). */
export function handleTimeoutNow(core: NodeView, m: TimeoutNow): void {
  if (core.role === 'leader') return
  if (!core.mayCampaign()) {
    core.logger.warn('ignoring TimeoutNow: not a voter', core.fields({ from: m.from }))
    return
  }
  core.logger.info('campaigning at the request of the leader', core.fields({ from: m.from }))
  core.campaignNow(true)
}
