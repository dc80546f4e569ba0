/**
 * Sections 1, 2 and 6: closed-loop key/value load on real `raftkit serve` processes through
 * bench/cluster-ws.ts (one child process per cluster): throughput and latency versus
 * concurrency, versus cluster size, and with `storageSync: never`.
 */
import { runBench } from '../child.js'
import type { Progress } from '../progress.js'
import type { LoadRow } from '../types.js'

export interface LoadPlan {
  readonly nodes: number
  readonly levels: readonly number[]
  readonly seconds: number
  readonly warmup: number
  readonly storageSync: 'always' | 'never'
}

export interface LoadResult {
  readonly command: string
  readonly rows: readonly LoadRow[]
}

export async function runLoad(plan: LoadPlan, progress: Progress): Promise<LoadResult> {
  const args = [
    '--nodes',
    String(plan.nodes),
    '--concurrency',
    plan.levels.join(','),
    '--seconds',
    String(plan.seconds),
    '--warmup',
    String(plan.warmup),
    '--storage-sync',
    plan.storageSync,
  ]
  // Generous: startup, preload, and every phase with its warm-up.
  const budgetMs = 120_000 + plan.levels.length * 2 * (plan.seconds + plan.warmup) * 3_000
  const run = await runBench('cluster-ws.ts', args, (l) => progress.info(l), budgetMs)
  const rows = run.rows
    .filter((r) => r.bench === 'cluster-ws')
    .map((r): LoadRow => ({
      op: r.op as 'put' | 'get',
      clients: Number(r.clients),
      nodes: plan.nodes,
      storageSync: plan.storageSync,
      system: 'raftkit',
      opsPerSec: Number(r.opsPerSec),
      p50Us: Number(r.p50Us),
      p99Us: Number(r.p99Us),
      ops: Number(r.ops),
      errors: Number(r.errors),
      loadGenCpu: Number(r.loadGenCpu),
      leaderCpuUsPerOp: Number(r.leaderCpuUsPerOp),
    }))
  for (const r of rows)
    progress.info(
      `${plan.nodes} nodes, ${r.clients} clients, ${r.op}: ${r.opsPerSec} ops/s, p50 ${(r.p50Us / 1000).toFixed(2)} ms, p99 ${(r.p99Us / 1000).toFixed(2)} ms`,
    )
  return { command: run.command, rows }
}
