/**
 * Never acknowledge what is not durable (wal.ts, file-storage.ts): a `sync: true` write resolves
 * only after an fdatasync of the descriptor its record was written to, issued after that write,
 * on the main thread or on the thread pool; and a segment is sealed once it reaches
 * segmentBytes exactly; a file replaced atomically (segments, snapshots) is fdatasync'ed before
 * its rename and its directory fsync'ed after it. The system calls are observed through node:fs
 * and node:fs/promises (patched for the test, ES module bindings synced) and FileHandle's
 * prototype.
 */
import type * as NodeFs from 'node:fs'
import { createRequire, syncBuiltinESMExports } from 'node:module'
import { open, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { expect } from 'chai'
import type { Entry } from '@raftkit/raft-core'
import { writeFileAtomic } from '../src/atomic-file.js'
import { createFileStorage } from '../src/index.js'
import { opRecord } from '../src/op-record.js'
import { entries, removeDir, segmentFiles, tempDir } from './helpers.js'

const require = createRequire(import.meta.url)
const fs = require('node:fs') as typeof NodeFs
const fsp = require('node:fs/promises') as typeof NodeFs.promises

interface Call {
  readonly kind: 'write' | 'sync'
  readonly fd: number
}

/** Records writeSync, fdatasyncSync and FileHandle#datasync calls until restored. */
async function spy(): Promise<{ calls: Call[]; restore: () => void }> {
  const calls: Call[] = []
  const handle = await open(import.meta.filename, 'r')
  const proto = Object.getPrototypeOf(handle) as {
    datasync: (this: { fd: number }) => Promise<void>
  }
  await handle.close()
  const { writeSync, fdatasyncSync } = fs
  const { datasync } = proto
  fs.writeSync = (fd: number, ...rest: unknown[]) => {
    calls.push({ kind: 'write', fd })
    return Reflect.apply(writeSync, fs, [fd, ...rest]) as number
  }
  fs.fdatasyncSync = (fd: number): void => {
    calls.push({ kind: 'sync', fd })
    fdatasyncSync(fd)
  }
  proto.datasync = function (this: { fd: number }) {
    calls.push({ kind: 'sync', fd: this.fd })
    return datasync.call(this)
  }
  syncBuiltinESMExports()
  return {
    calls,
    restore: () => {
      fs.writeSync = writeSync
      fs.fdatasyncSync = fdatasyncSync
      proto.datasync = datasync
      syncBuiltinESMExports()
    },
  }
}

type FileEvent = [op: 'open' | 'datasync' | 'sync' | 'rename', path: string]

/** Records fs/promises open and rename, and FileHandle#sync/datasync by path, until restored. */
async function spyFiles(): Promise<{ events: FileEvent[]; restore: () => void }> {
  const events: FileEvent[] = []
  const paths = new Map<number, string>()
  const handle = await open(import.meta.filename, 'r')
  const proto = Object.getPrototypeOf(handle) as Record<
    'sync' | 'datasync',
    (this: { fd: number }) => Promise<void>
  >
  await handle.close()
  const saved = { open: fsp.open, rename: fsp.rename, sync: proto.sync, datasync: proto.datasync }
  fsp.open = async (...args: Parameters<typeof fsp.open>) => {
    const h = await saved.open(...args)
    paths.set(h.fd, String(args[0]))
    events.push(['open', String(args[0])])
    return h
  }
  fsp.rename = async (from: NodeFs.PathLike, to: NodeFs.PathLike) => {
    await saved.rename(from, to)
    events.push(['rename', String(to)])
  }
  for (const op of ['sync', 'datasync'] as const)
    proto[op] = function (this: { fd: number }) {
      events.push([op, paths.get(this.fd) ?? '?'])
      return saved[op].call(this)
    }
  syncBuiltinESMExports()
  return {
    events,
    restore: () => {
      Object.assign(fsp, { open: saved.open, rename: saved.rename })
      Object.assign(proto, { sync: saved.sync, datasync: saved.datasync })
      syncBuiltinESMExports()
    },
  }
}

/** Whether the last file write in `calls` is followed by an fdatasync of the same descriptor. */
function syncedAfterLastWrite(calls: readonly Call[]): boolean {
  // Descriptors 0-2 are the process's standard streams (a reporter may write to them).
  const last = calls.findLastIndex((c) => c.kind === 'write' && c.fd > 2)
  expect(last, 'no write').to.be.at.least(0)
  const fd = calls[last]!.fd
  return calls.slice(last + 1).some((c) => c.kind === 'sync' && c.fd === fd)
}

describe('durability rules', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  for (const inlineSync of ['when-idle', 'never'] as const)
    it(`a sync: true write resolves only after an fdatasync of its record's descriptor (inlineSync: '${inlineSync}')`, async function () {
      const s = await createFileStorage({ dir, inlineSync, preallocateBytes: 0 })
      const { calls, restore } = await spy()
      try {
        for (let i = 1; i <= 3; i++) {
          calls.length = 0
          await s.write({ entries: entries(i, i), sync: true })
          expect(syncedAfterLastWrite(calls), `write ${i}`).to.equal(true)
        }
        // A batch that does not ask for durability is not synced.
        calls.length = 0
        await s.write({ entries: entries(4, 4), sync: false })
        expect(calls.filter((c) => c.kind === 'sync')).to.deep.equal([])
      } finally {
        restore()
        await s.close()
      }
    })

  it("a file replaced atomically is fdatasync'ed, renamed, then its directory fsync'ed", async function () {
    const path = join(dir, 'target')
    const { events, restore } = await spyFiles()
    try {
      await writeFileAtomic(path, Buffer.from('contents'))
    } finally {
      restore()
    }
    expect(events).to.deep.equal([
      ['open', `${path}.tmp`],
      ['datasync', `${path}.tmp`],
      ['rename', path],
      ['open', dirname(path)],
      ['sync', dirname(path)],
    ])
  })

  it('seals a segment that reached segmentBytes exactly before the next write', async function () {
    const s = await createFileStorage({ dir, segmentBytes: 1024, preallocateBytes: 0 })
    await s.write({ entries: entries(1, 1), sync: true })
    const [first] = await segmentFiles(dir)
    const room = 1024 - (await stat(first!)).size
    let filler: Entry | undefined
    for (let n = 0; n < 1024 && !filler; n++) {
      const e: Entry = { index: 2, term: 1, kind: 'command', data: new Uint8Array(n) }
      if (opRecord({ entries: [e] }).length === room) filler = e
    }
    await s.write({ entries: [filler!], sync: true })
    expect((await stat(first!)).size).to.equal(1024)
    expect(await segmentFiles(dir)).to.have.length(1)
    await s.write({ entries: entries(3, 3), sync: true })
    const files = await segmentFiles(dir)
    expect(files).to.have.length(2)
    expect((await stat(first!)).size, 'nothing appended to the sealed segment').to.equal(1024)
    await s.close()
  })
})
