import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Entry } from '@raftkit/raft-core'

export async function tempDir(prefix = 'raftkit-fs-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

export function entry(index: number, term = 1, text = `e${index}`): Entry {
  return { index, term, kind: 'command', data: new TextEncoder().encode(text) }
}

export function entries(from: number, to: number, term = 1): Entry[] {
  const out: Entry[] = []
  for (let i = from; i <= to; i++) out.push(entry(i, term))
  return out
}

export function text(e: Entry | undefined): string {
  return e ? new TextDecoder().decode(e.data) : '<none>'
}

/** The WAL segment files of `dir`, oldest first, as absolute paths. */
export async function segmentFiles(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises')
  return (await readdir(dir))
    .filter((n) => n.endsWith('.wal'))
    .sort()
    .map((n) => join(dir, n))
}

/** Captures the error a promise rejects with (fails if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (e) {
    return e as Error
  }
  throw new Error('expected a rejection')
}
