/** Lab 2B: log replication (test_test.go, 6.5840 Spring 2023). */
import { ELECTION_TIMEOUT_MS } from '../harness.js'
import type { Cluster } from '../harness.js'
import { scenario } from '../scenario.js'
import { randomString, spawn } from './tasks.js'

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v)

export const TestBasicAgree2B = scenario({
  name: 'TestBasicAgree2B',
  part: '2B',
  description: 'Test (2B): basic agreement',
  servers: 3,
  async run(c) {
    c.begin('Test (2B): basic agreement')
    for (let index = 1; index < 4; index++) {
      const { count } = c.nCommitted(index)
      if (count > 0) throw c.fail('some have committed before Start()')
      const xindex = await c.one(index * 100, c.n, false)
      if (xindex !== index) throw c.fail(`got index ${xindex} but expected ${index}`)
    }
    c.end()
  },
})

export const TestRPCBytes2B = scenario({
  name: 'TestRPCBytes2B',
  part: '2B',
  description: 'Test (2B): RPC byte count',
  servers: 3,
  requires: ['byteCounts'],
  async run(c) {
    c.begin('Test (2B): RPC byte count')
    await c.one(99, c.n, false)
    const bytes0 = c.bytesTotal()
    let sent = 0
    for (let index = 2; index < 12; index++) {
      const cmd = randomString(5000, (m) => c.rng.int(m))
      const xindex = await c.one(cmd, c.n, false)
      if (xindex !== index) throw c.fail(`got index ${xindex} but expected ${index}`)
      sent += cmd.length
    }
    const got = c.bytesTotal() - bytes0
    const expected = c.n * sent
    if (got > expected + 50_000)
      throw c.fail(`too many RPC bytes; got ${got}, expected ${expected}`)
    c.end()
  },
})

export const TestFollowerFailure2B = scenario({
  name: 'TestFollowerFailure2B',
  part: '2B',
  description: 'Test (2B): test progressive failure of followers',
  servers: 3,
  async run(c) {
    const n = c.n
    c.begin('Test (2B): test progressive failure of followers')
    await c.one(101, n, false)
    // disconnect one follower from the network.
    const leader1 = await c.checkOneLeader()
    c.disconnect((leader1 + 1) % n)
    // the leader and remaining follower should be able to agree despite the disconnected follower.
    await c.one(102, n - 1, false)
    await c.sleep(ELECTION_TIMEOUT_MS)
    await c.one(103, n - 1, false)
    // disconnect the remaining follower
    const leader2 = await c.checkOneLeader()
    c.disconnect((leader2 + 1) % n)
    c.disconnect((leader2 + 2) % n)
    // submit a command.
    const { index, isLeader } = c.start(leader2, 104)
    if (!isLeader) throw c.fail('leader rejected Start()')
    if (index !== 4) throw c.fail(`expected index 4, got ${index}`)
    await c.sleep(2 * ELECTION_TIMEOUT_MS)
    // check that command 104 did not commit.
    const { count } = c.nCommitted(index)
    if (count > 0) throw c.fail(`${count} committed but no majority`)
    c.end()
  },
})

export const TestLeaderFailure2B = scenario({
  name: 'TestLeaderFailure2B',
  part: '2B',
  description: 'Test (2B): test failure of leaders',
  servers: 3,
  async run(c) {
    const n = c.n
    c.begin('Test (2B): test failure of leaders')
    await c.one(101, n, false)
    // disconnect the first leader.
    const leader1 = await c.checkOneLeader()
    c.disconnect(leader1)
    // the remaining followers should elect a new leader.
    await c.one(102, n - 1, false)
    await c.sleep(ELECTION_TIMEOUT_MS)
    await c.one(103, n - 1, false)
    // disconnect the new leader.
    const leader2 = await c.checkOneLeader()
    c.disconnect(leader2)
    // submit a command to each server.
    for (let i = 0; i < n; i++) c.start(i, 104)
    await c.sleep(2 * ELECTION_TIMEOUT_MS)
    // check that command 104 did not commit.
    const { count } = c.nCommitted(4)
    if (count > 0) throw c.fail(`${count} committed but no majority`)
    c.end()
  },
})

export const TestFailAgree2B = scenario({
  name: 'TestFailAgree2B',
  part: '2B',
  description: 'Test (2B): agreement after follower reconnects',
  servers: 3,
  async run(c) {
    const n = c.n
    c.begin('Test (2B): agreement after follower reconnects')
    await c.one(101, n, false)
    // disconnect one follower from the network.
    const leader = await c.checkOneLeader()
    c.disconnect((leader + 1) % n)
    // the leader and remaining follower should be able to agree despite the disconnected follower.
    await c.one(102, n - 1, false)
    await c.one(103, n - 1, false)
    await c.sleep(ELECTION_TIMEOUT_MS)
    await c.one(104, n - 1, false)
    await c.one(105, n - 1, false)
    // re-connect
    c.connect((leader + 1) % n)
    // the full set of servers should preserve previous agreements, and be able to agree on new commands.
    await c.one(106, n, true)
    await c.sleep(ELECTION_TIMEOUT_MS)
    await c.one(107, n, true)
    c.end()
  },
})

export const TestFailNoAgree2B = scenario({
  name: 'TestFailNoAgree2B',
  part: '2B',
  description: 'Test (2B): no agreement if too many followers disconnect',
  servers: 5,
  async run(c) {
    const n = c.n
    c.begin('Test (2B): no agreement if too many followers disconnect')
    await c.one(10, n, false)
    // 3 of 5 followers disconnect
    const leader = await c.checkOneLeader()
    c.disconnect((leader + 1) % n)
    c.disconnect((leader + 2) % n)
    c.disconnect((leader + 3) % n)
    const r = c.start(leader, 20)
    if (!r.isLeader) throw c.fail('leader rejected Start()')
    if (r.index !== 2) throw c.fail(`expected index 2, got ${r.index}`)
    await c.sleep(2 * ELECTION_TIMEOUT_MS)
    const { count } = c.nCommitted(r.index)
    if (count > 0) throw c.fail(`${count} committed but no majority`)
    // repair
    c.connect((leader + 1) % n)
    c.connect((leader + 2) % n)
    c.connect((leader + 3) % n)
    // the disconnected majority may have chosen a leader from among their own ranks, forgetting index 2.
    const leader2 = await c.checkOneLeader()
    const r2 = c.start(leader2, 30)
    if (!r2.isLeader) throw c.fail('leader2 rejected Start()')
    if (r2.index < 2 || r2.index > 3) throw c.fail(`unexpected index ${r2.index}`)
    await c.one(1000, n, true)
    c.end()
  },
})

/** One try of TestConcurrentStarts2B; false means "the term changed, try again". */
async function concurrentStartsTry(c: Cluster): Promise<boolean> {
  const leader = await c.checkOneLeader()
  const first = c.start(leader, 1)
  if (!first.isLeader) return false
  const term = first.term
  const iters = 5
  // Five concurrent Start()s; an index counts only if it was accepted in the same term.
  const started = await Promise.all(
    Array.from({ length: iters }, (_, ii) =>
      spawn(async () => {
        const r = c.start(leader, 100 + ii)
        return r.term === term && r.isLeader ? r.index : null
      }),
    ),
  )
  for (let j = 0; j < c.n; j++) if (c.getState(j).term !== term) return false // term changed
  const cmds: number[] = []
  for (const index of started) {
    if (index === null) continue
    const cmd = await c.wait(index, c.n, term)
    if (!isInt(cmd)) throw c.fail(`value ${String(cmd)} is not an int`)
    if (cmd === -1) return false // peers have moved on to later terms
    cmds.push(cmd)
  }
  for (let ii = 0; ii < iters; ii++) {
    const x = 100 + ii
    if (!cmds.includes(x)) throw c.fail(`cmd ${x} missing in [${cmds.join(' ')}]`)
  }
  return true
}

export const TestConcurrentStarts2B = scenario({
  name: 'TestConcurrentStarts2B',
  part: '2B',
  description: 'Test (2B): concurrent Start()s',
  servers: 3,
  async run(c) {
    c.begin('Test (2B): concurrent Start()s')
    let success = false
    for (let attempt = 0; attempt < 5 && !success; attempt++) {
      if (attempt > 0) await c.sleep(3000) // give solution some time to settle
      success = await concurrentStartsTry(c)
    }
    if (!success) throw c.fail('term changed too often')
    c.end()
  },
})

export const TestRejoin2B = scenario({
  name: 'TestRejoin2B',
  part: '2B',
  description: 'Test (2B): rejoin of partitioned leader',
  servers: 3,
  async run(c) {
    const n = c.n
    c.begin('Test (2B): rejoin of partitioned leader')
    await c.one(101, n, true)
    // leader network failure
    const leader1 = await c.checkOneLeader()
    c.disconnect(leader1)
    // make old leader try to agree on some entries
    c.start(leader1, 102)
    c.start(leader1, 103)
    c.start(leader1, 104)
    // new leader commits, also for index=2
    await c.one(103, 2, true)
    // new leader network failure
    const leader2 = await c.checkOneLeader()
    c.disconnect(leader2)
    // old leader connected again
    c.connect(leader1)
    await c.one(104, 2, true)
    // all together now
    c.connect(leader2)
    await c.one(105, n, true)
    c.end()
  },
})

export const TestBackup2B = scenario({
  name: 'TestBackup2B',
  part: '2B',
  description: 'Test (2B): leader backs up quickly over incorrect follower logs',
  servers: 5,
  async run(c) {
    const n = c.n
    c.begin('Test (2B): leader backs up quickly over incorrect follower logs')
    await c.one(c.randInt(), n, true)
    // put leader and one follower in a partition
    const leader1 = await c.checkOneLeader()
    c.disconnect((leader1 + 2) % n)
    c.disconnect((leader1 + 3) % n)
    c.disconnect((leader1 + 4) % n)
    // submit lots of commands that won't commit
    for (let i = 0; i < 50; i++) c.start(leader1, c.randInt())
    await c.sleep(ELECTION_TIMEOUT_MS / 2)
    c.disconnect((leader1 + 0) % n)
    c.disconnect((leader1 + 1) % n)
    // allow other partition to recover
    c.connect((leader1 + 2) % n)
    c.connect((leader1 + 3) % n)
    c.connect((leader1 + 4) % n)
    // lots of successful commands to new group.
    for (let i = 0; i < 50; i++) await c.one(c.randInt(), 3, true)
    // now another partitioned leader and one follower
    const leader2 = await c.checkOneLeader()
    let other = (leader1 + 2) % n
    if (leader2 === other) other = (leader2 + 1) % n
    c.disconnect(other)
    // lots more commands that won't commit
    for (let i = 0; i < 50; i++) c.start(leader2, c.randInt())
    await c.sleep(ELECTION_TIMEOUT_MS / 2)
    // bring original leader back to life,
    for (let i = 0; i < n; i++) c.disconnect(i)
    c.connect((leader1 + 0) % n)
    c.connect((leader1 + 1) % n)
    c.connect(other)
    // lots of successful commands to new group.
    for (let i = 0; i < 50; i++) await c.one(c.randInt(), 3, true)
    // now everyone
    for (let i = 0; i < n; i++) c.connect(i)
    await c.one(c.randInt(), n, true)
    c.end()
  },
})

/** Requests delivered to every server's current endpoint (the lab's rpcs()). */
function rpcs(c: Cluster): number {
  let total = 0
  for (let j = 0; j < c.n; j++) total += c.rpcCount(j)
  return total
}

/** One try of TestCount2B's agreement phase: the RPC total after it, or null to retry. */
async function countTry(c: Cluster): Promise<number | null> {
  const leader = await c.checkOneLeader()
  const total1 = rpcs(c)
  const iters = 10
  const first = c.start(leader, 1)
  if (!first.isLeader) return null
  const { index: starti, term } = first
  const cmds: number[] = []
  for (let i = 1; i < iters + 2; i++) {
    const x = c.rng.int(0x80000000)
    cmds.push(x)
    const r = c.start(leader, x)
    if (r.term !== term || !r.isLeader) return null // term changed while starting
    if (starti + i !== r.index) throw c.fail('Start() failed')
  }
  for (let i = 1; i < iters + 1; i++) {
    const cmd = await c.wait(starti + i, c.n, term)
    if (cmd === -1) return null // term changed -- try again
    if (cmd !== cmds[i - 1])
      throw c.fail(
        `wrong value ${String(cmd)} committed for index ${starti + i}; expected ${cmds.join(' ')}`,
      )
  }
  let failed = false
  for (let j = 0; j < c.n; j++) if (c.getState(j).term !== term) failed = true
  if (failed) return null
  const total2 = rpcs(c)
  if (total2 - total1 > (iters + 1 + 3) * 3)
    throw c.fail(`too many RPCs (${total2 - total1}) for ${iters} entries`)
  return total2
}

export const TestCount2B = scenario({
  name: 'TestCount2B',
  part: '2B',
  description: "Test (2B): RPC counts aren't too high",
  servers: 3,
  requires: ['rpcCounts'],
  async run(c) {
    c.begin("Test (2B): RPC counts aren't too high")
    await c.checkOneLeader()
    const total1 = rpcs(c)
    if (total1 > 30 || total1 < 1)
      throw c.fail(`too many or few RPCs (${total1}) to elect initial leader`)
    let total2: number | null = null
    for (let attempt = 0; attempt < 5 && total2 === null; attempt++) {
      if (attempt > 0) await c.sleep(3000) // give solution some time to settle
      total2 = await countTry(c)
    }
    if (total2 === null) throw c.fail('term changed too often')
    await c.sleep(ELECTION_TIMEOUT_MS)
    const total3 = rpcs(c)
    if (total3 - total2 > 3 * 20)
      throw c.fail(`too many RPCs (${total3 - total2}) for 1 second of idleness`)
    c.end()
  },
})

export const scenarios2B = [
  TestBasicAgree2B,
  TestRPCBytes2B,
  TestFollowerFailure2B,
  TestLeaderFailure2B,
  TestFailAgree2B,
  TestFailNoAgree2B,
  TestConcurrentStarts2B,
  TestRejoin2B,
  TestBackup2B,
  TestCount2B,
]
