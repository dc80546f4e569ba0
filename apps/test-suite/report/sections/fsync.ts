/**
 * Section 6's physical floor: the latency of one small write + fdatasync on the disk the
 * clusters use (the temporary directory), one writer, measured with the synchronous calls so
 * that no thread-pool hop is counted.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FsyncData } from '../types.js'

export function measureFsync(samples: number, bytes = 222): FsyncData {
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-report-fsync-'))
  const fd = openSync(join(dir, 'wal'), 'w')
  const buf = Buffer.alloc(bytes, 7)
  const us: number[] = []
  try {
    for (let i = 0; i < samples + 5; i++) {
      const t = performance.now()
      writeSync(fd, buf)
      fdatasyncSync(fd)
      if (i >= 5) us.push((performance.now() - t) * 1000)
    }
  } finally {
    closeSync(fd)
    rmSync(dir, { recursive: true, force: true })
  }
  us.sort((a, b) => a - b)
  const at = (p: number): number =>
    Math.round(us[Math.min(us.length - 1, Math.floor(p * us.length))]!)
  return {
    bytes,
    samples,
    p50Us: at(0.5),
    p99Us: at(0.99),
    meanUs: Math.round(us.reduce((a, b) => a + b, 0) / us.length),
    dir: tmpdir(),
  }
}
