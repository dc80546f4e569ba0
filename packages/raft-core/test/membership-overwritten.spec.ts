/**
 * A membership change whose entry a new leader overwrites on the old leader. This happens when
 * the new leader's first AppendEntries to reach the old leader carries the entry that replaces
 * the change's: the old leader steps down and truncates in one step, before the runtime's next
 * check(). Until this session the runtime then rejected the change with ProposalDroppedError
 * ("retry it"); but another node may hold the overwritten entry and commit it as a later leader
 * (the five-node test), so the runtime now says NotLeaderError, outcome unknown, as for any
 * change whose leader lost leadership first.
 *
 * On the simulated cluster (cluster.ts): the old leader commits a first change (a learner) and
 * is cut off one way as it sends that commit, so the others hold the first change uncommitted;
 * it then proposes a second change (and, in the three-node test, a command). The others elect a
 * new leader, which appends a noop at once (a configuration of an earlier term commits only
 * under an entry of its own) and sends it in its first probe, over the second change's index.
 * CheckQuorum is off and only AppendEntries reach the old leader (no vote request, no reply of a
 * later term), so it leads until that probe arrives, whatever the seed's timing: seeds 1-200
 * all get there in the three-node test; in the five-node one, 197 of 200 (in the other 3 the
 * node holding the entry leads first), and the change commits in all of them.
 */
import { expect } from 'chai'
import { NotLeaderError } from '../src/errors.js'
import type { Message } from '../src/messages.js'
import type { Raft } from '../src/runtime.js'
import type { NodeId } from '../src/types.js'
import { TestCluster, bytes } from './cluster.js'
import { ready } from './helpers/cluster-writes.js'

interface Overwritten {
  readonly old: Raft
  readonly oldTerm: number
  /** Where the second change went. */
  readonly at: number
  /** Its promise's rejection (or 'resolved'). */
  readonly outcome: unknown
  /** The first message of a later term to reach the old leader: did it lead, what it carried. */
  readonly arrival: { leading: boolean; entries: string[] } | undefined
  /** The new leader whose probe overwrote the change. */
  readonly overwriter: NodeId | undefined
  /** The follower that also holds the second change (withHolder). */
  readonly holder: NodeId | undefined
}

/**
 * Runs the scenario up to the second change's rejection. `withHolder`: a follower (the
 * holder) also receives the second change, and the new leader's messages then reach only the
 * old leader, so that its noop is never committed. `before` runs right after the second change
 * is proposed.
 */
async function overwrite(
  c: TestCluster,
  withHolder: boolean,
  before: (old: Raft) => void = () => undefined,
): Promise<Overwritten> {
  const old = await ready(c)
  const holder = withHolder ? c.ids.find((id) => id !== old.id) : undefined
  const oldTerm = old.getState().term
  const first = old.status().lastIndex + 1 // where the first change goes
  let cut = false
  let overwriter: NodeId | undefined
  c.net.filter = (m: Message) => {
    if (m.from === old.id && m.type === 'AppendEntries' && m.leaderCommit >= first) cut = true
    if (!cut) return true
    if (m.type === 'AppendEntries' && m.term > oldTerm && m.from !== holder) overwriter ??= m.from
    if (m.from === old.id) return m.to === holder
    if (m.to === old.id) return m.type === 'AppendEntries'
    return holder === undefined || m.from !== overwriter
  }
  await old.addLearner('n8')
  for (const id of c.ids.filter((id) => id !== old.id))
    expect(c.node(id).membership().committedIndex, id).to.be.lessThan(first)

  const at = old.status().lastIndex + 1
  let outcome: unknown = 'pending'
  old.addLearner('n9').then(
    () => (outcome = 'resolved'),
    (e: unknown) => (outcome = e),
  )
  expect(old.membership().currentIndex).to.equal(at)
  before(old)
  let arrival: Overwritten['arrival']
  c.net.onDeliver = (m) => {
    if (arrival === undefined && m.to === old.id && m.term > oldTerm)
      arrival = {
        leading: old.getState().isLeader,
        entries: m.type === 'AppendEntries' ? m.entries.map((e) => `${e.index} ${e.kind}`) : [],
      }
  }
  await c.waitFor(() => outcome !== 'pending')
  c.net.onDeliver = undefined
  expect(cut).to.equal(true)
  return { old, oldTerm, at, outcome, arrival, overwriter, holder }
}

const learnersEverywhere = (c: TestCluster): string[] =>
  c.ids.map((id) => [...c.node(id).membership().committed.learners].sort().join('+'))

describe('Membership rules: a change overwritten by a new leader', () => {
  it('a membership change whose entry a new leader overwrites on the old leader is rejected with NotLeaderError (outcome unknown); with no other copy it is never applied, and the change retried on the new leader commits', async () => {
    const c = new TestCluster({ seed: 61, config: { checkQuorum: false } })
    await c.clock.run(async () => {
      let lost: ReturnType<Raft['start']> | undefined
      const run = await overwrite(c, false, (old) => (lost = old.start(bytes('lost'))))
      const { old, at } = run
      expect(lost).to.deep.include({ index: at + 1, isLeader: true })
      expect(run.arrival).to.deep.equal({ leading: true, entries: [`${at} noop`] })
      expect(run.outcome).to.be.instanceOf(NotLeaderError)
      expect((run.outcome as Error).message).to.match(/outcome is unknown/)
      expect(old.entries(at, at + 1)[0]!.kind).to.equal('noop')
      expect(old.entries(at, at + 1)[0]!.term).to.be.greaterThan(run.oldTerm)

      c.net.filter = undefined
      const now = await c.leader()
      expect(now.id).to.equal(run.overwriter)
      const newTerm = now.getState().term
      await c.waitFor(() => c.ids.every((id) => c.node(id).appliedIndex() >= at))
      for (const id of c.ids) {
        // Nowhere applied: every node applied the new leader's noop there, and the command
        // proposed after the change (start() has no promise) went with it.
        const there = c.applied.get(id)!.find((m) => m.index === at)
        expect(there, id).to.deep.include({ kind: 'noop', term: newTerm })
        expect(c.node(id).entries(at, at + 1)[0], id).to.deep.include({ kind: 'noop' })
        expect(c.commands(id), id).to.not.include('lost')
      }
      expect(learnersEverywhere(c)).to.deep.equal(c.ids.map(() => 'n8'))

      await now.addLearner('n9')
      await c.waitFor(() => learnersEverywhere(c).every((l) => l === 'n8+n9'))
      // Where the lost command went, the old leader's service was handed the retried change.
      expect(c.applied.get(old.id)!.find((m) => m.index === at + 1)).to.deep.include({
        kind: 'noop',
        term: newTerm,
      })
      await c.shutdown()
    })
  })

  it('with five nodes, a follower that holds the overwritten entry later leads and commits it: the change happens everywhere, the old leader included (why the rejection cannot say it was dropped)', async () => {
    const c = new TestCluster({ seed: 62, size: 5, config: { checkQuorum: false } })
    await c.clock.run(async () => {
      const run = await overwrite(c, true)
      const { old, at, oldTerm } = run
      expect(run.arrival).to.deep.equal({ leading: true, entries: [`${at} noop`] })
      expect(run.outcome).to.be.instanceOf(NotLeaderError)
      expect((run.outcome as Error).message).to.match(/outcome is unknown/)
      expect(old.entries(at, at + 1)[0]!.kind).to.equal('noop')
      expect(old.entries(at, at + 1)[0]!.term).to.be.greaterThan(oldTerm)
      expect(c.node(run.holder!).entries(at, at + 1)[0]).to.deep.include({
        kind: 'config',
        term: oldTerm,
      })

      // The holder's log is the most up to date of the three the overwriter's noop never
      // reached: it wins a later term with their votes and commits the change.
      await c.waitFor(
        () => c.node(run.holder!).membership().committedIndex >= at && c.leaders().length > 0,
        20_000,
      )
      expect(c.node(run.holder!).getState().isLeader).to.equal(true)
      c.net.filter = undefined
      await c.waitFor(() => learnersEverywhere(c).every((l) => l === 'n8+n9'), 20_000)
      await c.waitFor(() => c.ids.every((id) => c.node(id).appliedIndex() >= at))
      for (const id of c.ids) {
        expect(c.node(id).entries(at, at + 1)[0], id).to.deep.include({
          kind: 'config',
          term: oldTerm,
        })
        const there = c.applied.get(id)!.find((m) => m.index === at)
        expect(there, id).to.deep.include({ term: oldTerm })
      }
      await c.shutdown()
    })
  })
})
