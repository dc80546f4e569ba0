// Shared setup of the key/value harness tests: a KvCluster on transport-memory under a fresh
// SimulatedClock, cleaned up after the body, and waiting for a leader.
import { expect } from 'chai'
import { SimulatedClock } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import type { NetworkFactory } from '../../src/raft/index.js'
import { KvCluster } from '../../src/kv/index.js'
import type { KvClusterOptions } from '../../src/kv/index.js'

export const createNetwork: NetworkFactory = (_ids, o) => createMemoryNetwork(o)

/** Runs `body` on a new cluster in simulated time; the cluster is cleaned up afterwards. */
export async function withSimCluster(
  options: Omit<KvClusterOptions, 'clock' | 'createNetwork'>,
  body: (c: KvCluster, clock: SimulatedClock) => Promise<void>,
): Promise<void> {
  const clock = new SimulatedClock()
  await clock.run(async () => {
    const c = await KvCluster.create({ ...options, clock, createNetwork })
    try {
      await body(c, clock)
    } finally {
      await c.cleanup()
    }
  })
}

/** The leader once one is elected (polls every 100 ms for 5 s; fails the test otherwise). */
export async function awaitLeader(c: KvCluster): Promise<number> {
  let leader: number | undefined
  for (let i = 0; i < 50 && leader === undefined; i++) {
    await c.sleep(100)
    leader = c.leader()
  }
  expect(leader).to.be.a('number')
  return leader!
}
