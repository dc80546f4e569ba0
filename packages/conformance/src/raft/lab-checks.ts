/**
 * The lab's checks on a running cluster (config.go checkOneLeader, checkTerms, checkNoLeader,
 * wait, one), with the lab's loops, sleeps and budgets. Cluster (harness.ts) offers them as its
 * methods; they see the cluster through LabCluster, which it builds once. Every sleep goes
 * through the cluster's clock and every random draw through its seeded Rng, in the lab's order:
 * a run stays a pure function of its seed.
 */
import type { Clock, Rng } from '@raftkit/raft-core'
import type { RaftNode, StartResult } from './node.js'
import type { Applied } from './values.js'
import { sameValue, show } from './values.js'

/** What the checks read and do of a cluster (harness.ts builds it over its own state). */
export interface LabCluster {
  readonly n: number
  /** The harness's seeded Rng. */
  readonly rng: Rng
  readonly clock: Clock
  /** Per server: connected to the network (the cluster's own array, not a copy). */
  readonly connected: readonly boolean[]
  /** Per server: the running node, null while crashed (the cluster's own array). */
  readonly nodes: ReadonlyArray<RaftNode | null>
  sleep(ms: number): Promise<void>
  getState(i: number): { term: number; isLeader: boolean }
  start(i: number, command: unknown): StartResult
  nCommitted(index: number): { count: number; value: Applied }
  fail(reason: string | Error): Error
  throwIfStopped(): void
}

/** A leader among the connected servers, within ~5 s; fails on two leaders in one term. */
export async function checkOneLeader(c: LabCluster): Promise<number> {
  for (let iters = 0; iters < 10; iters++) {
    await c.sleep(450 + c.rng.int(100))
    const leaders = new Map<number, number[]>()
    for (let i = 0; i < c.n; i++) {
      if (!c.connected[i] || !c.nodes[i]) continue
      const { term, isLeader } = c.getState(i)
      if (!isLeader) continue
      const list = leaders.get(term) ?? []
      list.push(i)
      leaders.set(term, list)
    }
    let lastTermWithLeader = -1
    for (const [term, list] of leaders) {
      if (list.length > 1) throw c.fail(`term ${term} has ${list.length} (>1) leaders`)
      if (term > lastTermWithLeader) lastTermWithLeader = term
    }
    const found = leaders.get(lastTermWithLeader)
    if (found?.[0] !== undefined) return found[0]
  }
  throw c.fail('expected one leader, got none')
}

/** Every connected server's term; they must agree. */
export function checkTerms(c: LabCluster): number {
  let term = -1
  for (let i = 0; i < c.n; i++) {
    if (!c.connected[i] || !c.nodes[i]) continue
    const t = c.getState(i).term
    if (term === -1) term = t
    else if (t !== term) throw c.fail('servers disagree on term')
  }
  return term
}

/** No connected server may think it is the leader. */
export function checkNoLeader(c: LabCluster): void {
  for (let i = 0; i < c.n; i++) {
    if (!c.connected[i] || !c.nodes[i]) continue
    if (c.getState(i).isLeader)
      throw c.fail(`expected no leader among connected servers, but ${i} claims to be leader`)
  }
}

/**
 * Waits (10 ms doubling to 1 s, 30 polls) until `n` servers applied `index`. Returns the
 * value, or -1 if some server's term passed `startTerm` (> -1) meanwhile.
 */
export async function wait(
  c: LabCluster,
  index: number,
  n: number,
  startTerm: number,
): Promise<Applied> {
  let to = 10
  for (let iters = 0; iters < 30; iters++) {
    if (c.nCommitted(index).count >= n) break
    await c.sleep(to)
    if (to < 1000) to *= 2
    if (startTerm > -1) {
      for (let i = 0; i < c.n; i++) {
        const node = c.nodes[i]
        if (node && node.getState().term > startTerm) return -1
      }
    }
  }
  const { count, value } = c.nCommitted(index)
  if (count < n) throw c.fail(`only ${count} decided for index ${index}; wanted ${n}`)
  return value
}

/**
 * Agreement on `cmd`: Start() it on the leader (trying the connected servers round-robin),
 * wait up to 2 s for `expectedServers` to apply it, retry (if `retry`) for up to 10 s.
 * Returns the index.
 */
export async function one(
  c: LabCluster,
  cmd: unknown,
  expectedServers: number,
  retry: boolean,
): Promise<number> {
  const t0 = c.clock.now()
  let starts = 0
  while (c.clock.now() - t0 < 10_000) {
    c.throwIfStopped()
    let index = -1
    for (let si = 0; si < c.n; si++) {
      starts = (starts + 1) % c.n
      if (!c.connected[starts] || !c.nodes[starts]) continue
      const r = c.start(starts, cmd)
      if (r.isLeader) {
        index = r.index
        break
      }
    }
    if (index !== -1) {
      const t1 = c.clock.now()
      while (c.clock.now() - t1 < 2000) {
        const { count, value } = c.nCommitted(index)
        if (count > 0 && count >= expectedServers && sameValue(value, cmd)) return index
        await c.sleep(20)
      }
      if (!retry) throw c.fail(`one(${show(cmd)}) failed to reach agreement`)
    } else {
      await c.sleep(50)
    }
  }
  throw c.fail(`one(${show(cmd)}) failed to reach agreement`)
}
