/**
 * The runtime API for membership and leadership (Raft.changeMembership, addLearner, promote,
 * removeNode, transferLeadership, membership(), onMembershipChange) on the simulated cluster:
 * grow, shrink, replace a dead node, move the leader, and the typed errors.
 */
import { expect } from 'chai'
import {
  ChangeInProgressError,
  LeadershipTransferError,
  NotLeaderError,
  StoppedError,
  UnknownNodeError,
} from '../src/errors.js'
import { MemoryStorage } from '../src/memory-storage.js'
import type { Membership, NodeId } from '../src/types.js'
import { TestCluster, bytes } from './cluster.js'
import { ready, snapshotEveryFifth, write } from './helpers/cluster-writes.js'
import { sortedMembership } from './helpers/membership.js'
import { rejection } from './helpers/rejection.js'

describe('Membership: runtime API', () => {
  it('Membership: grows 3 → 5 (new nodes join empty as learners, catch up, are promoted); writes continue', async () => {
    const c = new TestCluster({ seed: 11 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      await write(c, 'a', 5)
      for (const id of ['n4', 'n5']) {
        await c.start(id, new MemoryStorage(), { join: true })
        const m = await leader.addLearner(id)
        expect(m.learners).to.include(id)
      }
      await c.waitFor(() => c.node('n5').appliedIndex() >= leader.appliedIndex())
      await leader.promote('n4')
      const m = await leader.promote('n5')
      expect(sortedMembership(m)).to.deep.equal({
        voters: ['n1', 'n2', 'n3', 'n4', 'n5'],
        learners: [],
        outgoing: [],
      })
      await write(c, 'b', 3)
      await c.waitFor(() => c.commands('n5').length === 9)
      expect(c.commands('n5')).to.deep.equal(c.commands(leader.id))
      for (const id of ['n1', 'n2', 'n3', 'n4', 'n5'])
        await c.waitFor(() => c.node(id).membership().committed.voters.length === 5)
      await c.shutdown()
    })
  })

  it('Membership: shrinks 5 → 3 removing the leader itself: the promise resolves, the old leader steps down and hands over, another leads within a heartbeat interval; no acknowledged write is lost', async () => {
    const c = new TestCluster({ seed: 12, size: 5 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      await write(c, 'a', 3)
      const others = c.ids.filter((id) => id !== leader.id)
      const keep = others.slice(0, 3)
      const m = await leader.changeMembership({ voters: keep })
      const removedAt = c.clock.now()
      expect(sortedMembership(m).voters).to.deep.equal([...keep].sort())
      await c.waitFor(() => c.leaders().some((id) => id !== leader.id))
      // Handed over (TimeoutNow): one round of votes, well inside the heartbeat interval (100
      // ms here); stepping down alone leaves the cluster leaderless for an election timeout.
      expect(c.clock.now() - removedAt).to.be.below(100)
      expect(leader.getState().isLeader).to.equal(false)
      const next = await c.leader()
      expect(keep).to.include(next.id)
      await write(c, 'b', 2)
      await c.waitFor(() => c.commands(next.id).length === 6)
      expect(c.commands(next.id)).to.deep.equal(['w0', 'a0', 'a1', 'a2', 'b0', 'b1'])
      // The removed old leader never campaigns again and disturbs nobody.
      const term = next.status().term
      await c.clock.sleep(3000)
      expect(leader.status().role).to.equal('follower')
      expect(c.leaders()).to.deep.equal([next.id])
      expect(next.status().term).to.equal(term)
      await c.shutdown()
    })
  })

  it('Membership: replaces a dead node: n3 dies for good, fresh n4 joins and catches up by snapshot, n3 is removed', async () => {
    const c = new TestCluster({
      seed: 13,
      onApply: snapshotEveryFifth,
    })
    await c.clock.run(async () => {
      const leader = await ready(c)
      await c.crash('n3') // its disk is lost: never restarted
      await write(c, 'a', 12)
      expect(leader.status().snapshotIndex).to.be.greaterThan(5)
      await c.start('n4', new MemoryStorage(), { join: true })
      await leader.addLearner('n4')
      await c.waitFor(() => c.node('n4').appliedIndex() >= leader.appliedIndex())
      expect(c.applied.get('n4')![0]!.kind).to.equal('snapshot')
      await leader.promote('n4')
      const m = await leader.removeNode('n3')
      expect(sortedMembership(m)).to.deep.equal({
        voters: ['n1', 'n2', 'n4'],
        learners: [],
        outgoing: [],
      })
      await write(c, 'b', 2)
      await c.waitFor(() => c.commands('n4').at(-1) === 'b1')
      await c.shutdown()
    })
  })

  it('Membership: a node restarted from its storage knows the configuration (from its snapshot and log)', async () => {
    const c = new TestCluster({
      seed: 14,
      onApply: async (_id, msg, raft) => {
        if (msg.kind !== 'snapshot' && msg.index === 4) await raft.snapshot(msg.index, bytes('s'))
      },
    })
    await c.clock.run(async () => {
      const leader = await ready(c)
      await c.start('n4', new MemoryStorage(), { join: true })
      await leader.addLearner('n4')
      await write(c, 'a', 4)
      const follower = c.ids.find((id) => id !== leader.id)!
      await c.waitFor(() => c.node(follower).status().snapshotIndex >= 4)
      const disk = await c.crash(follower)
      const again = await c.start(follower, disk)
      expect(sortedMembership(again.membership().current)).to.deep.equal({
        voters: ['n1', 'n2', 'n3'],
        learners: ['n4'],
        outgoing: [],
      })
      const n4 = await c.crash('n4')
      const n4again = await c.start('n4', n4, { join: true })
      expect(n4again.membership().current.learners).to.deep.equal(['n4'])
      await c.shutdown()
    })
  })

  it('Membership: typed errors — NotLeaderError on a follower, ChangeInProgressError for a second change, UnknownNodeError, StoppedError', async () => {
    const c = new TestCluster({ seed: 15 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const follower = c.node(c.ids.find((id) => id !== leader.id)!)
      expect(await rejection(follower.addLearner('n9'))).to.be.instanceOf(NotLeaderError)
      expect(await rejection(leader.promote('n9'))).to.be.instanceOf(UnknownNodeError)
      expect(await rejection(leader.removeNode('n9'))).to.be.instanceOf(UnknownNodeError)
      const first = leader.addLearner('n9')
      expect(await rejection(leader.addLearner('n8'))).to.be.instanceOf(ChangeInProgressError)
      await first
      await leader.kill()
      expect(await rejection(leader.removeNode('n9'))).to.be.instanceOf(StoppedError)
      await c.shutdown()
    })
  })

  it('Membership: onMembershipChange tells the listener every configuration in effect (joint, then final) and every commit of one', async () => {
    const c = new TestCluster({ seed: 16 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const kind = (m: Membership): string =>
        m.outgoing.length > 0 ? 'joint' : m.voters.length === 3 ? 'old' : 'final'
      const dedupe = (xs: string[]): string[] => xs.filter((x, i) => x !== xs[i - 1])
      const seen: Array<{ inEffect: string; committed: string }> = []
      leader.onMembershipChange((m) =>
        seen.push({ inEffect: kind(m), committed: kind(leader.membership().committed) }),
      )
      await leader.removeNode(c.ids.find((id) => id !== leader.id)!)
      expect(dedupe(seen.map((s) => s.inEffect))).to.deep.equal(['joint', 'final'])
      // The last call is the final configuration's commit: a listener that keeps the removed
      // node reachable until then (kv-service's MemberDirectory) hears when it may let it go.
      expect(dedupe(seen.map((s) => s.committed))).to.deep.equal(['old', 'joint', 'final'])
      expect(sortedMembership(leader.membership().current).voters).to.have.length(2)
      await c.shutdown()
    })
  })
})

describe('LeadershipTransfer: runtime API', () => {
  it('LeadershipTransfer: transferLeadership resolves once the target leads; writes are refused meanwhile and continue on the new leader', async () => {
    const c = new TestCluster({ seed: 21 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const target = c.ids.find((id) => id !== leader.id)!
      const done = leader.transferLeadership(target)
      expect(leader.start(bytes('refused')).isLeader).to.equal(false)
      await done
      expect(c.leaders()).to.deep.equal([target])
      await write(c, 'after', 1)
      expect(c.commands(target)).to.deep.equal(['w0', 'after0'])
      await c.shutdown()
    })
  })

  it('LeadershipTransfer: the new leader accepts a membership change at once (it waits for the first commit of its term, then proposes)', async () => {
    const c = new TestCluster({ seed: 24 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      await leader.addLearner('n9')
      const target = c.ids.find((id) => id !== leader.id)!
      await leader.transferLeadership(target)
      const m = await c.node(target).removeNode(leader.id)
      expect(m.voters).to.not.include(leader.id)
      expect(m.learners).to.deep.equal(['n9'])
      await c.shutdown()
    })
  })

  it('LeadershipTransfer: a transfer to a cut-off node fails with LeadershipTransferError after an election timeout; the leader then accepts writes again', async () => {
    const c = new TestCluster({ seed: 22 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const target = c.ids.find((id) => id !== leader.id)!
      c.net.disconnect(target)
      const error = await rejection(leader.transferLeadership(target))
      expect(error).to.be.instanceOf(LeadershipTransferError)
      expect(leader.getState().isLeader).to.equal(true)
      expect(leader.start(bytes('again')).isLeader).to.equal(true)
      c.net.connect(target)
      await c.shutdown()
    })
  })

  it('LeadershipTransfer: a transfer to a voter that a membership change under way removes fails with LeadershipTransferError saying so', async () => {
    const c = new TestCluster({ seed: 26 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const target = c.ids.find((id) => id !== leader.id)!
      c.net.disconnect(target) // it never catches up: no TimeoutNow
      const removal = leader.removeNode(target) // joint: the target is an outgoing voter
      const error = await rejection(leader.transferLeadership(target))
      expect(error).to.be.instanceOf(LeadershipTransferError)
      expect(error.message).to.match(/no longer a voter/)
      expect(sortedMembership(await removal).voters).to.not.include(target)
      expect(leader.start(bytes('again')).isLeader).to.equal(true)
      c.net.connect(target)
      await c.shutdown()
    })
  })

  it('LeadershipTransfer: fails with LeadershipTransferError when the leader loses leadership before the target takes over', async () => {
    const c = new TestCluster({ seed: 25 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const others = c.ids.filter((id) => id !== leader.id)
      for (const id of others) c.net.disconnect(id)
      const error = await rejection(leader.transferLeadership(others[0]!))
      expect(error).to.be.instanceOf(LeadershipTransferError)
      for (const id of others) c.net.connect(id)
      await c.shutdown()
    })
  })

  it('LeadershipTransfer: to a lagging node: it is brought up to date first, then leads with every acknowledged write', async () => {
    const c = new TestCluster({ seed: 23 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const target = c.ids.find((id) => id !== leader.id)!
      c.net.disconnect(target)
      await write(c, 'a', 5)
      c.net.connect(target)
      await leader.transferLeadership(target)
      await write(c, 'b', 1)
      expect(c.commands(target)).to.deep.equal(['w0', 'a0', 'a1', 'a2', 'a3', 'a4', 'b0'])
      await c.shutdown()
    })
  })
})

describe('LeadershipTransfer: awaitLeader (a service holds requests instead of refusing them)', () => {
  it('LeadershipTransfer: on the old leader, awaitLeader resolves only once the target leads, naming it (never "no leader" in between)', async () => {
    const c = new TestCluster({ seed: 31 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const target = c.ids.find((id) => id !== leader.id)!
      const done = leader.transferLeadership(target)
      let seenAt: { targetLeads: boolean; oldLeaderKnows: NodeId | null } | undefined
      const news = leader.awaitLeader(10_000).then((n) => {
        seenAt = {
          targetLeads: c.node(target).getState().isLeader,
          oldLeaderKnows: leader.status().leader,
        }
        return n
      })
      expect(await news).to.deep.equal({ isLeader: false, leader: target })
      expect(seenAt).to.deep.equal({ targetLeads: true, oldLeaderKnows: target })
      await done
      await c.shutdown()
    })
  })

  it('LeadershipTransfer: when the transfer is abandoned, awaitLeader tells the old leader it leads again (the held request is served there)', async () => {
    const c = new TestCluster({ seed: 32 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const target = c.ids.find((id) => id !== leader.id)!
      c.net.disconnect(target)
      const failed = rejection(leader.transferLeadership(target))
      const news = await leader.awaitLeader(10_000)
      expect(news).to.deep.equal({ isLeader: true, leader: leader.id })
      expect(leader.start(bytes('held')).isLeader).to.equal(true)
      expect(await failed).to.be.instanceOf(LeadershipTransferError)
      c.net.connect(target)
      await c.shutdown()
    })
  })

  it('LeadershipTransfer: awaitLeader resolves at once on a leader with no transfer and on a follower that knows the leader; with what is known after the timeout otherwise; a killed node leads nobody', async () => {
    const c = new TestCluster({ seed: 33 })
    await c.clock.run(async () => {
      const leader = await ready(c)
      const follower = c.node(c.ids.find((id) => id !== leader.id)!)
      const t0 = c.clock.now()
      expect(await leader.awaitLeader(500)).to.deep.equal({ isLeader: true, leader: leader.id })
      expect(await follower.awaitLeader(500)).to.deep.equal({ isLeader: false, leader: leader.id })
      expect(c.clock.now()).to.equal(t0)
      // A transfer to a cut-off node lasts an election timeout (300 ms by default): a shorter
      // wait ends with no leader to name.
      const target = follower.id
      c.net.disconnect(target)
      const failed = rejection(leader.transferLeadership(target))
      expect(await leader.awaitLeader(50)).to.deep.equal({ isLeader: false, leader: null })
      expect(c.clock.now() - t0).to.be.within(50, 60)
      const pending = leader.awaitLeader(10_000)
      await leader.kill()
      expect(await pending).to.deep.equal({ isLeader: false, leader: null })
      expect(await leader.awaitLeader(10)).to.deep.equal({ isLeader: false, leader: null })
      await failed
      c.net.connect(target)
      await c.shutdown()
    })
  })
})
