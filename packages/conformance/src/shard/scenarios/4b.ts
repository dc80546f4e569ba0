/**
 * The sharded key/value scenarios (lab 4B, shardkv/test_test.go), step by step as the spec
 * describes them: three replica groups (gids 100–102) of three replicas, the controller, and
 * clerks; every clerk operation is recorded and the history is checked for linearizability at
 * the end of each scenario (the lab does it for TestUnreliable3).
 */
import { shardScenario } from '../scenario.js'
import {
  appenders,
  check,
  checkAll,
  checkAndAppend,
  checkLinearizable,
  endScenario,
  joinAndPutKeys,
  randstring,
} from './helpers.js'

export const TestStaticShards4B = shardScenario({
  name: 'TestStaticShards4B',
  part: '4B',
  description: 'Test: static shards (4B)',
  async run(c) {
    c.begin('Test: static shards ...')
    const { g, ck, ka, va } = await joinAndPutKeys(c, 10, 20, [0, 1])
    await checkAll(c, ck, ka, va)
    // make sure that the data really is sharded by shutting down one shard and checking that
    // some Get()s don't succeed
    await g.shutdownGroup(1)
    g.checklogs()
    let ndone = 0
    let last = c.clock.now()
    for (let i = 0; i < ka.length; i++) {
      const ck1 = g.makeClient()
      void ck1.get(ka[i]!).then(
        (v) => {
          if (v !== va[i]) c.fail(`Get(${ka[i]}): expected:\n${va[i]}\nreceived:\n${v}`)
          ndone++
          last = c.clock.now()
        },
        () => undefined,
      )
    }
    while (c.clock.now() - last < 2000) await c.sleep(50)
    c.check(ndone === 5, `expected 5 completions with one shard dead; got ${ndone}`)
    // bring the crashed shard/group back to life
    await g.startGroup(1)
    await endScenario(c, ck, ka, va)
  },
})

export const TestJoinLeave4B = shardScenario({
  name: 'TestJoinLeave4B',
  part: '4B',
  description: 'Test: join then leave (4B)',
  async run(c) {
    c.begin('Test: join then leave ...')
    const { g, ck, ka, va } = await joinAndPutKeys(c, 10, 5)
    await checkAll(c, ck, ka, va)
    await g.join(1)
    await checkAndAppend(c, ck, ka, va, 5)
    await g.leave(0)
    await checkAndAppend(c, ck, ka, va, 5)
    // allow time for shards to transfer
    await c.sleep(1000)
    g.checklogs()
    await g.shutdownGroup(0)
    await endScenario(c, ck, ka, va)
  },
})

export const TestSnapshot4B = shardScenario({
  name: 'TestSnapshot4B',
  part: '4B',
  description: 'Test: snapshots, join, and leave (4B)',
  maxRaftState: 1000,
  async run(c) {
    c.begin('Test: snapshots, join, and leave ...')
    const { g, ck, ka, va } = await joinAndPutKeys(c, 30, 20)
    await checkAll(c, ck, ka, va)
    await g.join(1)
    await g.join(2)
    await g.leave(0)
    await checkAndAppend(c, ck, ka, va, 20)
    await g.leave(1)
    await g.join(0)
    await checkAndAppend(c, ck, ka, va, 20)
    await c.sleep(1000)
    await checkAll(c, ck, ka, va)
    await c.sleep(1000)
    g.checklogs()
    for (let gi = 0; gi < 3; gi++) await g.shutdownGroup(gi)
    for (let gi = 0; gi < 3; gi++) await g.startGroup(gi)
    await endScenario(c, ck, ka, va)
  },
})

export const TestMissChange4B = shardScenario({
  name: 'TestMissChange4B',
  part: '4B',
  description: 'Test: servers miss configuration changes (4B)',
  maxRaftState: 1000,
  async run(c) {
    c.begin('Test: servers miss configuration changes...')
    const { g, ck, ka, va } = await joinAndPutKeys(c, 10, 20)
    await checkAll(c, ck, ka, va)
    await g.join(1)
    for (let gi = 0; gi < 3; gi++) await g.shutdownServer(gi, 0)
    await g.join(2)
    await g.leave(1)
    await g.leave(0)
    await checkAndAppend(c, ck, ka, va, 20)
    await g.join(1)
    await checkAndAppend(c, ck, ka, va, 20)
    for (let gi = 0; gi < 3; gi++) await g.startServer(gi, 0)
    await checkAndAppend(c, ck, ka, va, 20)
    await c.sleep(2000)
    for (let gi = 0; gi < 3; gi++) await g.shutdownServer(gi, 1)
    await g.join(0)
    await g.leave(2)
    await checkAndAppend(c, ck, ka, va, 20)
    for (let gi = 0; gi < 3; gi++) await g.startServer(gi, 1)
    await endScenario(c, ck, ka, va)
  },
})

export const TestConcurrent14B = shardScenario({
  name: 'TestConcurrent14B',
  part: '4B',
  description: 'Test: concurrent puts and configuration changes (4B)',
  maxRaftState: 100,
  async run(c) {
    c.begin('Test: concurrent puts and configuration changes...')
    const { g, ck, ka, va } = await joinAndPutKeys(c, 10, 5)
    const tasks = appenders(c, ka, va, 5, 10)
    await c.sleep(150)
    await g.join(1)
    await c.sleep(500)
    await g.join(2)
    await c.sleep(500)
    await g.leave(0)
    await g.shutdownGroup(0)
    await c.sleep(100)
    await g.shutdownGroup(1)
    await c.sleep(100)
    await g.shutdownGroup(2)
    await g.leave(2)
    await c.sleep(100)
    await g.startGroup(0)
    await g.startGroup(1)
    await g.startGroup(2)
    await c.sleep(100)
    await g.join(0)
    await g.leave(1)
    await c.sleep(500)
    await g.join(1)
    await c.sleep(1000)
    await tasks.stop()
    await endScenario(c, ck, ka, va)
  },
})

export const TestConcurrent24B = shardScenario({
  name: 'TestConcurrent24B',
  part: '4B',
  description: 'Test: more concurrent puts and configuration changes (4B)',
  async run(c) {
    c.begin('Test: more concurrent puts and configuration changes...')
    const { g, ck, ka, va } = await joinAndPutKeys(c, 10, 1, [1, 0, 2])
    const tasks = appenders(c, ka, va, 1, 50)
    await g.leave(0)
    await g.leave(2)
    await c.sleep(3000)
    await g.join(0)
    await g.join(2)
    await g.leave(1)
    await c.sleep(3000)
    await g.join(1)
    await g.leave(0)
    await g.leave(2)
    await c.sleep(3000)
    await g.shutdownGroup(1)
    await g.shutdownGroup(2)
    await c.sleep(1000)
    await g.startGroup(1)
    await g.startGroup(2)
    await c.sleep(2000)
    await tasks.stop()
    await endScenario(c, ck, ka, va)
  },
})

export const TestConcurrent34B = shardScenario({
  name: 'TestConcurrent34B',
  part: '4B',
  description: 'Test: concurrent configuration change and restart (4B)',
  maxRaftState: 300,
  async run(c) {
    c.begin('Test: concurrent configuration change and restart...')
    const { g, ck, ka, va } = await joinAndPutKeys(c, 10, 1)
    const tasks = appenders(c, ka, va, 1, 0)
    const t0 = c.clock.now()
    while (c.clock.now() - t0 < 12_000) {
      await g.join(2)
      await g.join(1)
      await c.sleep(c.rng.int(900))
      for (let gi = 0; gi < 3; gi++) await g.shutdownGroup(gi)
      for (let gi = 0; gi < 3; gi++) await g.startGroup(gi)
      await c.sleep(c.rng.int(900))
      await g.leave(1)
      await g.leave(2)
      await c.sleep(c.rng.int(900))
    }
    await c.sleep(2000)
    await tasks.stop()
    await endScenario(c, ck, ka, va)
  },
})

export const TestUnreliable14B = shardScenario({
  name: 'TestUnreliable14B',
  part: '4B',
  description: 'Test: unreliable 1 (4B)',
  unreliable: true,
  maxRaftState: 100,
  async run(c) {
    c.begin('Test: unreliable 1...')
    const { g, ck, ka, va } = await joinAndPutKeys(c, 10, 5)
    await g.join(1)
    await g.join(2)
    await g.leave(0)
    for (let ii = 0; ii < ka.length * 2; ii++) {
      const i = ii % ka.length
      await check(c, ck, ka[i]!, va[i]!)
      const x = randstring(c, 5)
      await ck.append(ka[i]!, x)
      va[i] += x
    }
    await g.join(0)
    await g.leave(1)
    for (let ii = 0; ii < ka.length * 2; ii++) {
      const i = ii % ka.length
      await check(c, ck, ka[i]!, va[i]!)
    }
    checkLinearizable(c)
    c.end()
  },
})

/** TestUnreliable2 and 3 share the schedule of configuration changes. */
async function unreliableSchedule(c: Parameters<typeof TestStaticShards4B.run>[0]): Promise<void> {
  const g = c.groups
  await c.sleep(150)
  await g.join(1)
  await c.sleep(500)
  await g.join(2)
  await c.sleep(500)
  await g.leave(0)
  await c.sleep(500)
  await g.leave(1)
  await c.sleep(500)
  await g.join(1)
  await g.join(0)
  await c.sleep(2000)
}

export const TestUnreliable24B = shardScenario({
  name: 'TestUnreliable24B',
  part: '4B',
  description: 'Test: unreliable 2 (4B)',
  unreliable: true,
  maxRaftState: 100,
  async run(c) {
    c.begin('Test: unreliable 2...')
    const { ck, ka, va } = await joinAndPutKeys(c, 10, 5)
    const tasks = appenders(c, ka, va, 5, 0)
    await unreliableSchedule(c)
    const stopping = tasks.stop()
    c.setUnreliable(false)
    await stopping
    await endScenario(c, ck, ka, va)
  },
})

export const TestUnreliable34B = shardScenario({
  name: 'TestUnreliable34B',
  part: '4B',
  description: 'Test: unreliable 3 (4B)',
  unreliable: true,
  maxRaftState: 100,
  async run(c) {
    c.begin('Test: unreliable 3...')
    const { g, ka } = await joinAndPutKeys(c, 10, 5)
    let done = false
    const tasks = ka.map(async () => {
      const ck1 = g.makeClient()
      while (!done && !c.stopped) {
        const key = ka[c.rng.int(ka.length)]!
        const r = c.rng.int(1000)
        if (r < 500) await ck1.append(key, randstring(c, 5))
        else if (r < 600) await ck1.put(key, randstring(c, 5))
        else await ck1.get(key)
      }
    })
    for (const t of tasks) t.catch(() => undefined)
    await unreliableSchedule(c)
    done = true
    await Promise.all(tasks)
    checkLinearizable(c)
    c.end()
  },
})
