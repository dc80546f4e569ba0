/**
 * Shared steps of the runtime membership tests on the simulated cluster (membership-runtime
 * and membership-runtime-rules specs): writing through whichever node leads, a leader that has
 * committed in its term, and a service that snapshots every fifth entry.
 */
import type { ApplyMsg } from '../../src/apply.js'
import type { Raft } from '../../src/runtime.js'
import type { NodeId } from '../../src/types.js'
import { type TestCluster, bytes } from '../cluster.js'

/** Writes `n` commands through whichever node leads; waits until each is applied there. */
export async function write(c: TestCluster, prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    let leader = await c.leader()
    let r = leader.start(bytes(`${prefix}${i}`))
    while (!r.isLeader) {
      await c.clock.sleep(20)
      leader = await c.leader()
      r = leader.start(bytes(`${prefix}${i}`))
    }
    await c.waitFor(() => leader.appliedIndex() >= r.index || !leader.getState().isLeader)
  }
}

/** Starts n1..n3 and returns a leader that has committed an entry of its term ("w0"). */
export async function ready(c: TestCluster): Promise<Raft> {
  await c.startAll()
  await write(c, 'w', 1)
  return c.leader()
}

/** An `onApply` that snapshots at every fifth entry (so lagging nodes catch up by snapshot). */
export async function snapshotEveryFifth(_id: NodeId, msg: ApplyMsg, raft: Raft): Promise<void> {
  if (msg.kind !== 'snapshot' && msg.index % 5 === 0)
    await raft.snapshot(msg.index, bytes(`s${msg.index}`))
}
