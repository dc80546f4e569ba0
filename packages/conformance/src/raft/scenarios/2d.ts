/** Lab 2D: log compaction (test_test.go, 6.5840 Spring 2023). The applierSnap checker is on. */
import { SNAPSHOT_INTERVAL } from '../harness.js'
import type { Cluster } from '../harness.js'
import { scenario } from '../scenario.js'
import { TestSnapshotDuringSlowWrite2D } from './2d-disk.js'
import type { Scenario } from '../scenario.js'

/** Largest persisted Raft state (hard state + log) allowed while snapshots are taken. */
export const MAXLOGSIZE = 2000

async function snapcommon(
  c: Cluster,
  name: string,
  disconnect: boolean,
  crash: boolean,
): Promise<void> {
  const iters = 30
  const n = c.n
  c.begin(name)
  await c.one(c.randInt(), n, true)
  let leader1 = await c.checkOneLeader()
  for (let i = 0; i < iters; i++) {
    let victim = (leader1 + 1) % n
    let sender = leader1
    if (i % 3 === 1) {
      sender = (leader1 + 1) % n
      victim = leader1
    }
    if (disconnect) {
      c.disconnect(victim)
      await c.one(c.randInt(), n - 1, true)
    }
    if (crash) {
      await c.crash1(victim)
      await c.one(c.randInt(), n - 1, true)
    }
    // perhaps send enough to get a snapshot
    const nn = SNAPSHOT_INTERVAL / 2 + c.rng.int(SNAPSHOT_INTERVAL)
    for (let k = 0; k < nn; k++) c.start(sender, c.randInt())
    // let applier threads catch up with the Start()'s
    if (!disconnect && !crash) {
      // make sure all followers have caught up, so that an InstallSnapshot RPC isn't required
      // for TestSnapshotBasic2D().
      await c.one(c.randInt(), n, true)
    } else {
      await c.one(c.randInt(), n - 1, true)
    }
    const size = c.logSize()
    if (size >= MAXLOGSIZE) throw c.fail(`Log size too large (${size} bytes >= ${MAXLOGSIZE})`)
    if (disconnect) {
      // reconnect a follower, who maybe behind and needs to receive a snapshot to catch up.
      c.connect(victim)
      await c.one(c.randInt(), n, true)
      leader1 = await c.checkOneLeader()
    }
    if (crash) {
      await c.start1(victim)
      c.connect(victim)
      await c.one(c.randInt(), n, true)
      leader1 = await c.checkOneLeader()
    }
  }
  c.end()
}

function snapScenario(
  name: string,
  description: string,
  o: { disconnect: boolean; reliable: boolean; crash: boolean },
): Scenario {
  return scenario({
    name,
    part: '2D',
    description,
    servers: 3,
    unreliable: !o.reliable,
    snapshot: true,
    requires: ['snapshots'],
    run: (c) => snapcommon(c, description, o.disconnect, o.crash),
  })
}

export const TestSnapshotBasic2D = snapScenario(
  'TestSnapshotBasic2D',
  'Test (2D): snapshots basic',
  {
    disconnect: false,
    reliable: true,
    crash: false,
  },
)

export const TestSnapshotInstall2D = snapScenario(
  'TestSnapshotInstall2D',
  'Test (2D): install snapshots (disconnect)',
  {
    disconnect: true,
    reliable: true,
    crash: false,
  },
)

export const TestSnapshotInstallUnreliable2D = snapScenario(
  'TestSnapshotInstallUnreliable2D',
  'Test (2D): install snapshots (disconnect+unreliable)',
  { disconnect: true, reliable: false, crash: false },
)

export const TestSnapshotInstallCrash2D = snapScenario(
  'TestSnapshotInstallCrash2D',
  'Test (2D): install snapshots (crash)',
  { disconnect: false, reliable: true, crash: true },
)

export const TestSnapshotInstallUnCrash2D = snapScenario(
  'TestSnapshotInstallUnCrash2D',
  'Test (2D): install snapshots (unreliable+crash)',
  { disconnect: false, reliable: false, crash: true },
)

async function crashAndRestartAll(c: Cluster): Promise<void> {
  for (let i = 0; i < c.n; i++) await c.crash1(i)
  for (let i = 0; i < c.n; i++) {
    await c.start1(i)
    c.connect(i)
  }
}

export const TestSnapshotAllCrash2D = scenario({
  name: 'TestSnapshotAllCrash2D',
  part: '2D',
  description: 'Test (2D): crash and restart all servers',
  servers: 3,
  snapshot: true,
  requires: ['snapshots'],
  async run(c) {
    const n = c.n
    c.begin('Test (2D): crash and restart all servers')
    await c.one(c.randInt(), n, true)
    for (let i = 0; i < 5; i++) {
      // perhaps enough to get a snapshot
      const nn = SNAPSHOT_INTERVAL / 2 + c.rng.int(SNAPSHOT_INTERVAL)
      for (let k = 0; k < nn; k++) await c.one(c.randInt(), n, true)
      const index1 = await c.one(c.randInt(), n, true)
      await crashAndRestartAll(c)
      const index2 = await c.one(c.randInt(), n, true)
      if (index2 < index1 + 1) throw c.fail(`index decreased from ${index1} to ${index2}`)
    }
    c.end()
  },
})

export const TestSnapshotInit2D = scenario({
  name: 'TestSnapshotInit2D',
  part: '2D',
  description: 'Test (2D): snapshot initialization after crash',
  servers: 3,
  snapshot: true,
  requires: ['snapshots'],
  async run(c) {
    const n = c.n
    c.begin('Test (2D): snapshot initialization after crash')
    await c.one(c.randInt(), n, true)
    // enough ops to make a snapshot
    for (let i = 0; i < SNAPSHOT_INTERVAL + 1; i++) await c.one(c.randInt(), n, true)
    await crashAndRestartAll(c)
    // a single op, to get something to be written back to persistent storage.
    await c.one(c.randInt(), n, true)
    await crashAndRestartAll(c)
    // do another op to trigger potential bug
    await c.one(c.randInt(), n, true)
    c.end()
  },
})

export const scenarios2D = [
  TestSnapshotBasic2D,
  TestSnapshotInstall2D,
  TestSnapshotInstallUnreliable2D,
  TestSnapshotInstallCrash2D,
  TestSnapshotInstallUnCrash2D,
  TestSnapshotAllCrash2D,
  TestSnapshotInit2D,
  TestSnapshotDuringSlowWrite2D,
]

export { TestSnapshotDuringSlowWrite2D }
