/**
 * Seeded runs of the runtime (Raft on the simulated clock and network, TestCluster): client
 * writes mixed with random membership changes through the public API (addLearner of a new
 * empty node, promote, removeNode — the leader included —, transferLeadership), crashes with
 * restarts from what was persisted, disconnections and service snapshots. Checks:
 * - every promise settles (within 30 s of simulated time), with a result or a typed RaftError;
 * - state machine safety: all nodes applied the same command at every index;
 * - no acknowledged write is lost: each one is in the final leader's applied commands;
 * - the cluster ends with one leader that commits a final write, and every live member of the
 *   final configuration applies it.
 * `MEMBERSHIP_RUNTIME_SEEDS=N` runs N seeds (default 6); a failure names its seed.
 */
import { expect } from 'chai'
import { RaftError } from '../../src/errors.js'
import type { MemoryStorage } from '../../src/memory-storage.js'
import type { Raft } from '../../src/runtime.js'
import { createRng, type Rng } from '../../src/rng.js'
import type { NodeId } from '../../src/types.js'
import { TestCluster, bytes } from '../cluster.js'

const SEEDS = Number(process.env['MEMBERSHIP_RUNTIME_SEEDS'] ?? 6)
const FIRST = Number(process.env['MEMBERSHIP_RUNTIME_FIRST_SEED'] ?? 1)
const OPS = 40
const SETTLE_MS = 30_000

async function settle<T>(c: TestCluster, p: Promise<T>, what: string, seed: number): Promise<void> {
  let done = false
  const guarded = p.then(
    () => {
      done = true
    },
    (error: unknown) => {
      done = true
      if (!(error instanceof RaftError)) throw error
    },
  )
  const deadline = c.clock.now() + SETTLE_MS
  while (!done && c.clock.now() < deadline) await c.clock.sleep(20)
  if (!done) {
    const dump = [...c.nodes].map(([id, r]) => {
      const st = r.status()
      const m = st.membership!
      return `${id} ${st.role} t${st.term} lead=${st.leader} last=${st.lastIndex} commit=${st.commitIndex} v=[${m.voters.join(',')}] o=[${m.outgoing.join(',')}] l=[${m.learners.join(',')}] xfer=${st.leadTransferee ?? '-'}`
    })
    throw new Error(
      `seed ${seed}: ${what} did not settle within ${SETTLE_MS} ms\n${dump.join('\n')}`,
    )
  }
  await guarded
}

const pick = <T>(rng: Rng, xs: readonly T[]): T | undefined =>
  xs.length === 0 ? undefined : xs[rng.int(xs.length)]

async function runSeed(seed: number): Promise<void> {
  const c = new TestCluster({
    seed,
    onApply: async (_id, msg, raft) => {
      if (msg.kind !== 'snapshot' && msg.index % 7 === 0)
        await raft.snapshot(msg.index, bytes(`s${msg.index}`))
    },
  })
  const rng = createRng(seed * 31 + 5)
  const acked = new Set<string>()
  const crashed = new Map<NodeId, MemoryStorage>()
  const joined = new Set<NodeId>()
  const removed = new Set<NodeId>()
  let next = 4
  let writes = 0
  await c.clock.run(async () => {
    await c.startAll()
    const leader = async (): Promise<Raft | undefined> => {
      const ids = c.leaders()
      return ids.length === 1 ? c.node(ids[0]!) : undefined
    }
    for (let op = 0; op < OPS; op++) {
      const r = rng.int(100)
      const l = await leader()
      if (r < 40) {
        if (!l) {
          await c.clock.sleep(200)
          continue
        }
        const cmd = `w${writes++}`
        const res = l.start(bytes(cmd))
        if (!res.isLeader) continue
        const deadline = c.clock.now() + 2000
        while (c.clock.now() < deadline && l.appliedIndex() < res.index) await c.clock.sleep(10)
        const at = (c.applied.get(l.id) ?? []).find((m) => m.index === res.index)
        if (at?.kind === 'command' && at.term === res.term) acked.add(cmd)
      } else if (r < 50 && l) {
        const id = `n${next++}`
        await c.start(id, undefined, { join: true })
        joined.add(id)
        await settle(c, l.addLearner(id), `addLearner ${id}`, seed)
      } else if (r < 58 && l) {
        const learner = pick(rng, l.membership().current.learners)
        if (learner) await settle(c, l.promote(learner), `promote ${learner}`, seed)
      } else if (r < 64 && l) {
        const m = l.membership().current
        if (m.voters.length > 2) {
          const victim = pick(rng, m.voters)!
          await settle(c, l.removeNode(victim), `removeNode ${victim}`, seed)
          if (!l.membership().committed.voters.includes(victim)) removed.add(victim)
        }
      } else if (r < 72 && l) {
        const to = pick(rng, l.membership().current.voters)
        if (to) await settle(c, l.transferLeadership(to), `transferLeadership ${to}`, seed)
      } else if (r < 80) {
        const id = pick(rng, [...c.nodes.keys()])
        if (id && crashed.size === 0) crashed.set(id, await c.crash(id))
      } else if (r < 88) {
        for (const [id, disk] of crashed) await c.start(id, disk, { join: joined.has(id) })
        crashed.clear()
      } else if (r < 94) {
        const id = pick(rng, [...c.nodes.keys()])
        if (id) {
          c.net.disconnect(id)
          await c.clock.sleep(rng.int(1500))
          c.net.connect(id)
        }
      } else await c.clock.sleep(rng.int(1000))
    }
    // Heal and finish: one leader commits a final write that every live member applies.
    for (const [id, disk] of crashed) await c.start(id, disk, { join: joined.has(id) })
    crashed.clear()
    let final: Raft | undefined
    let index = -1
    const deadline = c.clock.now() + 30_000
    while (c.clock.now() < deadline) {
      final = await leader()
      if (final) {
        const res = final.start(bytes('final'))
        if (res.isLeader) {
          index = res.index
          const wait = c.clock.now() + 3000
          while (c.clock.now() < wait && final.appliedIndex() < index) await c.clock.sleep(10)
          if (final.appliedIndex() >= index) break
        }
      }
      await c.clock.sleep(100)
    }
    if (!final || final.appliedIndex() < index)
      throw new Error(`seed ${seed}: no final write committed after healing`)
    const m = final.membership().committed
    const live = [...m.voters, ...m.learners].filter((id) => c.nodes.has(id))
    await c.waitFor(() => live.every((id) => c.node(id).appliedIndex() >= index), 30_000)
    // State machine safety across every node that ever ran.
    const at = new Map<number, string>()
    for (const [id, log] of c.applied)
      for (const msg of log) {
        if (msg.kind !== 'command') continue
        const cmd = new TextDecoder().decode(msg.command)
        const seen = at.get(msg.index)
        if (seen !== undefined && seen !== cmd)
          throw new Error(
            `seed ${seed}: ${id} applied ${cmd} at ${msg.index}, another node ${seen}`,
          )
        at.set(msg.index, cmd)
      }
    const finalCommands = new Set(c.commands(final.id))
    for (const cmd of acked)
      if (!finalCommands.has(cmd) && ![...at.values()].includes(cmd))
        throw new Error(`seed ${seed}: acknowledged write ${cmd} lost`)
    expect(removed.has(final.id)).to.equal(false)
    await c.shutdown()
  })
}

describe('Membership: seeded runtime runs (writes, membership changes, transfers, crashes)', () => {
  it(`Membership: every change settles, no acknowledged write is lost, all nodes apply the same commands (${SEEDS} seeds × ${OPS} operations)`, async function () {
    this.timeout(0)
    for (let seed = FIRST; seed < FIRST + SEEDS; seed++) await runSeed(seed)
  })
})
