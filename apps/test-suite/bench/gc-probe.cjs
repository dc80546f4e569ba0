/**
 * Loaded into each server by server-cost.ts (`node --require`): on SIGUSR2 it writes this
 * process's heap bytes allocated so far (from v8.GCProfiler's used-heap figures before and after
 * every GC, plus the growth since the last one), its GC count and GC pause time so far, to
 * `$RAFTKIT_GC_PROBE_DIR/<pid>.json`. Load-independent allocation figures for A/B runs.
 */
'use strict'
const v8 = require('node:v8')
const fs = require('node:fs')
const path = require('node:path')

const dir = process.env.RAFTKIT_GC_PROBE_DIR
if (dir && process.argv.includes('serve')) {
  let profiler = new v8.GCProfiler()
  profiler.start()
  let base = v8.getHeapStatistics().used_heap_size
  let allocated = 0
  let gcs = 0
  let gcUs = 0
  /** GCs by V8's type (Scavenge, MarkSweepCompact, ...). */
  const types = {}
  process.on('SIGUSR2', () => {
    const { statistics } = profiler.stop()
    let after = base
    for (const s of statistics) {
      allocated += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - after)
      after = s.afterGC.heapStatistics.usedHeapSize
      gcs++
      gcUs += s.cost
      types[s.gcType] = (types[s.gcType] ?? 0) + 1
    }
    const now = v8.getHeapStatistics().used_heap_size
    allocated += Math.max(0, now - after)
    base = now
    profiler = new v8.GCProfiler()
    profiler.start()
    const file = path.join(dir, `${process.pid}.json`)
    fs.writeFileSync(file + '.tmp', JSON.stringify({ allocated, gcs, gcUs, types }))
    fs.renameSync(file + '.tmp', file)
    const out = process.env.RAFTKIT_PROFILE_DIR
    if (out) profile(path.join(out, `${process.pid}-${++marks}`))
  })
}

let marks = 0
let session
/** RAFTKIT_PROFILE_KIND=cpu: the CPU profile alone (the sampling heap profiler slows a server down). */
const cpuOnly = process.env.RAFTKIT_PROFILE_KIND === 'cpu'
/**
 * Toggles V8's CPU profiler and its sampling heap profiler (every allocation, collected or not)
 * at each mark; at every second mark writes both profiles (`.cpuprofile`, `.heapprofile`), or
 * the CPU profile alone with RAFTKIT_PROFILE_KIND=cpu.
 */
function profile(file) {
  const inspector = require('node:inspector')
  if (!session) {
    session = new inspector.Session()
    session.connect()
    session.post('Profiler.enable')
    session.post('Profiler.start')
    if (!cpuOnly)
      session.post('HeapProfiler.startSampling', {
        samplingInterval: 1024,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      })
    return
  }
  const s = session
  session = undefined
  const stopCpu = () =>
    s.post('Profiler.stop', (err2, res2) => {
      if (!err2) fs.writeFileSync(file + '.cpuprofile', JSON.stringify(res2.profile))
      s.disconnect()
    })
  if (cpuOnly) {
    stopCpu()
    return
  }
  s.post('HeapProfiler.stopSampling', (err, res) => {
    if (!err) fs.writeFileSync(file + '.heapprofile', JSON.stringify(res.profile))
    stopCpu()
  })
}
