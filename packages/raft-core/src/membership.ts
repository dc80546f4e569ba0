/**
 * Membership: pure helpers over a `Membership` (who votes, who learns, whether the
 * configuration is joint) and `MembershipLog`, the history of configurations in a node's log.
 *
 * A configuration takes effect as soon as its entry is in a node's log, committed or not
 * (thesis §4.1): the node always uses the LATEST configuration in its log. So the history must
 * follow the log exactly: a truncated suffix takes its configurations with it (the node falls
 * back to the previous one), a snapshot carries the configuration in effect at its index.
 * No I/O, no imports but types and errors: a leaf like quorum.ts.
 */
import { ConfigError } from './errors.js'
import type { Index, Membership, NodeId } from './types.js'

export const EMPTY_MEMBERSHIP: Membership = Object.freeze({
  voters: [],
  learners: [],
  outgoing: [],
})

/** The configuration of a cluster's initial voters (no learners, not joint). */
export function membershipOf(voters: readonly NodeId[]): Membership {
  return { voters: [...voters], learners: [], outgoing: [] }
}

export function isJoint(m: Membership): boolean {
  return m.outgoing.length > 0
}

/** A voter of the incoming or (while joint) the outgoing configuration: may vote and campaign. */
export function isVoter(m: Membership, id: NodeId): boolean {
  return m.voters.includes(id) || m.outgoing.includes(id)
}

export function isLearner(m: Membership, id: NodeId): boolean {
  return m.learners.includes(id) && !isVoter(m, id)
}

/** Every node the configuration names (voters, outgoing voters, learners), each once. */
export function members(m: Membership): NodeId[] {
  return [...new Set([...m.voters, ...m.outgoing, ...m.learners])]
}

/** Voters of both halves, each once: the nodes a candidate asks for votes. */
export function allVoters(m: Membership): NodeId[] {
  return [...new Set([...m.voters, ...m.outgoing])]
}

export function sameMembership(a: Membership, b: Membership): boolean {
  const same = (x: readonly NodeId[], y: readonly NodeId[]): boolean =>
    x.length === y.length && x.every((v) => y.includes(v))
  return same(a.voters, b.voters) && same(a.learners, b.learners) && same(a.outgoing, b.outgoing)
}

export function copyMembership(m: Membership): Membership {
  return { voters: [...m.voters], learners: [...m.learners], outgoing: [...m.outgoing] }
}

/** A short human form: "voters [a b] learners [c]" or "joint [a b c]&[a b] learners []". */
export function describeMembership(m: Membership): string {
  const list = (ids: readonly NodeId[]): string => `[${[...ids].sort().join(' ')}]`
  const voters = isJoint(m)
    ? `joint ${list(m.voters)}&${list(m.outgoing)}`
    : `voters ${list(m.voters)}`
  return `${voters} learners ${list(m.learners)}`
}

/**
 * Throws ConfigError (field `field`) unless `m` is well formed: arrays of distinct non-empty
 * strings, at least one voter, no learner among the incoming voters. `outgoing` may be empty.
 */
export function validateMembership(m: unknown, field = 'membership'): Membership {
  const bad = (why: string): never => {
    throw new ConfigError(field, why)
  }
  if (typeof m !== 'object' || m === null) bad('must be an object { voters, learners, outgoing }')
  const o = m as Record<string, unknown>
  const ids = (key: string): NodeId[] => {
    const v = o[key]
    if (!Array.isArray(v)) return bad(`${key} must be an array of node ids`)
    const seen = new Set<string>()
    for (const id of v) {
      if (typeof id !== 'string' || id.length === 0) bad(`${key} must hold non-empty strings`)
      if (seen.has(id as string)) bad(`${key} lists "${String(id)}" twice`)
      seen.add(id as string)
    }
    return v as NodeId[]
  }
  const voters = ids('voters')
  const learners = ids('learners')
  const outgoing = ids('outgoing')
  if (voters.length === 0) bad('needs at least one voter')
  for (const l of learners) if (voters.includes(l)) bad(`"${l}" is both a voter and a learner`)
  return { voters, learners, outgoing }
}

interface ConfigAt {
  readonly index: Index
  readonly membership: Membership
}

/**
 * The configurations of a node's log: `base` is the one in effect at the log's start (the
 * snapshot's, or the initial peers'), `entries` the configuration entries after it, oldest first.
 */
export class MembershipLog {
  private base: ConfigAt
  private entries: ConfigAt[] = []

  constructor(baseIndex: Index, base: Membership) {
    this.base = { index: baseIndex, membership: base }
  }

  /** The configuration in effect: the latest in the log. */
  get current(): Membership {
    return this.last().membership
  }

  /** Index of the entry that holds the current configuration (the base index if none). */
  get currentIndex(): Index {
    return this.last().index
  }

  /** The configuration in effect at `index` (the latest at or before it). */
  at(index: Index): Membership {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const c = this.entries[i] as ConfigAt
      if (c.index <= index) return c.membership
    }
    return this.base.membership
  }

  /** Index of the latest configuration entry at or before `index` (the base index if none). */
  indexAt(index: Index): Index {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const c = this.entries[i] as ConfigAt
      if (c.index <= index) return c.index
    }
    return this.base.index
  }

  /** A configuration entry was appended at `index` (after every one recorded so far). */
  append(index: Index, membership: Membership): void {
    if (index <= this.last().index)
      throw new Error(`invariant: configuration at ${index} after one at ${this.last().index}`)
    this.entries.push({ index, membership })
  }

  /** The log lost every entry from `index` on: their configurations go with them. True if any. */
  truncateFrom(index: Index): boolean {
    const before = this.entries.length
    while (
      this.entries.length > 0 &&
      (this.entries[this.entries.length - 1] as ConfigAt).index >= index
    )
      this.entries.pop()
    return this.entries.length !== before
  }

  /**
   * The log now starts after a snapshot at `index` whose configuration is `membership`.
   * With `keepAfter`, configuration entries after `index` stay (the log kept its suffix).
   */
  rebase(index: Index, membership: Membership, keepAfter: boolean): void {
    this.entries = keepAfter ? this.entries.filter((c) => c.index > index) : []
    this.base = { index, membership }
  }

  private last(): ConfigAt {
    return this.entries[this.entries.length - 1] ?? this.base
  }
}
