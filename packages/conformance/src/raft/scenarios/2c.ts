/** Lab 2C: persistence (test_test.go, 6.5840 Spring 2023). */
import { ELECTION_TIMEOUT_MS } from '../harness.js'
import type { Cluster } from '../harness.js'
import { scenario } from '../scenario.js'
import { spawn } from './tasks.js'

export const TestPersist12C = scenario({
  name: 'TestPersist12C',
  part: '2C',
  description: 'Test (2C): basic persistence',
  servers: 3,
  async run(c) {
    const n = c.n
    c.begin('Test (2C): basic persistence')
    await c.one(11, n, true)
    // crash and re-start all
    for (let i = 0; i < n; i++) await c.start1(i)
    for (let i = 0; i < n; i++) {
      c.disconnect(i)
      c.connect(i)
    }
    await c.one(12, n, true)
    const leader1 = await c.checkOneLeader()
    c.disconnect(leader1)
    await c.start1(leader1)
    c.connect(leader1)
    await c.one(13, n, true)
    const leader2 = await c.checkOneLeader()
    c.disconnect(leader2)
    await c.one(14, n - 1, true)
    await c.start1(leader2)
    c.connect(leader2)
    await c.wait(4, n, -1) // wait for leader2 to join before killing i3
    const i3 = ((await c.checkOneLeader()) + 1) % n
    c.disconnect(i3)
    await c.one(15, n - 1, true)
    await c.start1(i3)
    c.connect(i3)
    await c.one(16, n, true)
    c.end()
  },
})

export const TestPersist22C = scenario({
  name: 'TestPersist22C',
  part: '2C',
  description: 'Test (2C): more persistence',
  servers: 5,
  async run(c) {
    const n = c.n
    c.begin('Test (2C): more persistence')
    let index = 1
    for (let iters = 0; iters < 5; iters++) {
      await c.one(10 + index, n, true)
      index++
      const leader1 = await c.checkOneLeader()
      c.disconnect((leader1 + 1) % n)
      c.disconnect((leader1 + 2) % n)
      await c.one(10 + index, n - 2, true)
      index++
      c.disconnect((leader1 + 0) % n)
      c.disconnect((leader1 + 3) % n)
      c.disconnect((leader1 + 4) % n)
      await c.start1((leader1 + 1) % n)
      await c.start1((leader1 + 2) % n)
      c.connect((leader1 + 1) % n)
      c.connect((leader1 + 2) % n)
      await c.sleep(ELECTION_TIMEOUT_MS)
      // the only one of these three holding the latest entry
      await c.start1((leader1 + 3) % n)
      c.connect((leader1 + 3) % n)
      await c.one(10 + index, n - 2, true)
      index++
      c.connect((leader1 + 4) % n)
      c.connect((leader1 + 0) % n)
    }
    await c.one(1000, n, true)
    c.end()
  },
})

export const TestPersist32C = scenario({
  name: 'TestPersist32C',
  part: '2C',
  description: 'Test (2C): partitioned leader and one follower crash, leader restarts',
  servers: 3,
  async run(c) {
    const n = c.n
    c.begin('Test (2C): partitioned leader and one follower crash, leader restarts')
    await c.one(101, 3, true)
    const leader = await c.checkOneLeader()
    c.disconnect((leader + 2) % n)
    await c.one(102, 2, true)
    await c.crash1((leader + 0) % n)
    await c.crash1((leader + 1) % n)
    c.connect((leader + 2) % n)
    await c.start1((leader + 0) % n)
    c.connect((leader + 0) % n)
    await c.one(103, 2, true)
    await c.start1((leader + 1) % n)
    c.connect((leader + 1) % n)
    await c.one(104, n, true)
    c.end()
  },
})

/** Figure 8's sleep: 10 % of the time up to half an election timeout, else up to 13 ms. */
async function figure8Sleep(c: Cluster): Promise<void> {
  if (c.rng.int(1000) < 100) await c.sleep(c.rng.int(ELECTION_TIMEOUT_MS / 2))
  else await c.sleep(c.rng.int(13))
}

export const TestFigure82C = scenario({
  name: 'TestFigure82C',
  part: '2C',
  description: 'Test (2C): Figure 8',
  servers: 5,
  async run(c) {
    const n = c.n
    c.begin('Test (2C): Figure 8')
    await c.one(c.randInt(), 1, true)
    let nup = n
    for (let iters = 0; iters < 1000; iters++) {
      let leader = -1
      for (let i = 0; i < n; i++) {
        if (c.isLive(i) && c.start(i, c.randInt()).isLeader) leader = i
      }
      await figure8Sleep(c)
      if (leader !== -1) {
        await c.crash1(leader)
        nup -= 1
      }
      if (nup < 3) {
        const s = c.rng.int(n)
        if (!c.isLive(s)) {
          await c.start1(s)
          c.connect(s)
          nup += 1
        }
      }
    }
    for (let i = 0; i < n; i++) {
      if (!c.isLive(i)) {
        await c.start1(i)
        c.connect(i)
      }
    }
    await c.one(c.randInt(), n, true)
    c.end()
  },
})

export const TestUnreliableAgree2C = scenario({
  name: 'TestUnreliableAgree2C',
  part: '2C',
  description: 'Test (2C): unreliable agreement',
  servers: 5,
  unreliable: true,
  async run(c) {
    const n = c.n
    c.begin('Test (2C): unreliable agreement')
    const tasks: Array<Promise<number>> = []
    for (let iters = 1; iters < 50; iters++) {
      for (let j = 0; j < 4; j++) tasks.push(spawn(() => c.one(100 * iters + j, 1, true)))
      await c.one(iters, 1, true)
    }
    c.setUnreliable(false)
    await Promise.all(tasks)
    await c.one(100, n, true)
    c.end()
  },
})

export const TestFigure8Unreliable2C = scenario({
  name: 'TestFigure8Unreliable2C',
  part: '2C',
  description: 'Test (2C): Figure 8 (unreliable)',
  servers: 5,
  unreliable: true,
  async run(c) {
    const n = c.n
    c.begin('Test (2C): Figure 8 (unreliable)')
    await c.one(c.randInt() % 10000, 1, true)
    let nup = n
    for (let iters = 0; iters < 1000; iters++) {
      if (iters === 200) c.setLongReordering(true)
      let leader = -1
      for (let i = 0; i < n; i++) {
        const ok = c.start(i, c.randInt() % 10000).isLeader
        if (ok && c.isConnected(i)) leader = i
      }
      await figure8Sleep(c)
      if (leader !== -1 && c.rng.int(1000) < ELECTION_TIMEOUT_MS / 2) {
        c.disconnect(leader)
        nup -= 1
      }
      if (nup < 3) {
        const s = c.rng.int(n)
        if (!c.isConnected(s)) {
          c.connect(s)
          nup += 1
        }
      }
    }
    for (let i = 0; i < n; i++) if (!c.isConnected(i)) c.connect(i)
    await c.one(c.randInt() % 10000, n, true)
    c.end()
  },
})

/** One churn client: proposes random values everywhere, records the ones it saw committed. */
async function churnClient(c: Cluster, me: number, stop: { stopped: boolean }): Promise<number[]> {
  const values: number[] = []
  while (!stop.stopped) {
    const x = c.randInt()
    let index = -1
    let ok = false
    for (let i = 0; i < c.n; i++) {
      if (!c.isLive(i)) continue
      const r = c.start(i, x)
      if (r.isLeader) {
        ok = true
        index = r.index
      }
    }
    if (ok) {
      // maybe leader will commit our value, maybe not. but don't wait forever.
      for (const to of [10, 20, 50, 100, 200]) {
        const { count, value } = c.nCommitted(index)
        if (count > 0) {
          if (typeof value !== 'number' || !Number.isInteger(value))
            throw c.fail('wrong command type')
          if (value === x) values.push(x)
          break
        }
        await c.sleep(to)
      }
    } else {
      await c.sleep(79 + me * 17)
    }
  }
  return values
}

async function internalChurn(c: Cluster, unreliable: boolean): Promise<void> {
  const n = c.n
  c.begin(unreliable ? 'Test (2C): unreliable churn' : 'Test (2C): churn')
  const stop = { stopped: false }
  const ncli = 3
  const clients = Array.from({ length: ncli }, (_, me) => spawn(() => churnClient(c, me, stop)))
  for (let iters = 0; iters < 20; iters++) {
    if (c.rng.int(1000) < 200) c.disconnect(c.rng.int(n))
    if (c.rng.int(1000) < 500) {
      const i = c.rng.int(n)
      if (!c.isLive(i)) await c.start1(i)
      c.connect(i)
    }
    if (c.rng.int(1000) < 200) {
      const i = c.rng.int(n)
      if (c.isLive(i)) await c.crash1(i)
    }
    // Make crash/restart infrequent enough that the peers can often keep up, but not so
    // infrequent that everything has settled down from one change to the next.
    await c.sleep((ELECTION_TIMEOUT_MS * 7) / 10)
  }
  await c.sleep(ELECTION_TIMEOUT_MS)
  c.setUnreliable(false)
  for (let i = 0; i < n; i++) {
    if (!c.isLive(i)) await c.start1(i)
    c.connect(i)
  }
  stop.stopped = true
  const values: number[] = []
  for (const client of clients) {
    const vv = await client.catch(() => null)
    if (vv === null) throw c.fail('client failed')
    values.push(...vv)
  }
  await c.sleep(ELECTION_TIMEOUT_MS)
  const lastIndex = await c.one(c.randInt(), n, true)
  const really = new Set<number>()
  for (let index = 1; index <= lastIndex; index++) {
    const v = await c.wait(index, n, -1)
    if (typeof v !== 'number' || !Number.isInteger(v)) throw c.fail('not an int')
    really.add(v)
  }
  for (const v1 of values) if (!really.has(v1)) throw c.fail("didn't find a value")
  c.end()
}

export const TestReliableChurn2C = scenario({
  name: 'TestReliableChurn2C',
  part: '2C',
  description: 'Test (2C): churn',
  servers: 5,
  run: (c) => internalChurn(c, false),
})

export const TestUnreliableChurn2C = scenario({
  name: 'TestUnreliableChurn2C',
  part: '2C',
  description: 'Test (2C): unreliable churn',
  servers: 5,
  unreliable: true,
  run: (c) => internalChurn(c, true),
})

export const scenarios2C = [
  TestPersist12C,
  TestPersist22C,
  TestPersist32C,
  TestFigure82C,
  TestUnreliableAgree2C,
  TestFigure8Unreliable2C,
  TestReliableChurn2C,
  TestUnreliableChurn2C,
]
