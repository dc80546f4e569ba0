/**
 * Rules of the runtime's membership and leadership-transfer promises (membership-runtime.ts)
 * that the mutation run of session 16 found unpinned (TESTING.md, "Membership, learners and
 * leadership transfer"): how a transfer's promise settles when it cannot start, is to this node
 * itself, or ends without the target leading; and that a refused change is never proposed
 * later. On the simulated cluster (cluster.ts).
 */
import { expect } from 'chai'
import {
  ChangeInProgressError,
  LeadershipTransferError,
  NotLeaderError,
  UnknownNodeError,
} from '../src/errors.js'
import { TestCluster, bytes } from './cluster.js'
import { ready, snapshotEveryFifth } from './helpers/cluster-writes.js'

/** Settles `p` and returns its rejection (or undefined), failing after `limitMs` simulated. */
async function outcome(c: TestCluster, p: Promise<unknown>, limitMs = 10_000): Promise<unknown> {
  let settled = false
  let error: unknown
  p.then(
    () => (settled = true),
    (e: unknown) => {
      error = e
      settled = true
    },
  )
  await c.waitFor(() => settled, limitMs)
  return error
}

describe('Membership rules: runtime promises', () => {
  it('LeadershipTransfer: a transfer that cannot start rejects at once with the reason: NotLeaderError on a follower, UnknownNodeError for a non-voter', async () => {
    const c = new TestCluster({ seed: 41 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const follower = c.node(c.ids.find((id) => id !== leader.id)!)
      expect(await outcome(c, follower.transferLeadership(leader.id))).to.be.instanceOf(
        NotLeaderError,
      )
      expect(await outcome(c, leader.transferLeadership('n9'))).to.be.instanceOf(UnknownNodeError)
      expect(leader.getState().isLeader).to.equal(true)
      await c.shutdown()
    })
  })

  it('LeadershipTransfer: a transfer to the leader itself resolves at once', async () => {
    const c = new TestCluster({ seed: 42 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      expect(await outcome(c, leader.transferLeadership(leader.id), 1)).to.equal(undefined)
      expect(leader.getState().isLeader).to.equal(true)
      await c.shutdown()
    })
  })

  it('Membership: a change refused with ChangeInProgressError is never proposed later, once the change under way is done', async () => {
    const c = new TestCluster({ seed: 43 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const first = leader.addLearner('n8')
      expect(await outcome(c, leader.addLearner('n9'))).to.be.instanceOf(ChangeInProgressError)
      await first
      await c.clock.sleep(2_000)
      expect(leader.membership().current.learners).to.deep.equal(['n8'])
      await c.shutdown()
    })
  })

  it('Membership: on a new leader that has not committed in its term yet, a second change is refused and never proposed later', async () => {
    const c = new TestCluster({ seed: 44 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const target = c.ids.find((id) => id !== leader.id)!
      await leader.transferLeadership(target)
      const next = c.node(target)
      const first = next.addLearner('n8') // waits for the first commit of the new term
      const second = next.addLearner('n9')
      expect(await outcome(c, second)).to.be.instanceOf(ChangeInProgressError)
      await first
      await c.clock.sleep(2_000)
      expect(next.membership().current.learners).to.deep.equal(['n8'])
      await c.shutdown()
    })
  })

  it('LeadershipTransfer: when no leader emerges (the target and the third node are cut off once the target campaigns), the transfer is rejected on the tick that ends two election timeouts', async () => {
    const c = new TestCluster({ seed: 45 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const [target, third] = c.ids.filter((id) => id !== leader.id) as [string, string]
      c.net.onDeliver = (m) => {
        if (m.type === 'RequestVote' && m.from === target && m.to === leader.id) {
          c.net.disconnect(target)
          c.net.disconnect(third)
        }
      }
      const start = c.clock.now()
      let rejectedAt = 0
      const transfer = leader.transferLeadership(target)
      transfer.catch(() => (rejectedAt = c.clock.now()))
      const error = await outcome(c, transfer, 20_000)
      expect(error).to.be.instanceOf(LeadershipTransferError)
      expect((error as Error).message).to.match(/no leader emerged/)
      // Two maximum election timeouts of ticks (2 × 60 × 10 ms), counted from the transfer,
      // and noticed on the tick that ends them (not at the node's next Ready).
      expect(rejectedAt - start).to.be.within(1_190, 1_200)
      c.net.onDeliver = undefined
      c.net.connect(target)
      c.net.connect(third)
      await c.shutdown()
    })
  })

  it("LeadershipTransfer: when another election than the target's is won, the transfer is rejected naming the leader", async () => {
    const c = new TestCluster({ seed: 46 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const target = c.ids.find((id) => id !== leader.id)!
      c.net.onDeliver = (m) => {
        if (m.type === 'RequestVote' && m.from === target && m.to === leader.id)
          c.net.disconnect(target) // its votes never reach it: it cannot win
      }
      const error = await outcome(c, leader.transferLeadership(target), 20_000)
      expect(error).to.be.instanceOf(LeadershipTransferError)
      const now = await c.leader()
      expect(now.id).to.not.equal(target)
      expect((error as Error).message).to.include(`"${now.id}" became leader instead`)
      c.net.onDeliver = undefined
      c.net.connect(target)
      await c.shutdown()
    })
  })

  it('Membership: onMembershipChange is not called for a snapshot that carries the configuration already in effect', async () => {
    const c = new TestCluster({
      seed: 47,
      onApply: snapshotEveryFifth,
    })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const lagging = c.ids.find((id) => id !== leader.id)!
      const seen: unknown[] = []
      c.node(lagging).onMembershipChange((m) => seen.push(m))
      c.net.disconnect(lagging)
      for (let i = 0; i < 12; i++) {
        const r = leader.start(bytes(`a${i}`))
        await c.waitFor(() => leader.appliedIndex() >= r.index)
      }
      expect(leader.status().snapshotIndex).to.be.greaterThan(5)
      c.net.connect(lagging)
      await c.waitFor(() => c.node(lagging).appliedIndex() >= leader.appliedIndex())
      expect(c.applied.get(lagging)!.some((m) => m.kind === 'snapshot')).to.equal(true)
      expect(seen).to.deep.equal([])
      await c.shutdown()
    })
  })

  it('Membership: onMembershipChange hears of a configuration in the first pump turn after its entry is appended', async () => {
    const c = new TestCluster({ seed: 48 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const seen: string[][] = []
      leader.onMembershipChange((m) => seen.push([...m.learners]))
      const done = leader.addLearner('n8')
      await c.clock.sleep(0) // the pump's turn (a 0-ms timer scheduled before this one)
      expect(seen).to.deep.equal([['n8']])
      await done
      await c.shutdown()
    })
  })

  it('LeadershipTransfer: when the leader steps down (CheckQuorum) before the target takes over, the transfer is rejected saying leadership was lost', async () => {
    const c = new TestCluster({ seed: 49 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const others = c.ids.filter((id) => id !== leader.id)
      for (const id of others) c.net.disconnect(id)
      // Past one CheckQuorum round (the window before the cut still counts), so that the next
      // round, within an election timeout of the transfer, finds no quorum.
      await c.clock.sleep(310)
      expect(leader.getState().isLeader).to.equal(true)
      const error = await outcome(c, leader.transferLeadership(others[0]!))
      expect(error).to.be.instanceOf(LeadershipTransferError)
      expect((error as Error).message).to.match(/lost leadership before it completed/)
      for (const id of others) c.net.connect(id)
      await c.shutdown()
    })
  })

  it('LeadershipTransfer: a transfer abandoned by the leader (the target did not take over in time) is rejected saying so', async () => {
    const c = new TestCluster({ seed: 50 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const target = c.ids.find((id) => id !== leader.id)!
      c.net.disconnect(target)
      const error = await outcome(c, leader.transferLeadership(target))
      expect(error).to.be.instanceOf(LeadershipTransferError)
      expect((error as Error).message).to.match(/did not take over within an election timeout/)
      expect(leader.getState().isLeader).to.equal(true)
      c.net.connect(target)
      await c.shutdown()
    })
  })

  it('Membership: a membership listener that throws is logged as an error; the other listeners are still told', async () => {
    const c = new TestCluster({ seed: 51 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const seen: string[][] = []
      leader.onMembershipChange(() => {
        throw new Error('listener failed')
      })
      leader.onMembershipChange((m) => seen.push([...m.learners]))
      await leader.addLearner('n8')
      // Told twice: when the configuration took effect (appended) and when it committed.
      expect(seen).to.deep.equal([['n8'], ['n8']])
      const logged = c.warnings.filter((w) => w.id === leader.id)
      expect(logged.map((w) => [w.msg, w.fields?.['error']])).to.deep.equal([
        ['a membership listener threw', 'Error: listener failed'],
        ['a membership listener threw', 'Error: listener failed'],
      ])
      await c.shutdown()
    })
  })
})
