/**
 * What in a Ready waits for its write, and what does not. The core hands out only committed
 * entries that are already durable on this node, and a commit index is volatile state (Figure 2),
 * so applying committed entries, answering reads and moving the commit index never wait for the
 * disk; only messages that depend on new entries, a term or a vote do.
 */
import { expect } from 'chai'
import type { ClusterOptions } from './cluster.js'
import { TestCluster, bytes } from './cluster.js'
import { HeldStorage } from './helpers/held-storage.js'

describe('Raft runtime: what waits for a Ready’s write', function () {
  let cluster: TestCluster

  afterEach(async () => {
    for (const s of cluster.storages.values()) (s as HeldStorage).release()
    await cluster.clock.run(() => cluster.shutdown())
  })

  async function start(seed: number, options: Omit<ClusterOptions, 'seed'> = {}): Promise<void> {
    cluster = new TestCluster({ seed, ...options })
    for (const id of cluster.ids) await cluster.start(id, new HeldStorage())
  }
  const disk = (id: string): HeldStorage => cluster.storages.get(id) as HeldStorage
  /**
   * A single node, so that each Ready is easy to stage: while the write of 'a' is held, 'b' is
   * proposed; when that write completes the next Ready carries 'a' as committed (now durable
   * here) and 'b' to write, and that second write is held too.
   */
  async function stageTwoReadys() {
    const node = await cluster.leader()
    const storage = disk(node.id)
    storage.hold()
    const a = node.start(bytes('a')).index
    await cluster.clock.sleep(1)
    // The pump runs after this event-loop turn's I/O: let it hand out the Ready with 'a'.
    await new Promise((resolve) => setImmediate(resolve))
    const writesBefore = storage.batches.length
    node.start(bytes('b'))
    storage.release()
    // The pump finishes the write of 'a' and hands out the next Ready, whose write of 'b' waits.
    storage.hold()
    await cluster.waitFor(() => storage.batches.length > writesBefore, 50)
    return { node, storage, a }
  }

  it('applies an entry committed and durable here while the disk is stuck on a later write', async () => {
    await start(31, { size: 1 })
    await cluster.clock.run(async () => {
      const { node, storage } = await stageTwoReadys()
      const last = storage.batches[storage.batches.length - 1]
      expect(last?.entries?.map((e) => e.index)).to.deep.equal([node.status().lastIndex])
      await cluster.waitFor(() => cluster.commands(node.id).includes('a'), 50)
      expect(storage.held).to.equal(true)
      expect(cluster.commands(node.id)).to.deep.equal(['a'])
      storage.release()
      await cluster.waitFor(() => cluster.commands(node.id).includes('b'))
      expect(cluster.commands(node.id)).to.deep.equal(['a', 'b'])
    })
  })

  it('lets the service snapshot from its apply handler before the Ready’s write completes', async () => {
    const errors: unknown[] = []
    await start(33, {
      size: 1,
      onApply: (_id, msg, raft) => {
        if (msg.kind !== 'command') return
        // Not awaited: the snapshot's write queues behind the held one.
        raft.snapshot(msg.index, bytes(`upto-${msg.index}`)).catch((e: unknown) => errors.push(e))
      },
    })
    await cluster.clock.run(async () => {
      const { node, storage, a } = await stageTwoReadys()
      await cluster.waitFor(() => cluster.commands(node.id).includes('a'), 50)
      expect(storage.held).to.equal(true)
      expect(node.status().snapshotIndex).to.equal(a)
      storage.release()
      await cluster.waitFor(() => cluster.commands(node.id).includes('b'))
      await cluster.waitFor(() => node.status().snapshotIndex > a)
      expect(errors).to.deep.equal([])
    })
  })

  it('a follower applies an entry the leader committed while its own write of it is held (thesis 10.2.1)', async () => {
    await start(35)
    await cluster.clock.run(async () => {
      const leader = await cluster.leader()
      const follower = cluster.ids.find((id) => id !== leader.id)!
      disk(follower).hold()
      const { index } = leader.start(bytes('a'))
      // The leader and the other follower are a durable majority; the commit index reaches
      // this follower with the next AppendEntries or heartbeat, while its write is still held.
      await cluster.waitFor(() => cluster.commands(follower).includes('a'), 250)
      expect(disk(follower).held).to.equal(true)
      expect((await disk(follower).load()).entries.some((e) => e.index === index)).to.equal(false)
      disk(follower).release()
      await cluster.waitFor(() => cluster.node(follower).status().lastIndex >= index)
    })
  })

  it('serves reads that arrive in separate callbacks of one event-loop turn with one heartbeat round', async () => {
    await start(36)
    await cluster.clock.run(async () => {
      const leader = await cluster.leader()
      leader.start(bytes('a')) // a committed entry of this term, so reads need no no-op first
      await cluster.waitFor(() => cluster.ids.every((id) => cluster.commands(id).includes('a')))
      await cluster.clock.sleep(20) // quiet: no append or commit message still pending
      const before = cluster.net.stats().rpcs
      // Three I/O-like callbacks of the same turn (as three HTTP requests would be).
      const reads = await new Promise<Promise<number>[]>((resolve) => {
        const got: Promise<number>[] = []
        for (let i = 0; i < 3; i++)
          setImmediate(() => {
            got.push(leader.readIndex())
            if (got.length === 3) resolve(got)
          })
      })
      const indexes = await Promise.all(reads)
      expect(new Set(indexes).size).to.equal(1)
      // One round: one heartbeat to each of the two followers.
      expect(cluster.net.stats().rpcs - before).to.equal(2)
    })
  })

  it('writes no batch for a commit-index change alone; the commit index rides with the next write', async () => {
    await start(34)
    await cluster.clock.run(async () => {
      const leader = await cluster.leader()
      const index: Record<string, number> = {}
      for (const word of ['a', 'b', 'c']) {
        index[word] = leader.start(bytes(word)).index
        await cluster.waitFor(() => cluster.ids.every((id) => cluster.commands(id).includes(word)))
      }
      for (const id of cluster.ids) {
        const batches = disk(id).batches
        // Every batch carries entries, a snapshot, or a new term or vote.
        let term = 0
        let vote: string | null = null
        for (const b of batches) {
          const hs = b.hardState
          const termOrVote = hs !== undefined && (hs.term !== term || hs.votedFor !== vote)
          expect((b.entries?.length ?? 0) > 0 || b.snapshot !== undefined || termOrVote).to.equal(
            true,
            `${id}: a batch with nothing but a commit index: ${JSON.stringify(hs)}`,
          )
          expect(b.sync).to.equal(true)
          if (hs) ({ term, votedFor: vote } = hs)
        }
        // 'a' was committed before 'c' was written: the batch with 'c' holds a commit >= 'a'.
        const withC = batches.filter((b) => (b.entries ?? []).some((e) => e.index === index['c']))
        expect(withC).to.have.length.greaterThan(0)
        expect(withC[withC.length - 1]?.hardState?.commit ?? 0).to.be.at.least(index['a']!)
      }
    })
  })
})
