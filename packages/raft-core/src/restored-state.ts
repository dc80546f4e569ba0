/**
 * validateRestored: the checks RawNode makes of the state it is restored from (what storage
 * loaded), before the core is built from it — a hard state, entries contiguous after the
 * snapshot with terms that never go down nor past the hard state's term, configurations that
 * decode, and a commit index within the log. A bad restored state is a ConfigError naming the
 * field, never a node that starts on it. A pure leaf.
 */
import { ConfigError } from './errors.js'
import { validateMembership } from './membership.js'
import { decodeMembership } from './membership-codec.js'
import type { PersistedState } from './storage.js'

export function validateRestored(r: PersistedState): void {
  const bad = (why: string): never => {
    throw new ConfigError('restored', why)
  }
  if (r === undefined || r.hardState === undefined || !Array.isArray(r.entries))
    bad('must be a PersistedState')
  const { term, votedFor, commit } = r.hardState
  if (!Number.isSafeInteger(term) || term < 0)
    bad(`hardState.term must be a non-negative integer, got ${term}`)
  if (votedFor !== null && (typeof votedFor !== 'string' || votedFor.length === 0))
    bad(`hardState.votedFor must be a node id or null`)
  const snapIndex = r.snapshot?.meta.index ?? 0
  const snapTerm = r.snapshot?.meta.term ?? 0
  let prevTerm = snapTerm
  r.entries.forEach((e, i) => {
    if (e.index !== snapIndex + 1 + i)
      bad(`entries[${i}].index is ${e.index}, expected ${snapIndex + 1 + i}`)
    if (e.term < prevTerm) bad(`entries[${i}].term ${e.term} is lower than the term before it`)
    if (e.term > term) bad(`entries[${i}].term ${e.term} is above hardState.term ${term}`)
    prevTerm = e.term
    if (e.kind === 'config') {
      try {
        decodeMembership(e.data)
      } catch (error) {
        bad(`entries[${i}] is not a valid configuration: ${(error as Error).message}`)
      }
    }
  })
  if (r.snapshot?.meta.membership !== undefined) {
    try {
      validateMembership(r.snapshot.meta.membership)
    } catch (error) {
      bad(`snapshot.meta.membership: ${(error as Error).message}`)
    }
  }
  if (!Number.isSafeInteger(commit) || commit < 0 || commit > snapIndex + r.entries.length)
    bad(`hardState.commit ${commit} is beyond the last entry ${snapIndex + r.entries.length}`)
}
