/**
 * Section 5: availability under chaos. Runs kv-service's chaos monkey (`raftkit chaos`:
 * kill -9, partitions, SIGSTOP pauses, then a linearizability check of its clients' history)
 * on a cluster made here, while a probe client of our own writes to a key of its own and
 * counts acknowledged writes and errors per interval: the timeline of the plot. The chaos
 * monkey's lines give the fault markers.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadClusterConfig } from '@raftkit/kv-service'
import {
  DEFAULT_CHAOS_OPTIONS,
  httpClient,
  initClusterDir,
  runChaos,
} from '@raftkit/kv-service/chaos'
import type { Progress } from '../progress.js'
import type { ChaosData } from '../types.js'

export interface ChaosPlan {
  readonly seconds: number
  readonly nodes: number
  readonly seed: number
}

const BUCKET_MS = 500

export function chaosCommand(plan: ChaosPlan): string {
  return `npx raftkit chaos --nodes ${plan.nodes} --duration ${plan.seconds}s --seed ${plan.seed}`
}

export async function runChaosSection(plan: ChaosPlan, progress: Progress): Promise<ChaosData> {
  const dir = await mkdtemp(join(tmpdir(), 'raftkit-report-chaos-'))
  const configFile = await initClusterDir(dir, plan.nodes)
  const config = await loadClusterConfig(configFile)
  const t0 = Date.now()
  const events: { t: number; text: string }[] = []
  const buckets: { ok: number; errors: number }[] = []
  const bucket = (): { ok: number; errors: number } => {
    const i = Math.floor((Date.now() - t0) / BUCKET_MS)
    while (buckets.length <= i) buckets.push({ ok: 0, errors: 0 })
    return buckets[i]!
  }
  let probing = false
  let stop = false
  let probe: Promise<void> = Promise.resolve()
  const startProbe = (): void => {
    if (probing) return
    probing = true
    probe = (async () => {
      const probeClient = httpClient({ config, deadlineMs: 1_000, requestTimeoutMs: 250 })
      const client = probeClient.client
      try {
        for (let n = 0; !stop; n++) {
          try {
            await client.put('report-probe', String(n))
            bucket().ok++
          } catch {
            bucket().errors++
          }
        }
      } finally {
        probeClient.close()
      }
    })()
  }
  let pending = ''
  const out = (text: string): void => {
    pending += text
    let nl: number
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl)
      pending = pending.slice(nl + 1)
      const m = /^\[\s*([\d.]+) s\] (.*)$/.exec(line)
      if (!m) continue
      const text = m[2]!
      if (text.includes('starting the workload')) startProbe()
      if (/^(kill|restarted|SIGSTOP|SIGCONT|partition|healed|time is up)/.test(text)) {
        events.push({ t: Number(m[1]), text })
        progress.info(`chaos: ${text}`)
      }
    }
  }
  try {
    const result = await runChaos(
      {
        ...DEFAULT_CHAOS_OPTIONS,
        configFile,
        dir,
        nodes: plan.nodes,
        durationMs: plan.seconds * 1000,
        seed: plan.seed,
        logLevel: 'warn',
      },
      { out },
    )
    stop = true
    await probe
    const last = events.find((e) => e.text.startsWith('time is up'))?.t
    const timeline = buckets
      .map((b, i) => ({
        t: Math.round(((i + 0.5) * BUCKET_MS) / 100) / 10,
        okPerSec: (b.ok * 1000) / BUCKET_MS,
        errors: b.errors,
      }))
      .filter((p) => last === undefined || p.t <= last + 2)
    progress.info(`chaos verdict: ${result.verdict} (${result.operationsRecorded} operations)`)
    return {
      seconds: plan.seconds,
      nodes: plan.nodes,
      seed: plan.seed,
      verdict: result.verdict,
      operationsChecked: result.operationsRecorded,
      faults: result.faults,
      failovers: result.failovers,
      bucketMs: BUCKET_MS,
      timeline,
      events: events.filter((e) => !e.text.startsWith('time is up')),
    }
  } finally {
    stop = true
    await probe
    await rm(dir, { recursive: true, force: true })
  }
}
