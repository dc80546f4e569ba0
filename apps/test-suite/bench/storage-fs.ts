/**
 * Durable append throughput of @raftkit/storage-fs beside the disk's physical limit.
 * Each row runs for `--seconds` (default 3) in a temp dir under `--dir` (default os.tmpdir()):
 * - raw fdatasync loop: append 128 bytes + fdatasync, one at a time (the ceiling for one writer);
 * - storage-fs, 1 writer: write({ entries: [one entry], sync: true }) awaited one by one;
 * - storage-fs, 64 appenders: 64 concurrent loops of the same write; group commit lets
 *   the writes that arrive during one fdatasync share the next.
 * Prints one JSON line per row, then a table.
 *
 *   npx tsx --conditions=@raftkit/source bench/storage-fs.ts [--seconds 3] [--dir /path]
 */
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Entry } from '@raftkit/raft-core'
import { createFileStorage } from '@raftkit/storage-fs'

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, dir: { type: 'string' } },
})
const seconds = Number(values.seconds)
const PAYLOAD = new Uint8Array(128).fill(7)

interface Row {
  readonly bench: 'storage-fs'
  readonly scenario: string
  readonly appenders: number
  readonly appends: number
  readonly seconds: number
  readonly appendsPerSec: number
  readonly fdatasyncs: number
  readonly appendsPerFdatasync: number
}

function row(
  scenario: string,
  appenders: number,
  appends: number,
  fdatasyncs: number,
  ms: number,
): Row {
  return {
    bench: 'storage-fs',
    scenario,
    appenders,
    appends,
    seconds: Number((ms / 1000).toFixed(2)),
    appendsPerSec: Math.round((appends * 1000) / ms),
    fdatasyncs,
    appendsPerFdatasync: Number((appends / Math.max(1, fdatasyncs)).toFixed(2)),
  }
}

async function rawLoop(dir: string): Promise<Row> {
  const fh = await open(join(dir, 'raw.bin'), 'w')
  const record = Buffer.alloc(PAYLOAD.length + 12, 7)
  let n = 0
  const start = performance.now()
  const deadline = start + seconds * 1000
  try {
    while (performance.now() < deadline) {
      await fh.write(record, 0, record.length, n * record.length)
      await fh.datasync()
      n++
    }
  } finally {
    await fh.close()
  }
  return row(
    'raw write + fdatasync loop (physical limit, 1 writer)',
    1,
    n,
    n,
    performance.now() - start,
  )
}

async function storageRun(dir: string, appenders: number): Promise<Row> {
  const storage = await createFileStorage({ dir: join(dir, `fs-${appenders}`) })
  let next = 1
  const entry = (): Entry => ({ index: next++, term: 1, kind: 'command', data: PAYLOAD })
  const start = performance.now()
  const deadline = start + seconds * 1000
  const lane = async (): Promise<void> => {
    while (performance.now() < deadline) await storage.write({ entries: [entry()], sync: true })
  }
  try {
    await Promise.all(Array.from({ length: appenders }, lane))
    const ms = performance.now() - start
    const stats = storage.stats()
    const name =
      appenders === 1
        ? 'storage-fs, 1 writer'
        : `storage-fs, ${appenders} concurrent appenders (group commit)`
    return row(name, appenders, stats.writes, stats.syncs, ms)
  } finally {
    await storage.close()
  }
}

const dir = await mkdtemp(join(values.dir ?? tmpdir(), 'raftkit-bench-storage-'))
try {
  const rows = [await rawLoop(dir), await storageRun(dir, 1), await storageRun(dir, 64)]
  for (const r of rows) console.log(JSON.stringify(r))
  console.table(
    rows.map((r) => ({
      scenario: r.scenario,
      'appends/s': r.appendsPerSec,
      'appends per fdatasync': r.appendsPerFdatasync,
      appends: r.appends,
      seconds: r.seconds,
    })),
  )
} finally {
  await rm(dir, { recursive: true, force: true })
}
