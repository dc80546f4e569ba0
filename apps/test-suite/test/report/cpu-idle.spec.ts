/**
 * bench/cpu-idle.ts: the line on how idle CPUs wait, read from (here: fake) sysfs files, and the
 * report page showing it beside the machine when the report has it.
 */
import { expect } from 'chai'
import { describeCpuIdle, type SysfsReader } from '../../bench/cpu-idle.js'
import { renderReport } from '../../report/html/render.js'
import { fixtureReport } from './fixture.js'

const DRIVER = '/sys/devices/system/cpu/cpuidle/current_driver'
const HALT_POLL_NS = '/sys/module/haltpoll/parameters/guest_halt_poll_ns'

function sysfs(files: Record<string, string>): SysfsReader {
  return (path) => files[path]
}

describe('cpu-idle: how idle CPUs wait', () => {
  it('says nothing when sysfs has no cpuidle driver', () => {
    expect(describeCpuIdle(sysfs({}))).to.equal(undefined)
    expect(describeCpuIdle(sysfs({ [DRIVER]: 'none' }))).to.equal(undefined)
  })

  it('names a driver other than haltpoll without a polling figure', () => {
    expect(describeCpuIdle(sysfs({ [DRIVER]: 'intel_idle' }))).to.equal('cpuidle driver intel_idle')
  })

  it('says that a guest with halt-polling off wakes through the hypervisor', () => {
    const line = describeCpuIdle(sysfs({ [DRIVER]: 'haltpoll', [HALT_POLL_NS]: '0' }))
    expect(line).to.match(
      /^cpuidle driver haltpoll; guest halt-polling off \(guest_halt_poll_ns 0\)/,
    )
    expect(line).to.include('hypervisor')
  })

  it('gives the polling time of a guest that polls, in µs', () => {
    expect(describeCpuIdle(sysfs({ [DRIVER]: 'haltpoll', [HALT_POLL_NS]: '200000' }))).to.equal(
      'cpuidle driver haltpoll; guest halt-polling up to 200 µs (guest_halt_poll_ns 200000)',
    )
  })

  it('names the haltpoll driver alone when its parameter cannot be read', () => {
    expect(describeCpuIdle(sysfs({ [DRIVER]: 'haltpoll' }))).to.equal('cpuidle driver haltpoll')
  })

  it('the report page shows the line beside the machine, and no row when there is none', async () => {
    const d = fixtureReport()
    const withIdle = await renderReport({
      ...d,
      machine: { ...d.machine, cpuIdle: 'cpuidle driver haltpoll; guest halt-polling off <0>' },
    })
    expect(withIdle).to.include(
      '<dt>idle CPUs</dt><dd>cpuidle driver haltpoll; guest halt-polling off &lt;0&gt;</dd>',
    )
    expect(await renderReport(d)).not.to.include('<dt>idle CPUs</dt>')
  })
})
