// Zero-filled preallocation of the active segment (src/preallocation.ts) and how recovery reads
// the zeros: the rules each test pins are in its name.
import { copyFile, mkdir, open, readFile, stat, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { expect } from 'chai'
import type { Entry } from '@raftkit/raft-core'
import { MemoryLogger, StorageCorruptionError, StorageError } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'
import { ZeroFill } from '../src/preallocation.js'
import { scanRecords } from '../src/record.js'
import { entries, rejection, removeDir, segmentFiles, tempDir } from './helpers.js'

const indexes = (es: readonly Entry[]): number[] => es.map((e) => e.index)
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)
const warnings = (l: MemoryLogger): unknown[] => l.records.filter((r) => r.level === 'warn')
const isZero = (b: Buffer): boolean => b.every((x) => x === 0)
const big = (index: number, term = 1): Entry => ({
  index,
  term,
  kind: 'command',
  data: new Uint8Array(2000).fill(0x41 + (index % 26)),
})

describe('preallocation: the active segment is zero-filled ahead of the log', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  /** Writes `n` one-entry synced batches from index `from`. */
  async function put(dirname: string, from: number, n: number, opts = {}): Promise<void> {
    const s = await createFileStorage({ dir: dirname, ...opts })
    for (let i = from; i < from + n; i++) await s.write({ entries: entries(i, i), sync: true })
    await s.close()
  }

  /** The only segment: its bytes, valid end and the scan's stop. */
  async function segment(): Promise<{ path: string; bytes: Buffer; validEnd: number }> {
    const files = await segmentFiles(dir)
    expect(files).to.have.length(1)
    const bytes = await readFile(files[0]!)
    return { path: files[0]!, bytes, validEnd: scanRecords(bytes).validEnd }
  }

  it('steady-state appends overwrite the zeros: the file size does not change', async function () {
    await put(dir, 1, 1, { preallocateBytes: 65536 })
    const before = await segment()
    expect(before.bytes.length - before.validEnd, 'zeros past the log').to.be.within(32768, 65536)
    expect(isZero(before.bytes.subarray(before.validEnd))).to.equal(true)
    const s = await createFileStorage({ dir, preallocateBytes: 65536 })
    for (let i = 2; i <= 100; i++) {
      await s.write({ entries: entries(i, i), sync: true })
      expect((await stat(before.path)).size, `after entry ${i}`).to.equal(before.bytes.length)
    }
    await s.close()
    const after = await segment()
    expect(after.validEnd).to.be.greaterThan(before.validEnd)
    expect(isZero(after.bytes.subarray(after.validEnd)), 'zeros after the log').to.equal(true)
  })

  it('keeps filling ahead while the log grows, never more than one chunk past it', async function () {
    const s = await createFileStorage({ dir, preallocateBytes: 4096 })
    for (let i = 1; i <= 400; i++) {
      await Promise.all([
        s.write({ entries: [big(2 * i - 1)], sync: false }),
        s.write({ entries: [big(2 * i)], sync: true }),
      ])
    }
    await s.close()
    const { bytes, validEnd } = await segment()
    expect(validEnd).to.be.greaterThan(1_600_000)
    expect(bytes.length - validEnd).to.be.within(0, 4096)
    expect(isZero(bytes.subarray(validEnd))).to.equal(true)
    const again = await createFileStorage({ dir })
    expect(indexes((await again.load()).entries)).to.deep.equal(range(1, 800))
    await again.close()
  })

  it('reopens after a clean close with every record, no warning, the zeros kept', async function () {
    await put(dir, 1, 20)
    const { bytes, validEnd } = await segment()
    expect(bytes.length).to.be.greaterThan(validEnd)
    const logger = new MemoryLogger()
    const s = await createFileStorage({ dir, logger })
    expect(indexes((await s.load()).entries)).to.deep.equal(range(1, 20))
    await s.close()
    expect(warnings(logger)).to.deep.equal([])
    expect((await segment()).bytes.length, 'nothing cut').to.equal(bytes.length)
  })

  it('recovers every acknowledged record of a crashed writer (files copied while open, zeros after), no warning', async function () {
    await put(dir, 1, 1)
    const s = await createFileStorage({ dir })
    for (let i = 2; i <= 30; i++) await s.write({ entries: entries(i, i), sync: true })
    const crashed = join(dir, 'crashed')
    await mkdir(crashed)
    for (const f of await segmentFiles(dir)) await copyFile(f, join(crashed, basename(f)))
    await s.close()
    const [copy] = await segmentFiles(crashed)
    const bytes = await readFile(copy!)
    const scan = scanRecords(bytes)
    expect(scan.stop?.kind).to.equal('zeros')
    const logger = new MemoryLogger()
    const r = await createFileStorage({ dir: crashed, logger })
    expect(indexes((await r.load()).entries)).to.deep.equal(range(1, 30))
    await r.close()
    expect(warnings(logger)).to.deep.equal([])
  })

  it('cuts a record torn at any sector boundary inside the zeros, with the warning, and appends after it', async function () {
    this.timeout(30_000)
    const s = await createFileStorage({ dir })
    await s.write({ entries: entries(1, 2), sync: true })
    await s.write({ entries: [big(3)], sync: true })
    await s.close()
    const { path, bytes } = await segment()
    const [, , third] = scanRecords(bytes).records
    const start = third!.offset
    const end = start + 12 + third!.payload.length
    const cuts = range(Math.ceil((start + 1) / 512), Math.floor((end - 1) / 512)).map(
      (k) => k * 512,
    )
    expect(cuts.length).to.be.at.least(3)
    for (const cut of cuts) {
      const torn = Buffer.alloc(bytes.length)
      bytes.copy(torn, 0, 0, cut)
      await writeFile(path, torn)
      const logger = new MemoryLogger()
      const r = await createFileStorage({ dir, logger })
      expect(indexes((await r.load()).entries), `torn at ${cut}`).to.deep.equal([1, 2])
      await r.write({ entries: [big(3, 2)], sync: true })
      await r.close()
      expect(logger.records.some((x) => x.level === 'warn' && x.fields?.offset === start)).to.equal(
        true,
      )
      const again = await createFileStorage({ dir })
      const loaded = (await again.load()).entries
      expect(loaded.map((e) => `${e.index}@${e.term}`)).to.deep.equal(['1@1', '2@1', '3@2'])
      await again.close()
    }
  })

  it('reports a damaged complete last record followed by zeros as corruption, even when its payload ends in zeros', async function () {
    const s = await createFileStorage({ dir })
    await s.write({ entries: entries(1, 2), sync: true })
    // commit 0 is the payload's last byte: 0x00, which looks like the zeros after it.
    await s.write({
      entries: entries(3, 3),
      hardState: { term: 1, votedFor: 'a', commit: 0 },
      sync: true,
    })
    await s.close()
    const { path, bytes, validEnd } = await segment()
    const last = scanRecords(bytes).records.at(-1)!
    expect(bytes[validEnd - 1]).to.equal(0)
    const damaged = Buffer.from(bytes)
    damaged[last.offset + 14] = damaged[last.offset + 14]! ^ 1
    await writeFile(path, damaged)
    const err = await rejection(createFileStorage({ dir }))
    expect(err).to.be.instanceOf(StorageCorruptionError)
    expect((err as StorageCorruptionError).offset).to.equal(last.offset)
  })

  it('reports non-zero bytes after a zero gap past the last record as corruption, as without preallocation', async function () {
    await put(dir, 1, 3)
    const { path, bytes, validEnd } = await segment()
    const damaged = Buffer.from(bytes)
    damaged.fill(0x7f, validEnd + 1024, validEnd + 1100)
    await writeFile(path, damaged)
    const err = await rejection(createFileStorage({ dir }))
    expect(err).to.be.instanceOf(StorageCorruptionError)
    expect((err as StorageCorruptionError).offset).to.equal(validEnd)
    expect(await readFile(path), 'nothing cut or changed').to.deep.equal(damaged)
  })

  it('never reads zeros as a record: a zero header fails its checksum', function () {
    for (const n of [1, 11, 12, 13, 4096]) {
      const scan = scanRecords(Buffer.alloc(n))
      expect(scan.records, `${n} zeros`).to.deep.equal([])
      expect(scan.stop?.kind).to.equal('zeros')
    }
  })

  it('leaves every sealed segment at its valid size (rotation cuts the zeros off)', async function () {
    // Zeros past the next segmentBytes (written under a larger one): rotation must cut them.
    await put(dir, 1, 1, { segmentBytes: 65536, preallocateBytes: 65536 })
    await put(dir, 2, 299, { segmentBytes: 4096, preallocateBytes: 4096 })
    const files = await segmentFiles(dir)
    expect(files.length).to.be.at.least(3)
    for (const f of files.slice(0, -1)) {
      const bytes = await readFile(f)
      expect(scanRecords(bytes).stop, basename(f)).to.equal(undefined)
    }
    const s = await createFileStorage({ dir, segmentBytes: 4096 })
    expect(indexes((await s.load()).entries)).to.deep.equal(range(1, 300))
    await s.close()
  })

  it('reports a zero tail on a sealed segment as corruption (only the active segment has one)', async function () {
    await put(dir, 1, 300, { segmentBytes: 4096, preallocateBytes: 4096 })
    const [first] = await segmentFiles(dir)
    const fh = await open(first!, 'r+')
    await fh.truncate((await fh.stat()).size + 100)
    await fh.close()
    const err = await rejection(createFileStorage({ dir, segmentBytes: 4096 }))
    expect(err).to.be.instanceOf(StorageCorruptionError)
    expect((err as StorageCorruptionError).file).to.equal(first)
  })

  it('opens a log written without preallocation (as older versions write it) and preallocates from there', async function () {
    await put(dir, 1, 10, { preallocateBytes: 0 })
    const old = await segment()
    expect(old.bytes.length, 'no zeros without preallocation').to.equal(old.validEnd)
    const logger = new MemoryLogger()
    await put(dir, 11, 10, { logger })
    expect(warnings(logger)).to.deep.equal([])
    const now = await segment()
    expect(now.bytes.length).to.be.greaterThan(now.validEnd)
    const s = await createFileStorage({ dir })
    expect(indexes((await s.load()).entries)).to.deep.equal(range(1, 20))
    await s.close()
  })

  it("does not preallocate by default with sync: 'never' (no fdatasync to speed up), only when asked", async function () {
    await put(dir, 1, 10, { sync: 'never' })
    const off = await segment()
    expect(off.bytes.length).to.equal(off.validEnd)
    await put(dir, 11, 10, { sync: 'never', preallocateBytes: 8192 })
    const on = await segment()
    expect(on.bytes.length - on.validEnd).to.be.within(4096, 8192)
  })

  it('rejects a bad preallocateBytes with a StorageError before touching the directory', async function () {
    for (const bad of [-1, 1, 4095, 1.5, 64 * 1024 * 1024 + 1, Number.NaN, '4096']) {
      const target = join(dir, 'never')
      const err = await rejection(
        createFileStorage({ dir: target, preallocateBytes: bad as number }),
      )
      expect(err, String(bad)).to.be.instanceOf(StorageError)
      expect(err.message).to.contain('preallocateBytes')
      expect(await stat(target).catch(() => 'missing')).to.equal('missing')
    }
    for (const good of [0, 4096, 64 * 1024 * 1024]) {
      const s = await createFileStorage({ dir: join(dir, `ok-${good}`), preallocateBytes: good })
      await s.close()
    }
  })
})

describe('ZeroFill: appends never meet a zero write in flight', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('makes an append that reaches the zero write in flight wait for it, and no other', async function () {
    const path = join(dir, 'f')
    await writeFile(path, Buffer.alloc(100, 1))
    const fill = await ZeroFill.open(path, 8192, 1 << 20, 100, (e) => {
      throw e
    })
    fill.appended(100) // starts zero-filling [100, 8292)
    expect(fill.room(50, 50), 'ends where the zeros start').to.equal(undefined)
    const wait = fill.room(50, 51)
    expect(wait, 'reaches into the zero write').to.be.instanceOf(Promise)
    await wait
    expect(fill.room(100, 1000), 'the zero write has returned').to.equal(undefined)
    expect(() => fill.appended(200)).not.to.throw()
    await fill.close()
    expect((await stat(path)).size).to.equal(100 + 8192)
  })

  it('refuses to note an append that ran over a zero write in flight', async function () {
    const path = join(dir, 'f')
    await writeFile(path, Buffer.alloc(100, 1))
    const fill = await ZeroFill.open(path, 8192, 1 << 20, 100, (e) => {
      throw e
    })
    fill.appended(100)
    expect(() => fill.appended(101)).to.throw(/internal/)
    await fill.close()
  })

  it('after a failed zero write: tells onError once, lets the waiting append go ahead, fills no more', async function () {
    // A FIFO opens read-write but refuses a write at an offset (ESPIPE): a fill that fails.
    const path = join(dir, 'fifo')
    execFileSync('mkfifo', [path])
    const errors: Error[] = []
    const fill = await ZeroFill.open(path, 8192, 1 << 20, 0, (e) => errors.push(e))
    fill.appended(0)
    await fill.room(0, 1)
    expect(errors).to.have.length(1)
    expect(fill.room(0, 100)).to.equal(undefined)
    fill.appended(100)
    expect(fill.room(100, 100), 'no new fill').to.equal(undefined)
    await fill.close()
    expect(errors).to.have.length(1)
  })
})
