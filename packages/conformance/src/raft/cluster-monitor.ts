/**
 * What the Raft harness (harness.ts) checks while a cluster runs, on its own: every apply goes
 * through the lab's apply checker (values agree with what the other servers applied, in order,
 * snapshots every SNAPSHOT_INTERVAL entries in snapshot mode), and after every timer the clock
 * fires it traces role changes and checks Raft's safety invariants (invariants.ts). A violation
 * is recorded through the cluster's fail(), which stops the run. The monitor sees the cluster
 * through MonitoredCluster, which the Cluster builds once over its own state.
 */
import type { ApplyMsg, Clock } from '@raftkit/raft-core'
import type { AppliedLogs } from './applied-logs.js'
import type { ClusterOptions } from './cluster-options.js'
import { SNAPSHOT_INTERVAL } from './cluster-options.js'
import { ScenarioFailure } from './failure.js'
import { InvariantChecker } from './invariants.js'
import type { LiveNode } from './invariants.js'
import type { RaftNode } from './node.js'
import type { TraceEvent } from './trace.js'
import { NOOP, decodeCommand, encodeSnapshot, show } from './values.js'

/** What the monitor reads and does of a cluster (harness.ts builds it over its own state). */
export interface MonitoredCluster {
  readonly clock: Clock
  /** Per server: the running node, null while crashed (the cluster's own array). */
  readonly nodes: ReadonlyArray<RaftNode | null>
  /** What every server applied (the cluster's own record). */
  readonly records: AppliedLogs
  /** True once the run failed or finished. */
  stopped(): boolean
  fail(reason: string | Error): Error
  emit(event: TraceEvent): void
}

/** The options the monitor follows. */
export type MonitorOptions = Pick<ClusterOptions, 'snapshot' | 'invariants' | 'invariantIntervalMs'>

export class ClusterMonitor {
  private readonly invariants = new InvariantChecker()
  /** The last role traced per server: its term (-1: none yet) and whether it led. */
  private readonly lastTerm: number[]
  private readonly lastLeader: boolean[]
  private lastLogCheck = Number.NEGATIVE_INFINITY

  constructor(
    private readonly c: MonitoredCluster,
    private readonly options: MonitorOptions,
  ) {
    this.lastTerm = c.nodes.map(() => -1)
    this.lastLeader = c.nodes.map(() => false)
  }

  /** Forgets the role traced for server i (it is restarting: its next role is traced anew). */
  forgetRole(i: number): void {
    this.lastTerm[i] = -1
  }

  /** The apply handler of server i's current node. */
  async onApply(i: number, node: RaftNode, msg: ApplyMsg): Promise<void> {
    if (this.c.stopped()) return
    try {
      await this.checkApply(i, node, msg)
    } catch (e) {
      if (this.c.nodes[i] === node || e instanceof ScenarioFailure) this.c.fail(e as Error)
    }
  }

  private async checkApply(i: number, node: RaftNode, msg: ApplyMsg): Promise<void> {
    const live = this.c.nodes[i] === node
    const snapMode = this.options.snapshot === true
    const records = this.c.records
    if (msg.kind === 'snapshot') {
      if (!snapMode || !live) return
      this.c.emit({ t: this.c.clock.now(), kind: 'snapshot', server: i, index: msg.index })
      const err = records.ingestSnapshot(i, msg.snapshot, msg.index)
      if (err !== null) throw this.c.fail(err)
      return
    }
    const value = msg.kind === 'command' ? decodeCommand(msg.command) : NOOP
    if (this.options.invariants !== false) this.invariants.noteApplied(i, msg.index, msg.term)
    if (!live) {
      // A killed incarnation may still deliver: its value must agree, but it is not recorded.
      const err = records.crossCheck(i, msg.index, value)
      if (err !== null) throw this.c.fail(err)
      return
    }
    this.c.emit({
      t: this.c.clock.now(),
      kind: 'apply',
      server: i,
      index: msg.index,
      value: show(value),
    })
    if (snapMode && msg.index !== records.lastApplied[i]! + 1)
      throw this.c.fail(
        `server ${i} apply out of order, expected index ${records.lastApplied[i]! + 1}, got ${msg.index}`,
      )
    const err = records.record(i, msg.index, value)
    if (err !== null) throw this.c.fail(err)
    records.lastApplied[i] = msg.index
    if (snapMode && (msg.index + 1) % SNAPSHOT_INTERVAL === 0)
      await node.snapshot(msg.index, encodeSnapshot(msg.index, records.log(i)))
  }

  /** Runs after every timer the clock fires: role tracing and the safety invariants. */
  afterStep(): void {
    if (this.c.stopped()) return
    try {
      const live = this.liveNodes()
      for (const { server, node } of live) {
        const state = node.getState()
        this.traceRole(server, state.term, state.isLeader)
        this.invariants.observe(server, state)
        if (state.isLeader) this.invariants.checkLeader(server, node, state.term)
      }
      const now = this.c.clock.now()
      if (now - this.lastLogCheck >= (this.options.invariantIntervalMs ?? 100)) {
        this.lastLogCheck = now
        this.invariants.checkLogMatching(live)
      }
    } catch (e) {
      this.c.fail(e instanceof Error ? e : new ScenarioFailure(String(e)))
    }
  }

  /** afterStep(), then the log-matching check now, whatever the interval. */
  checkNow(): void {
    this.afterStep()
    this.invariants.checkLogMatching(this.liveNodes())
  }

  private liveNodes(): LiveNode[] {
    const live: LiveNode[] = []
    this.c.nodes.forEach((node, server) => {
      if (node) live.push({ server, node })
    })
    return live
  }

  private traceRole(server: number, term: number, leader: boolean): void {
    if (this.lastTerm[server] === term && this.lastLeader[server] === leader) return
    this.lastTerm[server] = term
    this.lastLeader[server] = leader
    this.c.emit({ t: this.c.clock.now(), kind: 'role', server, term, leader })
  }
}
