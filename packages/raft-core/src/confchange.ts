/**
 * Planning a membership change (pure): from the configuration in effect and the one asked
 * for, the configuration entry the leader appends.
 *
 * - A change of learners only (add or remove a learner) does not touch any quorum: it is one
 *   entry with the new configuration.
 * - Any change of the voter set goes through joint consensus (thesis §4.3, etcd's ConfChangeV2
 *   with automatic leave): first C_old,new (`voters` = new voters, `outgoing` = old voters),
 *   and once that is committed the leader appends C_new by itself (see core.ts). This holds for
 *   a single added or removed voter too: one code path, and no exposure to the single-server
 *   erratum (thesis §4.1 bug, raft-dev 2015).
 */
import { InvalidMembershipError, UnknownNodeError } from './errors.js'
import { isJoint, validateMembership } from './membership.js'
import type { Membership, NodeId } from './types.js'

/** What a caller asks for: the voters and learners the cluster should end up with. */
export interface MembershipTarget {
  readonly voters: readonly NodeId[]
  readonly learners?: readonly NodeId[]
}

/**
 * The configuration entry that starts moving `current` to `target`. Throws
 * InvalidMembershipError for a target Raft cannot use or that changes nothing, and for a
 * `current` that is joint (the caller refuses changes until it is left).
 */
export function planChange(current: Membership, target: MembershipTarget): Membership {
  if (isJoint(current))
    throw new InvalidMembershipError('the configuration is joint: leave it first')
  let wanted: Membership
  try {
    wanted = validateMembership(
      { voters: target.voters, learners: target.learners ?? [], outgoing: [] },
      'target',
    )
  } catch (error) {
    throw new InvalidMembershipError((error as Error).message)
  }
  const sameSet = (a: readonly NodeId[], b: readonly NodeId[]): boolean =>
    a.length === b.length && a.every((x) => b.includes(x))
  const votersChange = !sameSet(current.voters, wanted.voters)
  if (!votersChange && sameSet(current.learners, wanted.learners))
    throw new InvalidMembershipError('the target configuration is the current one')
  if (!votersChange)
    return { voters: [...current.voters], learners: [...wanted.learners], outgoing: [] }
  return {
    voters: [...wanted.voters],
    learners: [...wanted.learners],
    outgoing: [...current.voters],
  }
}

/** The configuration that leaves the joint configuration `joint` (C_new). */
export function leaveJoint(joint: Membership): Membership {
  return { voters: [...joint.voters], learners: [...joint.learners], outgoing: [] }
}

// --- one-node changes, as targets -----------------------------------------------------------------

export function addLearnerTarget(current: Membership, id: NodeId): MembershipTarget {
  if (current.voters.includes(id)) throw new InvalidMembershipError(`"${id}" is a voter already`)
  if (current.learners.includes(id))
    throw new InvalidMembershipError(`"${id}" is a learner already`)
  return { voters: current.voters, learners: [...current.learners, id] }
}

/** A learner becomes a voter; UnknownNodeError unless `id` is a learner. */
export function promoteTarget(current: Membership, id: NodeId): MembershipTarget {
  if (!current.learners.includes(id))
    throw new UnknownNodeError(id, `"${id}" is not a learner: add it as a learner first`)
  return { voters: [...current.voters, id], learners: current.learners.filter((l) => l !== id) }
}

/** Removes a voter or a learner; UnknownNodeError unless `id` is one. */
export function removeTarget(current: Membership, id: NodeId): MembershipTarget {
  if (!current.voters.includes(id) && !current.learners.includes(id)) throw new UnknownNodeError(id)
  return {
    voters: current.voters.filter((v) => v !== id),
    learners: current.learners.filter((l) => l !== id),
  }
}
