/**
 * Sections 3 and 4 (real processes): kill -9 the leader, time until the next acknowledged
 * write, through bench/failover-ws.ts, under one election-timeout setting per child process.
 */
import { runBench } from '../child.js'
import type { Progress } from '../progress.js'
import type { FailoverSetting } from '../types.js'

export interface FailoverPlan {
  readonly label: string
  readonly nodes: number
  readonly rounds: number
  /** Cluster-file raft settings (ms). */
  readonly raft: {
    readonly tickMs: number
    readonly heartbeatIntervalMs: number
    readonly electionTimeoutMinMs: number
    readonly electionTimeoutMaxMs: number
  }
}

export async function runFailover(
  plan: FailoverPlan,
  progress: Progress,
): Promise<{ command: string; setting: FailoverSetting }> {
  const args = [
    '--nodes',
    String(plan.nodes),
    '--rounds',
    String(plan.rounds),
    '--raft',
    `'${JSON.stringify(plan.raft)}'`,
  ]
  const run = await runBench(
    'failover-ws.ts',
    // The shell quotes are for the recorded command only.
    args.map((a) => a.replace(/^'(.*)'$/, '$1')),
    (l) => {
      if (/^round \d+:/.test(l) || /error/i.test(l)) progress.info(l)
    },
    120_000 + plan.rounds * 20_000,
  )
  const row = run.rows.find((r) => r.bench === 'failover-ws')
  if (!row || !Array.isArray(row.timesMs)) throw new Error('failover-ws printed no timesMs')
  return {
    command: run.command.replace(
      `--raft ${JSON.stringify(plan.raft)}`,
      `--raft '${JSON.stringify(plan.raft)}'`,
    ),
    setting: {
      label: plan.label,
      nodes: plan.nodes,
      electionMinMs: plan.raft.electionTimeoutMinMs,
      electionMaxMs: plan.raft.electionTimeoutMaxMs,
      heartbeatMs: plan.raft.heartbeatIntervalMs,
      timesMs: (row.timesMs as number[]).map((t) => Math.round(t * 10) / 10),
    },
  }
}
