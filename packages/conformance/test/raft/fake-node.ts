// A scriptable stand-in for a Raft node: the tests set its term, leadership and log, and make
// it "apply" whatever they like, so the harness's checks can be shown to fail.
import type { ApplyMsg, Entry, Status } from '@raftkit/raft-core'
import type { NodeOptions, RaftNode, StartResult } from '../../src/raft/index.js'
import { encodeCommand } from '../../src/raft/index.js'

export class FakeNode implements RaftNode {
  term = 0
  leader = false
  log: Entry[] = []
  firstIndex = 1
  killed = false
  readonly snapshots: Array<{ index: number; data: Uint8Array }> = []
  private handler: ((msg: ApplyMsg) => void | Promise<void>) | null = null

  constructor(readonly options: NodeOptions) {}

  start(command: Uint8Array): StartResult {
    if (!this.leader) return { index: -1, term: this.term, isLeader: false }
    const index = this.firstIndex + this.log.length
    this.log.push({ index, term: this.term, kind: 'command', data: command })
    return { index, term: this.term, isLeader: true }
  }

  getState(): { term: number; isLeader: boolean } {
    return { term: this.term, isLeader: this.leader }
  }

  onApply(handler: (msg: ApplyMsg) => void | Promise<void>): void {
    this.handler = handler
  }

  async snapshot(index: number, data: Uint8Array): Promise<void> {
    this.snapshots.push({ index, data })
  }

  status(): Status {
    return {
      id: this.options.id,
      role: this.leader ? 'leader' : 'follower',
      term: this.term,
      leader: null,
      votedFor: null,
      commitIndex: 0,
      appliedIndex: 0,
      firstIndex: this.firstIndex,
      lastIndex: this.firstIndex + this.log.length - 1,
      snapshotIndex: this.firstIndex - 1,
      snapshotTerm: 0,
    }
  }

  entries(lo: number, hi: number): Entry[] {
    return this.log.filter((e) => e.index >= lo && e.index < hi)
  }

  async kill(): Promise<void> {
    this.killed = true
  }

  /** Sets the log to commands `values` in `term` (index 1 on). */
  setLog(values: readonly unknown[], term = 1): void {
    this.log = values.map((v, k) => ({
      index: k + 1,
      term,
      kind: 'command',
      data: encodeCommand(v),
    }))
  }

  /** Delivers a command ApplyMsg as the runtime would. */
  async apply(index: number, value: unknown, term = 1): Promise<void> {
    await this.handler?.({ kind: 'command', index, term, command: encodeCommand(value) })
  }

  async applySnapshot(index: number, snapshot: Uint8Array, term = 1): Promise<void> {
    await this.handler?.({ kind: 'snapshot', index, term, snapshot })
  }
}
