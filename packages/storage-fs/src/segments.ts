/** Names and listing of the files in a storage directory. */
import { readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { TMP_SUFFIX } from './atomic-file.js'

const SEGMENT_RE = /^(\d{20})\.wal$/
const SNAPSHOT_RE = /^snap-(\d{20})-(\d{20})\.snap$/

const pad = (n: number): string => n.toString().padStart(20, '0')

export function segmentName(seq: number): string {
  return `${pad(seq)}.wal`
}

export function snapshotName(index: number, term: number): string {
  return `snap-${pad(index)}-${pad(term)}.snap`
}

export interface DirListing {
  /** Segment sequence numbers, ascending. */
  readonly segments: number[]
  /** Snapshot file names. */
  readonly snapshots: string[]
  /** Leftover temp files from an interrupted atomic write. */
  readonly temps: string[]
}

export async function listDir(dir: string): Promise<DirListing> {
  const segments: number[] = []
  const snapshots: string[] = []
  const temps: string[] = []
  for (const name of await readdir(dir)) {
    const seg = SEGMENT_RE.exec(name)
    if (seg?.[1]) segments.push(Number(seg[1]))
    else if (SNAPSHOT_RE.test(name)) snapshots.push(name)
    else if (name.endsWith(TMP_SUFFIX)) temps.push(name)
  }
  segments.sort((a, b) => a - b)
  return { segments, snapshots, temps }
}

/** Removes files, ignoring the ones already gone. The caller fsyncs the directory. */
export async function removeFiles(dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await unlink(join(dir, name)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e
    })
  }
}
