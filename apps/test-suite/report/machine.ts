/** The machine a report was measured on: CPU, memory, OS, Node, load average, git commit. */
import { execFileSync } from 'node:child_process'
import { cpus, hostname, loadavg, release, totalmem, type } from 'node:os'
import { describeCpuIdle } from '../bench/cpu-idle.js'
import type { Machine } from './types.js'

export function loadAverage(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100)
}

function git(args: readonly string[]): string {
  try {
    return execFileSync('git', args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return ''
  }
}

/** Everything but the end load average, which the caller fills in when the run is over. */
export function describeMachine(): Machine {
  const cpuList = cpus()
  const cpuIdle = describeCpuIdle()
  return {
    hostname: hostname(),
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    loadAverageStart: loadAverage(),
    loadAverageEnd: [],
    gitCommit: git(['rev-parse', '--short=12', 'HEAD']) || 'unknown',
    gitDirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
    ...(cpuIdle === undefined ? {} : { cpuIdle }),
  }
}
