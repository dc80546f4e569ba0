/**
 * Random membership changes for the key/value chaos scenarios (issue 13): while the clients
 * run, about every 100–600 ms the churner asks the current leader for one of
 *
 *  - add a learner (a server that is not a member),
 *  - promote a learner,
 *  - remove a voter (the leader too) or a learner,
 *  - replace a voter: shut it down, add a spare as a learner, promote it, remove the dead one,
 *    then restart the removed server (it is no member now, and may be added back later),
 *  - transfer leadership to another voter,
 *
 * keeping between MIN_VOTERS and MAX_VOTERS voters. Every call is made on the server that
 * claims leadership (possibly a deposed one in a minority) and may fail with a typed RaftError
 * (not leader, change in progress, transfer aborted, dropped...): that is counted, not a
 * failure. Anything else fails the scenario. A call that has not settled within CALL_WAIT_MS
 * is left behind (its leader is usually partitioned away). All choices come from an Rng seeded
 * from the cluster's seed and the round, so a run replays from its seed.
 */
import { RaftError, createRng, isJoint, seedFrom } from '@raftkit/raft-core'
import type { Membership, NodeId, Raft, Rng, TimerHandle } from '@raftkit/raft-core'
import type { KvCluster } from '../harness.js'

export type ChurnKind = 'add-learner' | 'promote' | 'remove' | 'replace' | 'transfer'

export const CHURN_KINDS: readonly ChurnKind[] = Object.freeze([
  'add-learner',
  'promote',
  'remove',
  'replace',
  'transfer',
])

/** Fewest and most voters the churner leaves. */
export const MIN_VOTERS = 3
export const MAX_VOTERS = 6
/** How long the churner waits for one call before moving on. */
export const CALL_WAIT_MS = 2000

/** What the churner did: calls made, settled successfully, failed (typed), left unsettled. */
export interface ChurnStats {
  attempted: number
  succeeded: number
  failed: number
  unsettled: number
  /** Successful calls by kind ("add-learner": 3, ...). */
  readonly done: Partial<Record<ChurnKind, number>>
}

export function newChurnStats(): ChurnStats {
  return { attempted: 0, succeeded: 0, failed: 0, unsettled: 0, done: {} }
}

export function formatChurnStats(s: ChurnStats): string {
  const kinds = CHURN_KINDS.map((k) => `${k} ${s.done[k] ?? 0}`).join(', ')
  return `membership churn: ${s.attempted} calls, ${s.succeeded} ok (${kinds}), ${s.failed} refused, ${s.unsettled} unsettled`
}

interface Leader {
  readonly index: number
  readonly raft: Raft
  readonly committed: Membership
}

/**
 * Churns until `done()`; `round` varies the randomness per round. Resolves once the last call
 * has settled or been left behind and every server it shut down runs again.
 */
export async function runChurner(
  c: KvCluster,
  round: number,
  kinds: readonly ChurnKind[],
  stats: ChurnStats,
  done: () => boolean,
): Promise<void> {
  const rng = createRng(seedFrom(c.seed, `churn ${round}`))
  while (!done()) {
    await c.sleep(100 + rng.int(500))
    if (done()) return
    const l = leaderOf(c)
    if (!l) continue
    const kind = pickKind(c, l, kinds, rng)
    if (kind === undefined) continue
    await churnOnce(c, l, kind, rng, stats)
  }
}

function leaderOf(c: KvCluster): Leader | undefined {
  const index = c.leader()
  if (index === undefined) return undefined
  const raft = c.raft(index)
  const { committed } = raft.membership()
  if (isJoint(committed)) return undefined // the leader leaves the joint state by itself
  return { index, raft, committed }
}

/** Servers that are neither voter nor learner in `m`. */
function nonMembers(c: KvCluster, m: Membership): number[] {
  return c.all().filter((i) => !m.voters.includes(c.ids[i]!) && !m.learners.includes(c.ids[i]!))
}

function indexesOf(c: KvCluster, ids: readonly NodeId[]): number[] {
  return ids.map((id) => c.ids.indexOf(id)).filter((i) => i >= 0)
}

function feasible(c: KvCluster, l: Leader, kind: ChurnKind): boolean {
  const m = l.committed
  switch (kind) {
    case 'add-learner':
      return nonMembers(c, m).length > 0
    case 'promote':
      return m.learners.length > 0 && m.voters.length < MAX_VOTERS
    case 'remove':
      return m.learners.length > 0 || m.voters.length > MIN_VOTERS
    case 'replace':
      return (
        m.voters.length > 1 &&
        nonMembers(c, m).some((i) => c.isLive(i)) &&
        m.voters.length < MAX_VOTERS
      )
    case 'transfer':
      return m.voters.length > 1
  }
}

function pickKind(
  c: KvCluster,
  l: Leader,
  kinds: readonly ChurnKind[],
  rng: Rng,
): ChurnKind | undefined {
  const possible = kinds.filter((k) => feasible(c, l, k))
  return possible.length === 0 ? undefined : possible[rng.int(possible.length)]
}

function pick<T>(xs: readonly T[], rng: Rng): T {
  const x = xs[rng.int(xs.length)]
  if (x === undefined) throw new RangeError('pick from an empty list')
  return x
}

async function churnOnce(
  c: KvCluster,
  l: Leader,
  kind: ChurnKind,
  rng: Rng,
  stats: ChurnStats,
): Promise<void> {
  const m = l.committed
  switch (kind) {
    case 'add-learner': {
      const id = c.ids[pick(nonMembers(c, m), rng)]!
      await call(c, stats, kind, l.raft.addLearner(id))
      return
    }
    case 'promote': {
      await call(c, stats, kind, l.raft.promote(pick(m.learners, rng)))
      return
    }
    case 'remove': {
      const candidates = m.voters.length > MIN_VOTERS ? [...m.voters, ...m.learners] : m.learners
      await call(c, stats, kind, l.raft.removeNode(pick(candidates, rng)))
      return
    }
    case 'transfer': {
      const to = pick(
        m.voters.filter((id) => id !== c.ids[l.index]),
        rng,
      )
      await call(c, stats, kind, l.raft.transferLeadership(to))
      return
    }
    case 'replace':
      await replace(c, l, rng, stats)
  }
}

/** Shut a voter down, add a spare in its place, remove it; restart it whatever happened. */
async function replace(c: KvCluster, l: Leader, rng: Rng, stats: ChurnStats): Promise<void> {
  const m = l.committed
  const dead = pick(
    indexesOf(c, m.voters).filter((i) => i !== l.index),
    rng,
  )
  const spare = pick(
    nonMembers(c, m).filter((i) => c.isLive(i)),
    rng,
  )
  const spareId = c.ids[spare]!
  await c.shutdownServer(dead)
  try {
    const steps: Array<[string, (raft: Raft) => Promise<unknown>]> = [
      ['add', (r) => r.addLearner(spareId)],
      ['promote', (r) => r.promote(spareId)],
      ['remove', (r) => r.removeNode(c.ids[dead]!)],
    ]
    for (const [, step] of steps) {
      const now = leaderOf(c)
      if (!now) return
      if (!(await call(c, stats, null, step(now.raft)))) return
    }
    stats.done.replace = (stats.done.replace ?? 0) + 1
  } finally {
    if (!c.stopped) {
      await c.startServer(dead)
      c.connect(dead)
    }
  }
}

/**
 * Waits for one membership call (at most CALL_WAIT_MS); true when it succeeded. A typed
 * RaftError is an expected refusal; any other rejection fails the scenario.
 */
async function call(
  c: KvCluster,
  stats: ChurnStats,
  kind: ChurnKind | null,
  p: Promise<unknown>,
): Promise<boolean> {
  stats.attempted++
  let timer: TimerHandle | undefined
  const outcome = await Promise.race([
    p.then(
      () => 'ok' as const,
      (error: unknown) => {
        if (error instanceof RaftError) return 'refused' as const
        throw c.fail(error instanceof Error ? error : new Error(String(error)))
      },
    ),
    new Promise<'unsettled'>((resolve) => {
      timer = c.clock.setTimeout(() => resolve('unsettled'), CALL_WAIT_MS)
    }),
  ])
  if (timer !== undefined) c.clock.clearTimeout(timer)
  c.throwIfStopped()
  if (outcome === 'ok') {
    stats.succeeded++
    if (kind !== null) stats.done[kind] = (stats.done[kind] ?? 0) + 1
    return true
  }
  if (outcome === 'refused') stats.failed++
  else stats.unsettled++
  return false
}
