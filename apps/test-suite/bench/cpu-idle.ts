/**
 * How this machine's idle CPUs wait for work, read from Linux's sysfs: the cpuidle driver and,
 * under the `haltpoll` driver (KVM-style guests), how long an idle vCPU polls before it halts.
 * With polling off (`guest_halt_poll_ns` 0, as some VMs boot) every wake-up of a sleeping
 * process goes through the hypervisor, which more than doubled a TCP round trip between two
 * idle Node processes on our VM and raises the floor under a 1-client write (BENCHMARKS #15
 * session 16). The floor bench prints this line and the report shows it beside the machine, so
 * that a floor is read with it. Pure but for the injected reader.
 */
import { readFileSync } from 'node:fs'

/** Reads a sysfs file's trimmed text, or undefined when it does not exist or cannot be read. */
export type SysfsReader = (path: string) => string | undefined

const DRIVER = '/sys/devices/system/cpu/cpuidle/current_driver'
const HALT_POLL_NS = '/sys/module/haltpoll/parameters/guest_halt_poll_ns'

function readSysfs(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return undefined
  }
}

/**
 * One line on the idle CPUs, e.g. "cpuidle driver haltpoll; guest halt-polling off (0 ns): …",
 * or undefined when sysfs says nothing (not Linux, or no cpuidle driver).
 */
export function describeCpuIdle(read: SysfsReader = readSysfs): string | undefined {
  const driver = read(DRIVER)
  if (driver === undefined || driver === '' || driver === 'none') return undefined
  const line = `cpuidle driver ${driver}`
  if (driver !== 'haltpoll') return line
  const ns = Number(read(HALT_POLL_NS))
  if (!Number.isFinite(ns)) return line
  if (ns === 0)
    return (
      `${line}; guest halt-polling off (guest_halt_poll_ns 0): an idle vCPU halts at once, ` +
      'so every wake-up of a sleeping process goes through the hypervisor (a higher floor)'
    )
  return `${line}; guest halt-polling up to ${Math.round(ns / 1000)} µs (guest_halt_poll_ns ${ns})`
}
