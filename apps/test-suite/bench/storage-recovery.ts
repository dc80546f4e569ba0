/**
 * How long @raftkit/storage-fs takes to open its log, and the memory it needs to: what a node
 * pays on every restart. The log is built as a key/value node writes it — one 64-byte entry per
 * batch with its hard state, and a snapshot (compaction) every `--snapshot-every` entries (50 000
 * entries: about the 4 MiB of entries at which `raftkit serve` snapshots by default) — until
 * `--mib` MiB of records have been written (default 60: with `--checkpoint-mib 64`, storage-fs's
 * behaviour before checkpointBytes, about the most a node replayed). `--checkpoint-mib` sets
 * FileStorage's `checkpointBytes` (default: its default). Each open runs in a fresh child
 * process, so its peak RSS is its own. Prints one JSON line per open, then a table.
 *
 *   npx tsx --conditions=@raftkit/source bench/storage-recovery.ts [--mib 60] [--opens 3]
 *     [--snapshot-every 50000] [--checkpoint-mib M] [--dir /path]
 *
 * With KEEP=1 the built log is kept and its folder printed; `--open-only <folder>/log` then opens
 * that log once more (e.g. with another build, for an A/B of recovery itself).
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Entry } from '@raftkit/raft-core'
import { createFileStorage } from '@raftkit/storage-fs'

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '60' },
    opens: { type: 'string', default: '3' },
    'snapshot-every': { type: 'string', default: '50000' },
    'checkpoint-mib': { type: 'string' },
    dir: { type: 'string' },
    'open-only': { type: 'string' },
  },
})

const MIB = 1024 * 1024

interface OpenRow {
  readonly bench: 'storage-recovery'
  readonly walMiB: number
  readonly openMs: number
  readonly mibPerSec: number
  readonly entriesKept: number
  readonly peakRssMiB: number
  readonly heapUsedAfterOpenMiB: number
}

/** Child mode: open the directory once and report. */
async function openOnce(dir: string): Promise<void> {
  const walBytes = await logBytes(dir)
  const start = performance.now()
  const storage = await createFileStorage({ dir, sync: 'never' })
  const ms = performance.now() - start
  const state = await storage.load()
  const row: OpenRow = {
    bench: 'storage-recovery',
    walMiB: Number((walBytes / MIB).toFixed(1)),
    openMs: Math.round(ms),
    mibPerSec: Math.round(walBytes / MIB / (ms / 1000)),
    entriesKept: state.entries.length,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    heapUsedAfterOpenMiB: Math.round(process.memoryUsage().heapUsed / MIB),
  }
  await storage.close()
  console.log(JSON.stringify(row))
}

async function logBytes(dir: string): Promise<number> {
  let n = 0
  for (const name of await readdir(dir)) {
    if (name.endsWith('.wal')) n += (await stat(join(dir, name))).size
  }
  return n
}

/**
 * Writes the log: batches of one entry and a hard state, a compaction every `every` entries,
 * until about `mib` MiB of records were written (a checkpoint shrinks the files: what they held
 * before it is counted as written).
 */
async function build(
  dir: string,
  mib: number,
  every: number,
  checkpointBytes: number | undefined,
): Promise<number> {
  // preallocateBytes 0: the files' size is the log's, so the loop knows when to stop.
  const storage = await createFileStorage({
    dir,
    sync: 'never',
    preallocateBytes: 0,
    ...(checkpointBytes !== undefined ? { checkpointBytes } : {}),
  })
  const data = new Uint8Array(64).fill(7)
  let index = 0
  let before = 0
  let last = 0
  try {
    for (;;) {
      const now = await logBytes(dir)
      if (now < last) before += last - now
      last = now
      if (before + now >= mib * MIB) break
      const writes: Promise<void>[] = []
      for (let i = 0; i < 1000; i++) {
        index++
        const entry: Entry = { index, term: 1, kind: 'command', data }
        const hardState = { term: 1, votedFor: 'n1', commit: index - 1 }
        writes.push(storage.write({ entries: [entry], hardState, sync: false }))
        if (index % every === 0) {
          writes.push(storage.compact({ meta: { index, term: 1 }, data: new Uint8Array(1024) }))
        }
      }
      await Promise.all(writes)
    }
  } finally {
    await storage.close()
  }
  return index
}

async function main(): Promise<void> {
  const only = values['open-only']
  if (only !== undefined) return openOnce(only)
  const mib = Number(values.mib)
  const opens = Number(values.opens)
  const every = Number(values['snapshot-every'])
  const root = await mkdtemp(join(values.dir ?? tmpdir(), 'raftkit-bench-recovery-'))
  try {
    const dir = join(root, 'log')
    const cp = values['checkpoint-mib']
    const entries = await build(dir, mib, every, cp === undefined ? undefined : Number(cp) * MIB)
    console.error(
      `built ${entries} entries; ${((await logBytes(dir)) / MIB).toFixed(1)} MiB in the files`,
    )
    const rows: OpenRow[] = []
    for (let i = 0; i < opens; i++) {
      const out = execFileSync(
        process.execPath,
        [...process.execArgv, process.argv[1] as string, '--open-only', dir],
        { encoding: 'utf8' },
      )
      const row = JSON.parse(out.trim().split('\n').pop() as string) as OpenRow
      console.log(JSON.stringify(row))
      rows.push(row)
    }
    console.table(rows)
  } finally {
    if (process.env.KEEP === undefined) await rm(root, { recursive: true, force: true })
    else console.error(root)
  }
}

await main()
