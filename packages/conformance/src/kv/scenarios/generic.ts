/**
 * The lab's GenericTest and GenericTestSpeed (kvraft test_test.go, 6.5840 Spring 2023), with
 * the lab's parameters, loops and sleeps: 3 rounds of 5 s of client load, optionally with a
 * partitioner, and a shutdown and restart of every server after each round.
 */
import { createRng, seedFrom } from '@raftkit/raft-core'
import { spawn } from '../../raft/scenarios/tasks.js'
import { checkClntAppends, checkLinearizable, element } from '../checks.js'
import { KV_ELECTION_TIMEOUT_MS } from '../harness.js'
import type { KvCluster } from '../harness.js'
import { kvScenario } from '../scenario.js'
import type { KvPart, KvScenario } from '../scenario.js'
import { formatChurnStats, newChurnStats, runChurner } from './churn.js'
import type { ChurnKind, ChurnStats } from './churn.js'

export interface GenericParams {
  readonly nclients: number
  readonly servers: number
  readonly unreliable: boolean
  /** Shut down and restart every server after each round. */
  readonly crash: boolean
  /** Re-partition the servers at random about every second while clients run. */
  readonly partitions: boolean
  /** -1: no snapshots (and none may be written). */
  readonly maxRaftState: number
  /** Clients pick keys at random among nclients keys and also Put (only linearizability is checked). */
  readonly randomKeys: boolean
  /**
   * Membership changes mixed in while clients run (see churn.ts): the kinds the churner may
   * make. Servers from `initialVoters` on start as joining nodes. @default none
   */
  readonly churn?: readonly ChurnKind[]
  /** @default servers */
  readonly initialVoters?: number
}

/** The lab's title: "Test: unreliable net, restarts, ..., many clients (3A)". */
export function genericTitle(part: KvPart, p: GenericParams): string {
  let title = 'Test: '
  if (p.unreliable) title += 'unreliable net, '
  if (p.crash) title += 'restarts, '
  if (p.partitions) title += 'partitions, '
  if (p.maxRaftState !== -1) title += 'snapshots, '
  if (p.randomKeys) title += 'random keys, '
  if (p.churn)
    title += p.churn.every((k) => k === 'transfer')
      ? 'leadership transfers, '
      : 'membership changes, '
  title += p.nclients > 1 ? 'many clients' : 'one client'
  return `${title} (${part})`
}

/** Rounds of client load per GenericTest. */
export const GENERIC_ROUNDS = 3
/** Clock time the clients run in each round. */
export const GENERIC_ROUND_MS = 5000

interface Flags {
  doneClients: boolean
  donePartitioner: boolean
  doneChurn: boolean
}

/** One client task of a round; resolves with how many elements it appended (or put). */
async function runClient(
  c: KvCluster,
  cli: number,
  round: number,
  p: GenericParams,
  flags: Flags,
): Promise<number> {
  const rng = createRng(seedFrom(c.seed, `client ${round}.${cli}`))
  const myck = c.makeClient(c.all())
  try {
    let j = 0
    let last = '' // only meaningful if !randomKeys
    const myKey = String(cli)
    if (!p.randomKeys) await myck.put(myKey, last, cli)
    while (!flags.doneClients) {
      const key = p.randomKeys ? String(rng.int(p.nclients)) : myKey
      const nv = element(cli, j)
      if (rng.int(1000) < 500) {
        await myck.append(key, nv, cli)
        if (!p.randomKeys) last += nv
        j++
      } else if (p.randomKeys && rng.int(1000) < 100) {
        await myck.put(key, nv, cli)
        j++
      } else {
        const v = await myck.get(key, cli)
        if (!p.randomKeys && v !== last)
          throw c.fail(`get wrong value, key ${key}, wanted:\n${last}\n, got\n${v}\n`)
      }
    }
    return j
  } finally {
    c.deleteClient(myck)
  }
}

/** Puts every server in group 0 or 1 by a fair coin, about once a second, until told to stop. */
async function runPartitioner(c: KvCluster, flags: Flags): Promise<void> {
  while (!flags.donePartitioner) {
    const groups: [number[], number[]] = [[], []]
    for (let i = 0; i < c.n; i++) groups[c.rng.int(2) as 0 | 1].push(i)
    c.partition(groups[0], groups[1])
    await c.sleep(KV_ELECTION_TIMEOUT_MS + c.rng.int(200))
  }
}

async function genericTest(
  c: KvCluster,
  name: string,
  part: KvPart,
  p: GenericParams,
): Promise<void> {
  c.begin(genericTitle(part, p))
  const ck = c.makeClient(c.all())
  const churn: ChurnStats = newChurnStats()
  for (let round = 0; round < GENERIC_ROUNDS; round++) {
    const flags: Flags = { doneClients: false, donePartitioner: false, doneChurn: false }
    const clients: Array<Promise<number>> = []
    for (let cli = 0; cli < p.nclients; cli++)
      clients.push(spawn(() => runClient(c, cli, round, p, flags)))
    const kinds = p.churn
    const churner = kinds
      ? spawn(() => runChurner(c, round, kinds, churn, () => flags.doneChurn))
      : undefined
    let partitioner: Promise<void> | undefined
    if (p.partitions) {
      // Allow the clients to perform some operations without interruption.
      await c.sleep(1000)
      partitioner = spawn(() => runPartitioner(c, flags))
    }
    await c.sleep(GENERIC_ROUND_MS)
    flags.doneClients = true
    flags.donePartitioner = true
    flags.doneChurn = true
    // Its last call settles or is left behind; a server it shut down runs again.
    if (churner) await churner
    if (partitioner) {
      await partitioner
      // A client may have a request in a minority; it returns once that server sees a new term.
      c.connectAll()
      await c.sleep(KV_ELECTION_TIMEOUT_MS)
    }
    if (p.crash) {
      for (let i = 0; i < c.n; i++) await c.shutdownServer(i)
      await c.sleep(KV_ELECTION_TIMEOUT_MS)
      for (let i = 0; i < c.n; i++) await c.startServer(i)
      c.connectAll()
    }
    for (let i = 0; i < p.nclients; i++) {
      const j = await clients[i]!
      const v = await ck.get(String(i), 0)
      if (!p.randomKeys) checkClntAppends(c, i, v, j)
    }
    if (p.maxRaftState > 0) {
      const sz = c.logSize()
      if (sz > 8 * p.maxRaftState)
        throw c.fail(`logs were not trimmed (${sz} > 8*${p.maxRaftState})`)
    }
    if (p.maxRaftState < 0) {
      const ssz = c.snapshotSize()
      if (ssz > 0)
        throw c.fail(
          `snapshot too large (${ssz}), should not be used when maxraftstate = ${p.maxRaftState}`,
        )
    }
  }
  if (p.churn) {
    c.log(`  ${formatChurnStats(churn)}`)
    // The churn must have happened, or the scenario tested nothing more than its 3A/3B twin.
    if (churn.succeeded === 0) throw c.fail('no membership change or transfer succeeded')
  }
  await checkLinearizable(c, name)
  c.end()
}

/** A GenericTest scenario with the lab's name and parameters. */
export function genericScenario(name: string, part: KvPart, p: GenericParams): KvScenario {
  return kvScenario({
    name,
    part,
    description: genericTitle(part, p),
    servers: p.servers,
    unreliable: p.unreliable,
    maxRaftState: p.maxRaftState,
    ...(p.initialVoters !== undefined ? { initialVoters: p.initialVoters } : {}),
    run: (c) => genericTest(c, name, part, p),
  })
}

/** Sequential Appends the speed test times. */
export const SPEED_OPS = 1000
/** At least 3 operations per 100 ms heartbeat: about 33.3 ms per operation at most. */
export const SPEED_MAX_MS_PER_OP = 100 / 3

async function speedTest(c: KvCluster, part: KvPart): Promise<void> {
  const ck = c.makeClient(c.all())
  c.begin(`Test: ops complete fast enough (${part})`)
  // Wait until a first operation completes: a leader is elected and the servers serve.
  await ck.get('x', null)
  const start = c.clock.now()
  let diskMs = 0
  for (let i = 0; i < SPEED_OPS; i++) {
    const busyBefore = c.all().map((j) => c.diskBusyMs(j))
    const leaderBefore = c.leader()
    await ck.append('x', element(0, i), null)
    const opDiskMs = commitPathDiskMs(c, busyBefore, [leaderBefore, c.leader()])
    diskMs += opDiskMs
    c.allowDiskTime(opDiskMs)
  }
  const dur = c.clock.now() - start
  const v = await ck.get('x', null)
  checkClntAppends(c, 0, v, SPEED_OPS)
  const maxMsPerOp = SPEED_MAX_MS_PER_OP + diskMs / SPEED_OPS
  if (dur > SPEED_OPS * maxMsPerOp)
    throw c.fail(
      `Operations completed too slowly ${(dur / SPEED_OPS).toFixed(2)}ms/op > ${maxMsPerOp.toFixed(2)}ms/op`,
    )
  c.log(`  (${(dur / SPEED_OPS).toFixed(2)} ms/op, budget ${maxMsPerOp.toFixed(2)} ms/op)`)
  c.end()
}

/**
 * The lab's speed budget is for storage that takes no time. On simulated disks every append
 * also waits for the leader's write and a follower's (one after the other without
 * pipelineLeaderAppends), so each append's budget grows by the disk time, during that append,
 * of the leader and of the fastest other server: a slow disk slows the cluster, waiting for a
 * heartbeat still does not fit. An append during which leadership moved (a leader's disk
 * stalled past an election timeout, say) counts both leaders' disks: the old one's stall is on
 * that append's commit path.
 */
function commitPathDiskMs(
  c: KvCluster,
  busyBefore: readonly number[],
  leaders: readonly (number | undefined)[],
): number {
  const spent = c.all().map((i) => c.diskBusyMs(i) - (busyBefore[i] ?? 0))
  const known = new Set(leaders.filter((l): l is number => l !== undefined))
  const others = spent.filter((_, i) => !known.has(i))
  const leaderMs =
    known.size === 0 ? Math.max(0, ...spent) : [...known].reduce((t, l) => t + (spent[l] ?? 0), 0)
  return leaderMs + (others.length > 0 ? Math.min(...others) : 0)
}

/**
 * GenericTestSpeed: 3 servers, reliable; 1000 sequential Appends in ≤ 1000 × 33.3 ms (plus
 * the disk time on the commit path, see diskMsPerOp).
 */
export function speedScenario(name: string, part: KvPart, maxRaftState: number): KvScenario {
  return kvScenario({
    name,
    part,
    description: `Test: ops complete fast enough (${part})`,
    servers: 3,
    maxRaftState,
    run: (c) => speedTest(c, part),
  })
}
