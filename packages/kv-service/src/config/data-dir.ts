/**
 * Checks and creates a node's data directory before storage opens it, so that every way it can
 * be unusable ends at once with a KvConfigError naming the field (`nodes[i].dataDir`) — exit
 * code 2 from `raftkit serve` — instead of a raw EACCES/ENOTDIR, or a hang: Node's recursive
 * mkdir loops forever under /proc. Missing directories are created one level at a time.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { KvConfigError } from '../errors.js'

const REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'the parent directory does not exist and cannot be created here',
  ENOSPC: 'no space left on the device',
  EEXIST: 'a file of that name exists',
}

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? ''
  return `${REASONS[code] ?? (e as Error).message}${code ? ` (${code})` : ''}`
}

/** Makes sure `dir` is a writable directory, creating it (and missing parents) if needed. */
export async function prepareDataDir(dir: string, field: string): Promise<void> {
  const path = resolve(dir)
  const fail = (what: string): never => {
    throw new KvConfigError(field, `${path}: ${what}`)
  }
  // The nearest existing ancestor, and what is missing below it (bounded by the path depth).
  const missing: string[] = []
  let existing = path
  for (;;) {
    try {
      const s = await stat(existing)
      if (!s.isDirectory())
        fail(existing === path ? 'exists and is not a directory' : `${existing} is not a directory`)
      break
    } catch (e) {
      if (e instanceof KvConfigError) throw e
      const code = (e as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') fail(`cannot be used: ${reason(e)}`)
      const parent = dirname(existing)
      if (parent === existing) fail('cannot be created: no existing parent directory')
      missing.unshift(existing)
      existing = parent
    }
  }
  for (const d of missing) {
    try {
      await mkdir(d) // one level: never the recursive mkdir that hangs on /proc
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') fail(`cannot be created: ${reason(e)}`)
    }
  }
  // Writable? (`access` says yes to root everywhere; a real file says the truth.)
  const probe = resolve(path, `.raftkit-probe-${randomBytes(6).toString('hex')}`)
  try {
    await writeFile(probe, '')
  } catch (e) {
    fail(`is not writable: ${reason(e)}`)
  }
  await rm(probe, { force: true })
}
