/**
 * A real raftkit cluster for the multi-process tests: `raftkit init` (free loopback ports) in a
 * temporary folder, one `raftkit serve` process per node, their HTTP admin API, and cleanup of
 * every process and file whatever happens. Plus what the specs share around it: a recorded
 * client workload run under a test (withWorkload) and the checks a run ends with (no
 * acknowledged write lost, a linearizable history, no node that exited on its own).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ClusterConfig } from '@raftkit/kv-service'
import { loadClusterConfig } from '@raftkit/kv-service'
import { createRng } from '@raftkit/raft-core'
import { expect } from 'chai'
import {
  ClusterAdmin,
  NodeProcesses,
  Workload,
  delay,
  finalReads,
  initClusterDir,
  lostAcknowledgedWrites,
  newRecorder,
} from '@raftkit/kv-service/chaos'
import type { LeaderInfo } from '@raftkit/kv-service/chaos'
import { checkOperations, kvModel, renderText } from '@raftkit/linearizability'
import type { HistoryRecorder, KvInput, KvOutput } from '@raftkit/linearizability'
import type { KvHistory } from '@raftkit/kv-service/chaos'
import type { ShardConfig, ShardNodeStatus } from '@raftkit/shardkv'

export class TestCluster {
  private constructor(
    readonly dir: string,
    readonly configFile: string,
    readonly config: ClusterConfig,
    readonly nodes: NodeProcesses,
    readonly admin: ClusterAdmin,
  ) {}

  /** `logLevel`: the nodes' --log-level (default warn; info for tests that read the logs). */
  static async start(n = 3, logLevel = 'warn'): Promise<TestCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'raftkit-mp-'))
    try {
      const configFile = await initClusterDir(dir, n)
      const config = await loadClusterConfig(configFile)
      const ids = config.nodes.map((x) => x.id)
      const nodes = new NodeProcesses({
        configFile,
        ids,
        logDir: join(dir, 'logs'),
        serveArgs: ['--log-level', logLevel],
      })
      nodes.startAll()
      return new TestCluster(dir, configFile, config, nodes, new ClusterAdmin(config))
    } catch (e) {
      await rm(dir, { recursive: true, force: true })
      throw e
    }
  }

  get ids(): readonly string[] {
    return this.nodes.ids
  }

  waitForLeader(
    timeoutMs = 30_000,
    options: { ids?: readonly string[]; afterTerm?: number } = {},
  ): Promise<LeaderInfo> {
    return this.admin.waitForLeader(timeoutMs, options)
  }

  /** Polls (bounded) until `ok` holds for the node's status. */
  async waitForStatus(
    id: string,
    what: string,
    ok: (s: NonNullable<Awaited<ReturnType<ClusterAdmin['status']>>>) => boolean,
    timeoutMs = 20_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const s = await this.admin.status(id)
      if (s && ok(s)) return
      await delay(150)
    }
    throw new Error(`${id}: not ${what} within ${timeoutMs} ms`)
  }

  /** Stops every node (SIGTERM) and removes the folder (kept when `keep`, for the logs). */
  async close(keep = false): Promise<void> {
    await this.nodes.stopAll(5000)
    if (!keep) await rm(this.dir, { recursive: true, force: true })
  }
}

/** Asserts the history is linearizable, with the failing partition drawn when it is not. */
export function expectLinearizable(history: KvHistory, timeoutMs = 30_000): void {
  const result = checkOperations(kvModel, history, { timeoutMs })
  if (result.result === 'illegal') {
    const bad = result.partitions.find((p) => p.verdict === 'illegal')
    expect.fail(
      `not linearizable:\n${result.explanation ?? ''}\n${bad ? renderText(kvModel, bad) : ''}`,
    )
  }
  expect(result.result, result.explanation).to.equal('ok')
}

/** A spec's client workload: its keys, clients, the seed of their choices, the per-operation
 * deadline (ms) and how the clients reach the nodes (HTTP by default, or the WebSocket RPC). */
export interface WorkloadPlan {
  readonly keys: readonly string[]
  readonly clients: number
  readonly seed: number
  readonly deadlineMs: number
  readonly protocol?: 'http' | 'ws'
}

/** A workload running on a cluster, with the recorder of its history. */
export interface WorkloadRun {
  readonly keys: readonly string[]
  readonly recorder: HistoryRecorder<KvInput, KvOutput>
  readonly workload: Workload
}

/**
 * Starts the planned workload on the cluster, runs `body` under it, then stops the workload
 * without waiting for what is in flight (`stop(0)`), whatever happened. A body that wants the
 * in-flight operations finished calls `run.workload.stop()` itself first.
 */
export async function withWorkload(
  cluster: TestCluster,
  plan: WorkloadPlan,
  body: (run: WorkloadRun) => Promise<void>,
): Promise<void> {
  const recorder = newRecorder()
  const workload = new Workload({
    config: cluster.config,
    clients: plan.clients,
    keys: plan.keys,
    rng: createRng(plan.seed),
    recorder,
    deadlineMs: plan.deadlineMs,
    protocol: plan.protocol,
  })
  workload.start()
  try {
    await body({ keys: plan.keys, recorder, workload })
  } finally {
    await workload.stop(0)
  }
}

/**
 * The checks every run ends with, given the final values of the keys (finalReads): no
 * acknowledged write missing from them, the whole history linearizable, no node that exited on
 * its own.
 */
export function expectNothingLost(
  cluster: TestCluster,
  run: WorkloadRun,
  finals: ReadonlyMap<string, string>,
): void {
  expect(lostAcknowledgedWrites(run.recorder.operations(), finals)).to.deep.equal([])
  expectLinearizable(run.recorder.operations())
  expect(cluster.nodes.unexpectedExits, 'nodes that exited on their own').to.deep.equal([])
}

/** Reads every key of the run (each must answer), then expectNothingLost. */
export async function expectFinalState(cluster: TestCluster, run: WorkloadRun): Promise<void> {
  const finals = await finalReads(cluster.config, run.recorder, run.keys)
  expect([...finals.keys()].sort()).to.deep.equal(run.keys)
  expectNothingLost(cluster, run, finals)
}

/**
 * Registers the hooks every multi-process spec needs: remember whether the test failed, then
 * close the cluster it started (keeping the node logs, and saying where, on failure). Call it
 * inside `describe`; `start(n)` starts the cluster these hooks will close.
 */
export function useTestCluster(): { start(n?: number, logLevel?: string): Promise<TestCluster> } {
  let cluster: TestCluster | undefined
  let failed = false
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true
  })
  after(async () => {
    if (failed && cluster) console.log(`    node logs kept in ${cluster.dir}/logs`)
    await cluster?.close(failed)
  })
  return {
    async start(n = 3, logLevel?: string) {
      cluster = await TestCluster.start(n, logLevel)
      return cluster
    },
  }
}

/**
 * Polls (bounded) until every node's replica of every group in `config` has applied it with
 * no shard in transit (pulling, leaving, gc). `statuses` reads /v1/status of every node
 * (undefined for a node that does not answer).
 */
export async function waitSettled(
  statuses: () => Promise<readonly (ShardNodeStatus | undefined)[]>,
  config: ShardConfig,
): Promise<void> {
  const deadline = Date.now() + 60_000
  let last = ''
  while (Date.now() < deadline) {
    const all = await statuses()
    const settled = all.every((s) =>
      config.groups.every(([gid]) => {
        const g = s?.groups[`g${gid}`]
        const moving = ['pulling', 'leaving', 'gc'].some(
          (st) => (g?.shards?.[st as 'pulling'] ?? []).length > 0,
        )
        return g !== undefined && g.config === config.num && !moving
      }),
    )
    if (settled) return
    last = JSON.stringify(all.map((s) => s?.groups))
    await delay(200)
  }
  throw new Error(`configuration ${config.num} not settled within 60 s: ${last}`)
}

/**
 * Polls (bounded) until `ok()` holds, for progress a working cluster makes (operations served,
 * writes acknowledged): instead of a fixed sleep followed by an assertion that needs that
 * progress within the sleep. Fails naming `what` when the deadline passes.
 */
export async function waitUntil(
  what: string,
  ok: () => boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() >= deadline) throw new Error(`not ${what} within ${timeoutMs} ms`)
    await delay(100)
  }
}

/** How many writes of the history were acknowledged that were called after `since`. */
export function writesAcknowledgedSince(history: KvHistory, since: number): number {
  return history.filter((op) => op.call > since && op.return !== Infinity && op.input.op !== 'get')
    .length
}
