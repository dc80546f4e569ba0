/**
 * Membership changes of a real cluster, through the admin API the CLI uses (MembersClient),
 * under a concurrent client workload: grow 3 → 5 with `raftkit serve --join` nodes and shrink
 * back to 3; replace a node that died for good (killed, its disk wiped) by a fresh one; hand
 * leadership to another voter before restarting the leader. Each run ends with every
 * acknowledged write in the final state and the whole history linearizable. And a leader that
 * removes itself, asked directly: it commits the removal and answers 200.
 */
import { readFile, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { MembersClient, freePort } from '@raftkit/kv-service'
import type { MembersView } from '@raftkit/kv-service'
import { delay } from '@raftkit/kv-service/chaos'
import type { TestCluster, WorkloadPlan, WorkloadRun } from './helpers.js'
import { expectFinalState, useTestCluster, waitUntil, withWorkload } from './helpers.js'

function admin(cluster: TestCluster): MembersClient {
  return new MembersClient({
    endpoints: cluster.config.nodes.map((n) => `${n.http.host}:${n.http.port}`),
    secret: cluster.config.secret,
    deadlineMs: 60_000,
  })
}

/** Starts `raftkit serve --join` for `id`; returns its addresses. */
async function startJoining(
  cluster: TestCluster,
  id: string,
): Promise<{ peer: string; http: string }> {
  const peer = `127.0.0.1:${await freePort()}`
  const http = `127.0.0.1:${await freePort()}`
  cluster.nodes.addJoining(id, [
    '--peer',
    peer,
    '--http',
    http,
    '--data-dir',
    join(cluster.dir, 'data', id),
  ])
  cluster.nodes.start(id)
  return { peer, http }
}

/** GET /v1/status of a node by address, polled (bounded) until `ok`. */
async function waitFor(
  http: string,
  what: string,
  ok: (s: { appliedIndex: number; leader: string | null }) => boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://${http}/v1/status`, { signal: AbortSignal.timeout(1000) })
      if (r.ok && ok((await r.json()) as { appliedIndex: number; leader: string | null })) return
    } catch {
      // not up yet
    }
    await delay(150)
  }
  throw new Error(`${http}: not ${what} within ${timeoutMs} ms`)
}

function voters(v: MembersView): string[] {
  return [...v.voters].sort()
}

function workloadPlan(seed: number): WorkloadPlan {
  return { keys: ['a', 'b', 'c'], clients: 3, seed, deadlineMs: 10_000 }
}

async function expectHistoryOk(cluster: TestCluster, run: WorkloadRun): Promise<void> {
  await run.workload.stop()
  await expectFinalState(cluster, run)
}

describe('multi-process: Membership changes under client load', function () {
  this.timeout(120_000)

  describe('grow 3 → 5, shrink 5 → 3', () => {
    const clusters = useTestCluster()
    it('joining nodes catch up and become voters, then leave; no acknowledged write lost, linearizable', async () => {
      const cluster = await clusters.start(3)
      await cluster.waitForLeader()
      await withWorkload(cluster, workloadPlan(21), async (run) => {
        await delay(1000)
        const members = admin(cluster)
        for (const id of ['n4', 'n5']) {
          const at = await startJoining(cluster, id)
          const added = await members.addLearner({ id, ...at })
          expect(added.learners).to.include(id)
          const promoted = await members.promote(id)
          expect(promoted.voters).to.include(id)
          expect(promoted.joint).to.equal(false)
        }
        const five = await members.list()
        expect(voters(five)).to.deep.equal(['n1', 'n2', 'n3', 'n4', 'n5'])
        expect(five.members.every((m) => m.peer !== null && m.http !== null)).to.equal(true)
        const commit = five.configIndex
        for (const id of ['n4', 'n5']) {
          const http = five.members.find((m) => m.id === id)?.http as string
          await waitFor(http, `applied up to ${commit}`, (s) => s.appliedIndex >= commit)
        }
        const okBefore = run.workload.counts.ok
        await delay(1000)
        for (const id of ['n4', 'n5']) {
          const v = await members.remove(id)
          expect(v.voters).to.not.include(id)
        }
        expect(voters(await members.list())).to.deep.equal(['n1', 'n2', 'n3'])
        await waitUntil(
          'serving operations during and after the changes',
          () => run.workload.counts.ok > okBefore,
        )
        await cluster.nodes.stop('n4')
        await cluster.nodes.stop('n5')
        await expectHistoryOk(cluster, run)
      })
    })
  })

  describe('replace a dead node', () => {
    const clusters = useTestCluster()
    it('kill one for good, wipe its disk, add a fresh node, remove the dead one; no acknowledged write lost, linearizable', async () => {
      const cluster = await clusters.start(3)
      await cluster.waitForLeader()
      await withWorkload(cluster, workloadPlan(22), async (run) => {
        await delay(1000)
        // A follower of the leader now (leadership may have moved since the first election).
        const leader = await cluster.waitForLeader()
        const dead = cluster.ids.find((id) => id !== leader.id) as string
        await cluster.nodes.kill(dead)
        const spec = cluster.config.nodes.find((n) => n.id === dead)
        await rm(spec?.dataDir as string, { recursive: true, force: true })
        await delay(500)
        const members = admin(cluster)
        const at = await startJoining(cluster, 'n4')
        await members.addLearner({ id: 'n4', ...at })
        await members.promote('n4')
        const after = await members.remove(dead)
        expect(voters(after)).to.deep.equal(
          ['n4', ...cluster.config.nodes.map((n) => n.id).filter((id) => id !== dead)].sort(),
        )
        await waitFor(at.http, `applied up to ${after.configIndex}`, (s) => {
          return s.appliedIndex >= after.configIndex
        })
        await delay(1000)
        await expectHistoryOk(cluster, run)
      })
    })
  })

  describe('a leader that removes itself', () => {
    const clusters = useTestCluster()
    it('commits its own removal (answers 200) with the replies of the members that stay and hands leadership over; no reply refused, five rounds', async () => {
      const cluster = await clusters.start(3, 'info')
      const members = admin(cluster)
      for (let round = 0; round < 5; round++) {
        const leader = await cluster.waitForLeader()
        const node = cluster.config.nodes.find((n) => n.id === leader.id)!
        const http = `${node.http.host}:${node.http.port}`
        // Straight to the leader, not through MembersClient (which would retry elsewhere).
        const r = await fetch(`http://${http}/v1/admin/members/${leader.id}`, {
          method: 'DELETE',
          headers: { 'raftkit-secret': cluster.config.secret },
          signal: AbortSignal.timeout(20_000),
        })
        const body = await r.text()
        expect(r.status, body).to.equal(200)
        expect((JSON.parse(body) as MembersView).voters).to.not.include(leader.id)
        // Back as a voter for the next round (the process kept running, removed).
        await members.addLearner({
          id: leader.id,
          peer: `${node.peer.host}:${node.peer.port}`,
          http,
        })
        expect((await members.promote(leader.id)).voters).to.include(leader.id)
      }
      expect(voters(await members.list())).to.deep.equal(['n1', 'n2', 'n3'])
      // The members that stay must not drop the leader before its removal commits: their
      // replies to it would be refused (the transport knows only its peers' addresses).
      const logDir = join(cluster.dir, 'logs')
      const refused: string[] = []
      let handedOver = 0
      let tookOver = 0
      for (const f of await readdir(logDir)) {
        for (const line of (await readFile(join(logDir, f), 'utf8')).split('\n')) {
          if (line.includes('transport refused a message')) refused.push(line)
          if (line.includes('is committed; handing leadership over')) handedOver++
          if (line.includes('campaigning at the request of the leader')) tookOver++
        }
      }
      expect(refused).to.deep.equal([])
      // Each removed leader handed over (TimeoutNow) and a member took over at once, rather
      // than the cluster waiting out an election timeout.
      expect([handedOver, tookOver]).to.deep.equal([5, 5])
    })
  })

  describe('LeadershipTransfer before a restart', () => {
    const clusters = useTestCluster()
    it('the leader hands over to another voter, restarts and rejoins; linearizable', async () => {
      const cluster = await clusters.start(3)
      await cluster.waitForLeader()
      await withWorkload(cluster, workloadPlan(23), async (run) => {
        await delay(1000)
        // The leader now: leadership may have moved since the cluster first elected one.
        const first = await cluster.waitForLeader()
        const to = cluster.ids.find((id) => id !== first.id) as string
        const v = await admin(cluster).transferLeader(to)
        // The transfer's answer names the new leader and its term. (Not asked of the nodes
        // afterwards: a later election may already have moved leadership on.)
        expect(v.leader).to.equal(to)
        expect(v.term).to.be.greaterThan(first.term)
        await cluster.nodes.stop(first.id)
        await delay(500)
        cluster.nodes.start(first.id)
        await cluster.waitForStatus(
          first.id,
          'back in the cluster',
          (s) => s.leader !== null && s.term >= v.term,
        )
        await delay(1000)
        await expectHistoryOk(cluster, run)
      })
    })
  })
})
