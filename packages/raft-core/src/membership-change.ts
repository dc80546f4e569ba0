/**
 * Membership changes in the running core (thesis ch. 4, joint consensus): the leader's side
 * (proposing a change, leaving the joint configuration on its own once it is committed,
 * stepping down once a configuration without it is committed) and every node's side (keeping
 * the configuration in effect in step with the log). Functions over the node's NodeView
 * (node-view.ts; RaftCore owns the state); the rules about who counts are in quorum.ts (joint
 * majorities).
 *
 * A configuration is in effect as soon as its entry is in the log (thesis §4.1), so a leader
 * counts the new configuration for commits, votes and reads from the moment it appends it,
 * and a follower from the moment it stores it; a truncated entry takes its configuration back.
 */
import { leaveJoint, planChange, type MembershipTarget } from './confchange.js'
import type { NodeView } from './node-view.js'
import { ChangeInProgressError, NotLeaderError, TransferInProgressError } from './errors.js'
import { describeMembership, isJoint, isVoter, members } from './membership.js'
import { decodeMembership, encodeMembership } from './membership-codec.js'
import { Progress } from './progress.js'
import { abandonTransfer } from './leadership-transfer.js'
import type { Entry, Index, Membership, Term } from './types.js'

/**
 * Leader: starts moving the configuration to `target`. Throws NotLeaderError,
 * TransferInProgressError, ChangeInProgressError (a change is under way, or the leader has not
 * committed an entry of its term yet: it appends a noop and the caller retries), or
 * InvalidMembershipError / UnknownNodeError from planning.
 */
export function proposeMembership(
  core: NodeView,
  target: MembershipTarget,
): { index: Index; term: Term } {
  if (core.role !== 'leader') throw new NotLeaderError(core.leader)
  if (core.leadTransferee !== null) throw new TransferInProgressError(core.leadTransferee)
  // The fix for the single-server erratum, kept for joint changes too: a new leader may have a
  // configuration entry of an earlier term in its log that is not known to be committed; only
  // a commit in its own term settles the log it changes (and makes its commit index current).
  if (core.log.term(core.log.committed) !== core.term) {
    if (core.log.lastTerm() !== core.term) core.appendEntry('noop', new Uint8Array(0))
    throw new ChangeInProgressError('leader-not-ready')
  }
  const history = core.memberships
  if (isJoint(history.current) || history.currentIndex > core.log.committed)
    throw new ChangeInProgressError('pending')
  return appendConfig(core, planChange(history.current, target))
}

/** Leader: appends a configuration entry; it is in effect at once. */
export function appendConfig(core: NodeView, m: Membership): { index: Index; term: Term } {
  const r = core.appendEntry('config', encodeMembership(m))
  core.memberships.append(r.index, m)
  membershipChanged(core)
  return r
}

/**
 * Leader, after its commit index moved (or on election): leaves a committed joint
 * configuration, and hands leadership over and steps down once a configuration it is not a
 * voter of is committed (thesis §4.2.2; etcd's StepDownOnRemoval; handOver).
 */
export function afterCommit(core: NodeView): void {
  if (core.role !== 'leader') return
  const history = core.memberships
  if (core.log.committed < history.currentIndex) return
  const m = history.current
  if (isJoint(m)) {
    core.logger.info(
      'joint configuration committed: leaving it',
      core.fields({ to: describeMembership(m) }),
    )
    appendConfig(core, leaveJoint(m))
    return
  }
  if (!isVoter(m, core.id)) handOver(core, m)
}

/**
 * Leader whose removal (configuration `m`, not joint) is committed: sends TimeoutNow to a voter
 * of `m` whose log matches its own — the transferee if a transfer is under way (one candidate,
 * not two), else the first such voter — then steps down (thesis §4.2.2, with the leadership
 * transfer of §3.10 that the thesis suggests for it), so that the cluster has a leader again
 * after one round of votes rather than after an election timeout. The log then ends at C_new or
 * at a noop after it (propose() refuses commands meanwhile), so the voter whose reply committed
 * it has caught up. Stepping down at once, rather than running a transfer that waits for
 * replies: once C_new is committed the members drop this node as a peer.
 */
function handOver(core: NodeView, m: Membership): void {
  const last = core.log.lastIndex()
  const order = core.leadTransferee === null ? m.voters : [core.leadTransferee, ...m.voters]
  const to = order.find((id) => core.progress.get(id)?.match === last)
  core.logger.info(
    to === undefined
      ? 'stepping down: a configuration without this node is committed'
      : 'stepping down: a configuration without this node is committed; handing leadership over',
    core.fields({ membership: describeMembership(m), ...(to === undefined ? {} : { to }) }),
  )
  if (to !== undefined) core.send({ type: 'TimeoutNow', to })
  core.becomeFollower(core.term, null)
}

/**
 * Follower: the configuration entries among `entries[from..]` (about to be appended after
 * prevIndex), decoded. Undefined when one of them is not a configuration: the caller drops the
 * whole message rather than store an entry it could not interpret.
 */
export function decodeConfigs(
  core: NodeView,
  entries: readonly Entry[],
  from: number,
): Array<{ index: Index; membership: Membership }> | undefined {
  const out: Array<{ index: Index; membership: Membership }> = []
  for (let k = from; k < entries.length; k++) {
    const e = entries[k] as Entry
    if (e.kind !== 'config') continue
    try {
      out.push({ index: e.index, membership: decodeMembership(e.data) })
    } catch (error) {
      core.logger.error(
        'AppendEntries holds a malformed configuration entry: ignoring it',
        core.fields({ index: e.index, error: String(error) }),
      )
      return undefined
    }
  }
  return out
}

/** Follower: entries from `firstIndex` on were (re)written with these configurations. */
export function appendedConfigs(
  core: NodeView,
  firstIndex: Index,
  configs: ReadonlyArray<{ index: Index; membership: Membership }>,
): void {
  const dropped = core.memberships.truncateFrom(firstIndex)
  for (const c of configs) core.memberships.append(c.index, c.membership)
  if (dropped || configs.length > 0) membershipChanged(core)
}

/** Installed a snapshot at `index`; `kept`: the log kept the entries after it. */
export function restoredSnapshot(
  core: NodeView,
  index: Index,
  membership: Membership | undefined,
  kept: boolean,
): void {
  const before = core.memberships.current
  core.memberships.rebase(index, membership ?? core.memberships.at(index), kept)
  if (core.memberships.current !== before) membershipChanged(core)
}

/**
 * The configuration in effect changed: recompute who we replicate to and, on a leader, add a
 * Progress for each new member (probing from the end of the log, falling back to a snapshot
 * like any follower) and drop those of removed ones; a transfer to a node that is no longer a
 * voter is abandoned.
 */
export function membershipChanged(core: NodeView): void {
  const m = core.memberships.current
  core.logger.info('configuration in effect', core.fields({ membership: describeMembership(m) }))
  core.others = members(m).filter((id) => id !== core.id)
  if (core.role !== 'leader') return
  for (const id of core.others)
    if (!core.progress.has(id)) {
      // A new Progress starts active: a new member is given an election timeout to answer.
      core.progress.set(id, new Progress(core.log.lastIndex() + 1))
    }
  for (const id of [...core.progress.keys()])
    if (!core.others.includes(id)) core.progress.delete(id)
  if (core.leadTransferee !== null && !isVoter(m, core.leadTransferee))
    abandonTransfer(core, 'leadership transfer abandoned: the target is no longer a voter')
  core.pendingAppends = true
}
