/**
 * The server indices of a test cluster (0..n-1), shared by the Raft and kv harnesses' servers
 * (raft/servers.ts, kv/servers.ts): checks an index and maps it to the server's NodeId and to
 * its storage harness, throwing a RangeError for an index that names no server.
 */
import type { NodeId } from '@raftkit/raft-core'
import type { StorageHarness } from './storage-harness.js'

export class ServerIndex {
  constructor(
    /** Per server: its NodeId. */
    private readonly serverIds: readonly NodeId[],
    /** Per server: its storage harness (the simulated disks' when the disk model is on). */
    readonly harnesses: readonly StorageHarness[],
  ) {}

  /** The NodeId of server i (throws a RangeError when there is no such server). */
  id(i: number): NodeId {
    return this.serverIds[this.check(i)]!
  }

  /** i, when it is a server of the cluster (throws a RangeError otherwise). */
  check(i: number): number {
    const n = this.serverIds.length
    if (!Number.isInteger(i) || i < 0 || i >= n)
      throw new RangeError(`server ${String(i)} does not exist (the cluster has ${n} servers)`)
    return i
  }

  /** The storage harness of server i. */
  protected harness(i: number): StorageHarness {
    const h = this.harnesses[this.check(i)]
    if (!h) throw new RangeError(`no server ${i}`)
    return h
  }
}
