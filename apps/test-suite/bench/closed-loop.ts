/**
 * The closed-loop measurement the cluster benchmarks share (cluster-ws.ts, etcd.ts,
 * side-by-side.ts): every client runs one operation after another, unmeasured for a warm-up,
 * then for a measured phase that records each acknowledged operation's latency
 * (hdr-histogram-js), the errors, this load generator's CPU and each server process's CPU
 * (utime + stime from /proc/<pid>/stat). No system-specific code: a client is a function that
 * runs one operation.
 */
import { readFileSync, readdirSync } from 'node:fs'
import * as hdr from 'hdr-histogram-js'

/** One client's next operation (resolves when it is acknowledged, rejects on an error). */
export type Worker = () => Promise<unknown>

/** n clients of one system: their next operations for one phase, and how to close them. */
export interface ClientSet {
  readonly workers: (op: 'put' | 'get', seed: number) => Worker[]
  readonly close: () => Promise<void>
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100

/** A process's user + system CPU time so far, in ms (Linux /proc; NaN elsewhere or gone). */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces): utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return NaN
  }
}

/** A process's system (kernel) CPU time so far, in ms (Linux /proc; NaN elsewhere or gone). */
export function processSysMs(pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) * 1000) / CLOCK_TICKS
  } catch {
    return NaN
  }
}

/**
 * How often a process's threads have blocked so far (voluntary context switches summed over
 * /proc/<pid>/task/*: each is followed by a wake-up, which on a VM whose idle vCPUs halt is a
 * trip through the hypervisor). Linux /proc; NaN elsewhere or gone. Threads that exit between
 * two readings take their counts with them.
 */
export function processSleeps(pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    let n = 0
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8')
      n += Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1] ?? 0)
    }
    return n
  } catch {
    return NaN
  }
}

/** Runs every worker in a closed loop for `seconds`, ignoring errors and timing nothing. */
export async function warmUp(workers: readonly Worker[], seconds: number): Promise<void> {
  const end = performance.now() + seconds * 1000
  await Promise.all(
    workers.map(async (run) => {
      while (performance.now() < end) await run().catch(() => undefined)
    }),
  )
}

export interface Measured {
  readonly opsPerSec: number
  readonly p50Us: number
  readonly p99Us: number
  readonly ops: number
  readonly errors: number
  readonly wallMs: number
  /** The load generator's CPU time / wall time (1 = one core busy). */
  readonly loadGenCpu: number
  /** The load generator's CPU time per acknowledged operation, in µs. */
  readonly loadGenCpuUsPerOp: number
  /** Each server process's CPU time during the phase, in ms, by name. */
  readonly serverCpuMs: Readonly<Record<string, number>>
  /** The servers' CPU time summed over every process, per acknowledged operation, in µs. */
  readonly serverCpuUsPerOp: number
  /** The servers' voluntary context switches (processSleeps) summed, per acknowledged operation. */
  readonly serverSleepsPerOp: number
}

const round2 = (x: number): number => Math.round(x * 100) / 100

/**
 * Runs every worker in a closed loop for `seconds` and measures it. `pids` (by server name)
 * are read before and after; the servers' CPU per operation is their sum over every process.
 */
export async function measure(
  workers: readonly Worker[],
  seconds: number,
  pids: Readonly<Record<string, number | undefined>>,
): Promise<Measured> {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  })
  let ops = 0
  let errors = 0
  const server0 = Object.fromEntries(Object.entries(pids).map(([n, p]) => [n, processCpuMs(p)]))
  const sleeps0 = Object.values(pids).map(processSleeps)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const end = t0 + seconds * 1000
  await Promise.all(
    workers.map(async (run) => {
      while (performance.now() < end) {
        const s = performance.now()
        try {
          await run()
        } catch {
          errors++
          continue
        }
        histogram.recordValue(Math.max(1, Math.round((performance.now() - s) * 1000)))
        ops++
      }
    }),
  )
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const serverCpuMs = Object.fromEntries(
    Object.entries(pids).map(([n, p]) => [n, processCpuMs(p) - (server0[n] ?? NaN)]),
  )
  const serverTotalMs = Object.values(serverCpuMs).reduce((a, b) => a + b, 0)
  const sleeps = Object.values(pids)
    .map((p, i) => processSleeps(p) - (sleeps0[i] ?? NaN))
    .reduce((a, b) => a + b, 0)
  const loadGenMs = (cpu.user + cpu.system) / 1000
  const perOp = (ms: number): number => Math.round((ms * 1000) / Math.max(1, ops))
  const m: Measured = {
    opsPerSec: Math.round((ops * 1000) / wallMs),
    p50Us: histogram.getValueAtPercentile(50),
    p99Us: histogram.getValueAtPercentile(99),
    ops,
    errors,
    wallMs: Math.round(wallMs),
    loadGenCpu: round2(loadGenMs / wallMs),
    loadGenCpuUsPerOp: perOp(loadGenMs),
    serverCpuMs,
    serverCpuUsPerOp: perOp(serverTotalMs),
    serverSleepsPerOp: round2(sleeps / Math.max(1, ops)),
  }
  histogram.destroy()
  return m
}

/** Each server's CPU time / wall time (1 = one core busy), by name. */
export function cpuShares(m: Measured): Record<string, number> {
  return Object.fromEntries(
    Object.entries(m.serverCpuMs).map(([n, ms]) => [n, round2(ms / m.wallMs)]),
  )
}

/** One server's CPU time per acknowledged operation of the phase, in µs (NaN if unknown). */
export function cpuUsPerOp(m: Measured, server: string): number {
  return Math.round(((m.serverCpuMs[server] ?? NaN) * 1000) / Math.max(1, m.ops))
}
