/**
 * The shardkv challenges (lab 4B): moved-away shards are garbage-collected (persisted bytes of
 * all nine replicas bounded), shards not involved in a stuck migration stay available, and
 * shards received early are served although the rest of the migration is stuck.
 */
import { key2shard } from '@raftkit/shardkv'
import { shardScenario } from '../scenario.js'
import { check, checkLinearizable, endScenario, joinAndPutKeys } from './helpers.js'

export const TestChallenge1Delete4B = shardScenario({
  name: 'TestChallenge1Delete4B',
  part: '4B',
  description: 'Test: shard deletion (challenge 1) (4B)',
  maxRaftState: 1,
  async run(c) {
    c.begin('Test: shard deletion (challenge 1) ...')
    const n = 30
    const { g, ck, ka, va } = await joinAndPutKeys(c, n, 1000)
    const check3 = async () => {
      for (let i = 0; i < 3; i++) await check(c, ck, ka[i]!, va[i]!)
    }
    await check3()
    for (let iters = 0; iters < 2; iters++) {
      await g.join(1)
      await g.leave(0)
      await g.join(2)
      await c.sleep(3000)
      await check3()
      await g.leave(1)
      await g.join(0)
      await g.leave(2)
      await c.sleep(3000)
      await check3()
    }
    await g.join(1)
    await g.join(2)
    for (let i = 0; i < 3; i++) {
      await c.sleep(1000)
      await check3()
    }
    const total = g.totalPersistedBytes()
    c.log(`  persisted: ${total} bytes over 9 replicas`)
    // 27 keys should be stored once, 3 keys should also be stored in client dup tables, and
    // everything on 3 replicas; plus slop
    const expected = 3 * ((n - 3) * 1000 + 2 * 3 * 1000 + 6000)
    c.check(
      total <= expected,
      `snapshot + persisted Raft state are too big: ${total} > ${expected}`,
    )
    await endScenario(c, ck, ka, va)
  },
})

export const TestChallenge2Unaffected4B = shardScenario({
  name: 'TestChallenge2Unaffected4B',
  part: '4B',
  description: 'Test: unaffected shard access (challenge 2) (4B)',
  unreliable: true,
  maxRaftState: 100,
  async run(c) {
    c.begin('Test: unaffected shard access (challenge 2) ...')
    const g = c.groups
    const ck = g.makeClient()
    // JOIN 100
    await g.join(0)
    const ka: string[] = []
    const va: string[] = []
    for (let i = 0; i < 10; i++) {
      ka.push(String(i))
      va.push('100')
      await ck.put(ka[i]!, va[i]!)
    }
    // JOIN 101
    await g.join(1)
    // QUERY to find shards now owned by 101
    const config = await g.query()
    const owned = config.shards.map((gid) => gid === 101)
    // Wait for migration to new config to complete, and for clients to start using this
    // updated config. Gets to any key k such that owned[shard(k)] == true should now be
    // served by group 101.
    await c.sleep(1000)
    for (let i = 0; i < 10; i++) {
      if (owned[i]) {
        va[i] = '101'
        await ck.put(ka[i]!, va[i]!)
      }
    }
    // KILL 100
    await g.shutdownGroup(0)
    // LEAVE 100: 101 doesn't get a chance to migrate things previously owned by 100
    await g.leave(0)
    await c.sleep(1000)
    // check that 101 can still serve the shards it owned
    for (let i = 0; i < 10; i++) {
      const shard = key2shard(ka[i]!)
      if (owned[shard]) {
        await check(c, ck, ka[i]!, va[i]!)
        await ck.put(ka[i]!, va[i] + '-1')
        await check(c, ck, ka[i]!, va[i] + '-1')
      }
    }
    checkLinearizable(c)
    c.end()
  },
})

export const TestChallenge2Partial4B = shardScenario({
  name: 'TestChallenge2Partial4B',
  part: '4B',
  description: 'Test: partial migration shard access (challenge 2) (4B)',
  unreliable: true,
  maxRaftState: 100,
  async run(c) {
    c.begin('Test: partial migration shard access (challenge 2) ...')
    const g = c.groups
    const ck = g.makeClient()
    // JOIN 100 + 101 + 102
    await g.joinm([0, 1, 2])
    // Give the implementation some time to reconfigure
    await c.sleep(1000)
    const ka: string[] = []
    const va: string[] = []
    for (let i = 0; i < 10; i++) {
      ka.push(String(i))
      va.push('100')
      await ck.put(ka[i]!, va[i]!)
    }
    // QUERY to find shards owned by 102
    const config = await g.query()
    const owned = config.shards.map((gid) => gid === 102)
    // KILL 100
    await g.shutdownGroup(0)
    // LEAVE 100 + 102: 101 can get old shards from 102, but not from 100
    await g.leavem([0, 2])
    // Give 101 time to get the shards from 102
    await c.sleep(1000)
    for (let i = 0; i < 10; i++) {
      const shard = key2shard(ka[i]!)
      if (owned[shard]) {
        await check(c, ck, ka[i]!, va[i]!)
        await ck.put(ka[i]!, va[i] + '-2')
        await check(c, ck, ka[i]!, va[i] + '-2')
      }
    }
    checkLinearizable(c)
    c.end()
  },
})
