/**
 * Crash-safe file replacement: write a temp file, fsync it, rename it over the target, fsync the
 * directory. Without the directory fsync the rename itself can be lost on power failure after
 * the write was acknowledged (etcd-io/etcd#6368).
 */
import { open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export const TMP_SUFFIX = '.tmp'

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Writes `data` to `path` atomically and durably. A leftover `*.tmp` is removed on recovery. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `${basename(path)}${TMP_SUFFIX}`)
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(data)
    await fh.datasync()
  } catch (e) {
    await fh.close()
    await unlink(tmp).catch(() => undefined)
    throw e
  }
  await fh.close()
  await rename(tmp, path)
  await fsyncDir(dirname(path))
}
