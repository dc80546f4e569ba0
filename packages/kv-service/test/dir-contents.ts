/** Every file under a directory with its bytes, to show a command left a directory as it was. */
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** Every file under `dir` (recursively, base64 bytes) and every directory, by relative path. */
export async function dirContents(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of (await readdir(join(dir, prefix))).sort()) {
    const rel = join(prefix, name)
    if ((await stat(join(dir, rel))).isDirectory()) {
      out[`${rel}/`] = 'dir'
      Object.assign(out, await dirContents(dir, rel))
    } else out[rel] = (await readFile(join(dir, rel))).toString('base64')
  }
  return out
}
