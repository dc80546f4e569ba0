#!/usr/bin/env node
// The `raftkit` bin. Installed from the registry it runs the build (dist/cli/main.js). Inside
// the raftkit repository (which has this package's tsconfig.json; the tarball does not) it runs
// the TypeScript sources through tsx, so `npx raftkit ...` works right after `npm ci`, before any
// build, and always runs what is checked out.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = new URL('../', import.meta.url)
const built = new URL('dist/cli/main.js', root)
const inRepository = existsSync(new URL('tsconfig.json', root))

if (!inRepository) {
  if (!existsSync(built)) {
    process.stderr.write(`raftkit: ${fileURLToPath(built)} is missing\n`)
    process.exit(1)
  }
  await import(built.href)
} else {
  // Its own process group, so a Ctrl-C reaches the CLI once (passed on below), not twice.
  const child = spawn(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      '--conditions=@raftkit/source',
      fileURLToPath(new URL('src/cli/main.ts', root)),
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', detached: true },
  )
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM']))
    process.on(signal, () => child.kill(signal))
  child.once('exit', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 143)
    process.exit()
  })
}
