/**
 * Seeded simulated runs: random membership changes (add learner, promote, remove, demote),
 * leadership transfers, proposals, message loss and reordering, partitions, crashes with
 * restarts from what was persisted, and compactions, on the synchronous test network.
 * After every step, the invariants:
 * - at most one leader per term (election safety; with joint consensus this is what "never two
 *   disjoint majorities" protects);
 * - consecutive configurations in any log overlap: a voter-set change always goes through a
 *   joint configuration (C_old → C_old,new → C_new), never straight from one set to another;
 * - log matching: two logs with an entry of the same index and term agree on every entry up
 *   to it;
 * - state machine safety: every node's committed entry at an index is the same entry.
 * At the end the network heals and the cluster must commit a new entry (liveness).
 * `MEMBERSHIP_SEEDS=N` runs N seeds (default 25); a failure names its seed, which replays it.
 */
import { expect } from 'chai'
import { ChangeInProgressError, RaftError } from '../../src/errors.js'
import { decodeMembership } from '../../src/membership-codec.js'
import { isVoter, members } from '../../src/membership.js'
import { createRng, type Rng } from '../../src/rng.js'
import type { Entry, Membership, NodeId } from '../../src/types.js'
import { Network, untext } from '../helpers/network.js'

const SEEDS = Number(process.env['MEMBERSHIP_SEEDS'] ?? 25)
const FIRST_SEED = Number(process.env['MEMBERSHIP_FIRST_SEED'] ?? 1)
const STEPS = 250
const POOL = ['n4', 'n5', 'n6']

interface Run {
  readonly net: Network
  readonly rng: Rng
  /** Nodes stopped for good (removed and shut down): nothing reaches or leaves them. */
  readonly dead: Set<NodeId>
  /** Partition groups in force (undefined: none). */
  groups: NodeId[][] | undefined
  readonly leaderOfTerm: Map<number, NodeId>
  readonly committed: Map<number, Entry>
  proposals: number
}

const pick = <T>(rng: Rng, xs: readonly T[]): T | undefined =>
  xs.length === 0 ? undefined : xs[rng.int(xs.length)]

function applyFilter(run: Run): void {
  run.net.filter = (m) => {
    if (run.dead.has(m.from) || run.dead.has(m.to)) return false
    if (run.groups === undefined) return true
    const g = run.groups.find((grp) => grp.includes(m.from))
    return g !== undefined && g.includes(m.to)
  }
}

function live(run: Run): NodeId[] {
  return run.net.ids.filter((id) => !run.dead.has(id))
}

function leader(run: Run): NodeId | undefined {
  return pick(
    run.rng,
    run.net.leaders().filter((id) => !run.dead.has(id)),
  )
}

/** Throws unless `e` is an error a caller may meet (typed RaftError). */
function expected(e: unknown): void {
  if (!(e instanceof RaftError)) throw e
}

function changeMembership(run: Run): void {
  const id = leader(run)
  if (id === undefined) return
  const node = run.net.node(id)
  const m = node.status().membership!
  const voters = m.voters
  const fresh = POOL.filter((n) => !run.net.ids.includes(n))
  const options: Array<() => void> = []
  if (fresh.length > 0)
    options.push(() => {
      const n = fresh[0]!
      run.net.join(n)
      applyFilter(run)
      node.proposeMembership({ voters, learners: [...m.learners, n] })
    })
  for (const l of m.learners)
    options.push(() =>
      node.proposeMembership({
        voters: [...voters, l],
        learners: m.learners.filter((x) => x !== l),
      }),
    )
  if (voters.length > 1)
    for (const v of voters) {
      options.push(() => {
        node.proposeMembership({ voters: voters.filter((x) => x !== v), learners: m.learners })
      })
      options.push(() =>
        node.proposeMembership({
          voters: voters.filter((x) => x !== v),
          learners: [...m.learners, v],
        }),
      )
    }
  const choice = pick(run.rng, options)
  try {
    choice?.()
  } catch (e) {
    if (!(e instanceof ChangeInProgressError)) expected(e)
  }
}

function step(run: Run): void {
  const { net, rng } = run
  const r = rng.int(100)
  const ids = live(run)
  if (r < 45) net.tick(ids, 1 + rng.int(4))
  else if (r < 65) {
    const id = leader(run)
    if (id !== undefined)
      try {
        net.node(id).propose(new TextEncoder().encode(`p${run.proposals++}`))
      } catch (e) {
        expected(e)
      }
    net.settle()
  } else if (r < 73) changeMembership(run)
  else if (r < 77) {
    const id = leader(run)
    const to = id && pick(rng, net.node(id).status().membership!.voters)
    if (id && to)
      try {
        net.node(id).transferLeadership(to)
      } catch (e) {
        expected(e)
      }
    net.settle()
  } else if (r < 82) {
    const shuffled = [...ids].sort(() => rng.next() - 0.5)
    const cut = 1 + rng.int(Math.max(1, shuffled.length - 1))
    run.groups = [shuffled.slice(0, cut), shuffled.slice(cut)]
  } else if (r < 88) run.groups = undefined
  else if (r < 92) {
    const id = pick(rng, ids)
    if (id !== undefined) net.restart(id)
  } else if (r < 95) {
    const id = pick(rng, ids)
    if (id !== undefined) {
      const st = net.node(id).status()
      const at = Math.min(st.appliedIndex, net.node(id).durableIndex())
      if (at > st.snapshotIndex) net.compact(id, at)
    }
  } else if (r < 97) net.dropRate = pick(rng, [0, 0.05, 0.2])!
  else if (r < 98) net.reorder = !net.reorder
  else {
    // Shut down for good a node that no live node's configuration (in effect or committed)
    // names any more: a removed node.
    const id = pick(rng, ids)
    if (id !== undefined) {
      const named = ids.some((other) => {
        const m = net.node(other).membership()
        return [m.current, m.committed].some((c) => members(c).includes(id))
      })
      if (!named) run.dead.add(id)
    }
  }
}

/** Configurations in `id`'s log (from its snapshot's on), oldest first. */
function configHistory(net: Network, id: NodeId): Membership[] {
  const n = net.node(id)
  const st = n.status()
  const out: Membership[] = []
  const snapM = net.store(id).snapshot?.meta.membership
  if (snapM) out.push(snapM)
  for (const e of n.entries(st.firstIndex, st.lastIndex + 1))
    if (e.kind === 'config') out.push(decodeMembership(e.data))
  return out
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x) => b.includes(x))

function checkInvariants(run: Run, seed: number, stepNo: number): void {
  const { net } = run
  const where = `seed ${seed} step ${stepNo}`
  for (const id of net.ids) {
    const st = net.node(id).status()
    if (st.role === 'leader') {
      const other = run.leaderOfTerm.get(st.term)
      if (other !== undefined && other !== id)
        throw new Error(`${where}: two leaders in term ${st.term}: ${other} and ${id}`)
      run.leaderOfTerm.set(st.term, id)
    }
    // Consecutive configurations overlap (no direct jump between voter sets).
    const hist = configHistory(net, id)
    for (let i = 1; i < hist.length; i++) {
      const a = hist[i - 1]!
      const b = hist[i]!
      const ok =
        sameSet(a.voters, b.voters) ||
        (b.outgoing.length > 0 && sameSet(b.outgoing, a.voters)) ||
        (a.outgoing.length > 0 && b.outgoing.length === 0 && sameSet(a.voters, b.voters))
      if (!ok)
        throw new Error(
          `${where}: ${id} moved between voter sets without a joint configuration: ${JSON.stringify(hist)} snap=${JSON.stringify(net.store(id).snapshot?.meta)} first=${net.node(id).status().firstIndex}`,
        )
    }
    // State machine safety: committed entries are the same everywhere.
    const n = net.node(id)
    const lo = Math.max(st.firstIndex, st.commitIndex - 30)
    for (const e of n.entries(lo, st.commitIndex + 1)) {
      const seen = run.committed.get(e.index)
      if (seen === undefined) run.committed.set(e.index, e)
      else if (seen.term !== e.term || untext(seen.data) !== untext(e.data))
        throw new Error(`${where}: ${id} committed a different entry at ${e.index}`)
    }
  }
  // Log matching, pairwise.
  for (let i = 0; i < net.ids.length; i++)
    for (let j = i + 1; j < net.ids.length; j++) {
      const a = net.node(net.ids[i]!)
      const b = net.node(net.ids[j]!)
      const lo = Math.max(a.status().firstIndex, b.status().firstIndex)
      const hi = Math.min(a.status().lastIndex, b.status().lastIndex)
      let k = hi
      while (k >= lo && a.termAt(k) !== b.termAt(k)) k--
      for (let x = lo; x <= k; x++)
        if (a.termAt(x) !== b.termAt(x))
          throw new Error(
            `${where}: logs of ${net.ids[i]} and ${net.ids[j]} disagree at ${x} below ${k}`,
          )
    }
}

function runSeed(seed: number): void {
  const net = new Network(['n1', 'n2', 'n3'], { seed })
  const run: Run = {
    net,
    rng: createRng(seed * 7919 + 17),
    dead: new Set(),
    groups: undefined,
    leaderOfTerm: new Map(),
    committed: new Map(),
    proposals: 0,
  }
  applyFilter(run)
  for (let s = 0; s < STEPS; s++) {
    step(run)
    checkInvariants(run, seed, s)
  }
  // Liveness: once the network is healed, the cluster commits a new entry.
  run.groups = undefined
  net.dropRate = 0
  net.reorder = false
  for (let round = 0; round < 300; round++) {
    net.tick(live(run))
    checkInvariants(run, seed, STEPS + round)
    const id = leader(run)
    if (id === undefined) continue
    const node = net.node(id)
    if (node.status().leadTransferee !== undefined) continue
    const { index } = node.propose(new TextEncoder().encode('final'))
    for (let k = 0; k < 10 && node.status().commitIndex < index; k++) net.tick(live(run))
    if (node.getState().isLeader && node.status().commitIndex >= index) {
      const voters = node.status().membership!.voters
      expect(isVoter(node.status().membership!, id) || voters.length > 0).to.equal(true)
      return
    }
  }
  const dump = net.ids.map((id) => {
    const st = net.node(id).status()
    const m = st.membership!
    return `${id}${run.dead.has(id) ? '(dead)' : ''} ${st.role} t${st.term} lead=${st.leader} last=${st.lastIndex} commit=${st.commitIndex} snap=${st.snapshotIndex} v=[${m.voters.join(',')}] o=[${m.outgoing.join(',')}] l=[${m.learners.join(',')}] xfer=${st.leadTransferee ?? '-'}`
  })
  throw new Error(`seed ${seed}: no entry committed after healing\n${dump.join('\n')}`)
}

describe('Membership: seeded simulated runs with random membership changes and transfers', () => {
  it(`Membership: invariants hold after every step and the healed cluster commits (${SEEDS} seeds × ${STEPS} steps)`, function () {
    this.timeout(0)
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) runSeed(seed)
  })
})
