/**
 * Writes a file so that a crash leaves either the old file or the whole new one, never a part:
 * a temporary file in the same directory (mode 0600), fsync, rename over the target, fsync of
 * the directory. A failure removes the temporary file. For `raftkit backup save`.
 */
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'

export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const target = resolve(path)
  const dir = dirname(target)
  const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
  const file = await open(temp, 'wx', 0o600)
  try {
    try {
      await file.writeFile(data)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(temp, target)
  } catch (e) {
    await rm(temp, { force: true })
    throw e
  }
  const d = await open(dir, 'r')
  try {
    await d.sync()
  } finally {
    await d.close()
  }
}
