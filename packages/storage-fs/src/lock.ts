/**
 * Exclusive ownership of a storage directory, through proper-lockfile (an atomic `mkdir` of
 * `<dir>/LOCK`, kept fresh by an mtime heartbeat; unref'd, cleared by release()).
 *
 * proper-lockfile alone would make a node that restarts after a crash wait until the dead
 * owner's lock goes stale (10 s). So the owner also writes `LOCK.owner` (pid, host, the lock
 * directory's inode); a later opener on the same host that finds the lock held by a pid that no
 * longer exists removes it and retries once. Like proper-lockfile's own stale takeover, this has
 * a narrow race if two processes take over the same dead lock at the same instant.
 */
import { readFile, rmdir, stat, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import lockfile from 'proper-lockfile'
import { StorageLockedError } from '@raftkit/raft-core'

export interface DirLock {
  release(): Promise<void>
}

interface Owner {
  pid: number
  host: string
  ino: number
}

const STALE_MS = 10_000

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readOwner(dir: string): Promise<Owner | undefined> {
  try {
    const v = JSON.parse(await readFile(join(dir, 'LOCK.owner'), 'utf8')) as Partial<Owner>
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.ino === 'number') {
      return v as Owner
    }
  } catch {
    // no owner file (or a torn one): fall back to proper-lockfile's staleness check
  }
  return undefined
}

/** True if the lock is held by a process of this host that has died. */
async function ownerIsDead(dir: string): Promise<boolean> {
  const owner = await readOwner(dir)
  if (!owner || owner.host !== hostname() || owner.pid === process.pid) return false
  const lockIno = await stat(join(dir, 'LOCK')).then(
    (s) => s.ino,
    () => undefined,
  )
  return lockIno === owner.ino && !isAlive(owner.pid)
}

async function tryLock(
  dir: string,
  onCompromised: (err: Error) => void,
): Promise<() => Promise<void>> {
  return lockfile.lock(dir, {
    lockfilePath: join(dir, 'LOCK'),
    realpath: false,
    stale: STALE_MS,
    retries: 0,
    onCompromised,
  })
}

/**
 * Whether another live process holds `dir`'s lock, without taking it or writing anything:
 * undefined when it is free (no lock, a stale one, or one whose owner on this host has died),
 * else what is known of the holder ("held by pid P on H", or "" when no owner file says).
 */
export async function lockHolder(dir: string): Promise<string | undefined> {
  const held = await lockfile.check(dir, {
    lockfilePath: join(dir, 'LOCK'),
    realpath: false,
    stale: STALE_MS,
  })
  if (!held || (await ownerIsDead(dir))) return undefined
  const owner = await readOwner(dir)
  return owner ? `held by pid ${owner.pid} on ${owner.host}` : ''
}

/**
 * Takes the directory lock or throws StorageLockedError. `onCompromised` is called if the lock
 * is later lost (another process removed it, or the heartbeat could not run for `stale` ms).
 */
export async function lockDir(dir: string, onCompromised: (err: Error) => void): Promise<DirLock> {
  let release: () => Promise<void>
  try {
    release = await tryLock(dir, onCompromised)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e
    if (!(await ownerIsDead(dir))) {
      const owner = await readOwner(dir)
      throw new StorageLockedError(
        dir,
        owner ? `held by pid ${owner.pid} on ${owner.host}` : undefined,
      )
    }
    await rmdir(join(dir, 'LOCK')).catch(() => undefined)
    try {
      release = await tryLock(dir, onCompromised)
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'ELOCKED') throw new StorageLockedError(dir)
      throw e2
    }
  }
  try {
    const owner: Owner = {
      pid: process.pid,
      host: hostname(),
      ino: (await stat(join(dir, 'LOCK'))).ino,
    }
    await writeFile(join(dir, 'LOCK.owner'), JSON.stringify(owner))
  } catch (e) {
    await release()
    throw e
  }
  return { release }
}
