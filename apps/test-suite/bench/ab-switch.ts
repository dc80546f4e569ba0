/**
 * A/B of a server-side switch inside one running cluster (BENCHMARKS #15 session 10): fresh
 * 3-process raftkit clusters vary by ±10 % in 1-client latency among themselves, more than the
 * effects measured here, so both arms run on the same cluster, alternating every --seconds.
 * Before each phase the arm's name is written to the file named by RAFTKIT_AB_FILE (which this
 * sets for the servers); a server-side experiment reads it. Only put phases, at each
 * --concurrency level, --rounds times A B then B A; prints one JSON line per phase and, per
 * level and arm, the median p50, ops/s and servers' CPU per put.
 *
 *   npx tsx --conditions=@raftkit/source bench/ab-switch.ts --arms pool,main [--rounds 4]
 *     [--seconds 2] [--warmup 1] [--concurrency 1,64] [--keys 1000]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { killEveryChild } from '@raftkit/kv-service/chaos'
import { measure, warmUp } from './closed-loop.js'
import { loadFlags } from './kv-workload.js'
import { clerkSet, startRaftkitCluster, type RaftkitCluster } from './raftkit-cluster.js'

const { values } = parseArgs({
  options: {
    arms: { type: 'string', default: 'A,B' },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1,64' },
    keys: { type: 'string', default: '1000' },
  },
})
const { seconds, levels, keyCount } = loadFlags(values)
const arms = values.arms.split(',')
const rounds = Number(values.rounds)
const warmupSeconds = Number(values.warmup)

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'raftkit-ab-'))
  const armFile = join(dir, 'arm')
  process.env.RAFTKIT_AB_FILE = armFile
  await writeFile(armFile, arms[0] as string)
  let cluster: RaftkitCluster | undefined
  try {
    cluster = await startRaftkitCluster({ dir, nodes: 3, storageSync: 'always', protocol: 'ws' })
    await cluster.preload(keyCount)
    for (const n of levels) {
      const set = clerkSet(cluster, n, keyCount)
      const by = new Map<string, { p50: number[]; ops: number[]; cpu: number[] }>()
      try {
        await warmUp(set.workers('put', 7), warmupSeconds)
        for (let r = 0; r < rounds; r++) {
          const order = r % 2 === 0 ? arms : arms.slice().reverse()
          for (const arm of order) {
            await writeFile(armFile, arm)
            await warmUp(set.workers('put', 7), 0.2)
            const m = await measure(set.workers('put', r), seconds, cluster.pids())
            const row = { arm, clients: n, round: r, ...m }
            console.log(JSON.stringify(row))
            const e = by.get(arm) ?? { p50: [], ops: [], cpu: [] }
            e.p50.push(m.p50Us)
            e.ops.push(m.opsPerSec)
            e.cpu.push(m.serverCpuUsPerOp)
            by.set(arm, e)
          }
        }
      } finally {
        await set.close()
      }
      for (const [arm, e] of by)
        console.log(
          `clients ${n} arm ${arm}: p50 µs ${median(e.p50)} (${e.p50.join(' ')}); puts/s ${median(e.ops)} (${e.ops.join(' ')}); server CPU µs/put ${median(e.cpu)} (${e.cpu.join(' ')})`,
        )
    }
  } finally {
    await cluster?.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

main().catch((e: unknown) => {
  console.error(e)
  killEveryChild()
  process.exitCode = 1
})
