// A replica snapshots once the persisted Raft state reaches maxRaftState. A snapshot that
// fails is retried at the next applied entry, never at once in a loop: a Raft stopped under a
// live replica (a storage failure, or a harness stopping the node before the server) rejects
// every snapshot at once, and an immediate retry spun forever on microtasks (found by
// TestConcurrent14B seed 1 over FileStorage with the disk model).
import { expect } from 'chai'
import { SimulatedClock, StoppedError } from '@raftkit/raft-core'
import type { ApplyMsg, StateMachine } from '@raftkit/raft-core'
import { Replica } from '../src/replica.js'
import type { ReplicaRaft } from '../src/replica.js'

class FakeRaft implements ReplicaRaft {
  snapshots: number[] = []
  fail: Error | null = null
  private handler: ((msg: ApplyMsg) => void | Promise<void>) | undefined
  start() {
    return { index: 1, term: 1, isLeader: true }
  }
  getState() {
    return { term: 1, isLeader: true }
  }
  onApply(handler: (msg: ApplyMsg) => void | Promise<void>): void {
    this.handler = handler
  }
  snapshot(index: number): Promise<void> {
    this.snapshots.push(index)
    // A replica that retries at once would spin here forever: stop failing after 50 calls so
    // that such a replica ends its loop and the test fails instead of hanging.
    if (this.snapshots.length >= 50) this.fail = null
    return this.fail ? Promise.reject(this.fail) : Promise.resolve()
  }
  kill(): Promise<void> {
    return Promise.resolve()
  }
  apply(index: number): void {
    void this.handler?.({ kind: 'command', index, term: 1, command: new Uint8Array([1]) })
  }
}

const sm: StateMachine<null> = {
  apply: () => null,
  snapshot: () => new Uint8Array([7]),
  restore: () => undefined,
}

/** Lets every queued microtask and promise reaction run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

function replicaOn(raft: FakeRaft): Replica<null> {
  return new Replica({
    raft,
    stateMachine: sm,
    clock: new SimulatedClock(),
    maxRaftState: 10,
    storageSize: () => ({ raftStateBytes: 100, snapshotBytes: 0 }), // always over the limit
  })
}

describe('Replica snapshots', () => {
  it('snapshots at the applied index once the Raft state is over maxRaftState', async () => {
    const raft = new FakeRaft()
    replicaOn(raft)
    raft.apply(1)
    await settle()
    raft.apply(2)
    await settle()
    expect(raft.snapshots).to.deep.equal([1, 2])
  })

  it('does not retry a failed snapshot at once: a stopped Raft is asked once per applied entry', async () => {
    const raft = new FakeRaft()
    raft.fail = new StoppedError()
    replicaOn(raft)
    raft.apply(1)
    await settle()
    expect(raft.snapshots).to.deep.equal([1])
    raft.apply(2)
    await settle()
    expect(raft.snapshots).to.deep.equal([1, 2])
  })
})
