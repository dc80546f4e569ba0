/**
 * ZeroFill's rules (preallocation.ts), beyond preallocation.spec.ts: how far ahead and in which
 * steps it fills (one chunk ahead, steps of at least half a chunk, up to the limit exactly), that
 * an append may end exactly where a zero write in flight starts, that it does nothing without a
 * chunk, and that close() waits for the fill in flight and ends filling, failures included.
 */
import { execFileSync } from 'node:child_process'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { ZeroFill } from '../src/preallocation.js'
import { removeDir, tempDir } from './helpers.js'

describe('ZeroFill rules', function () {
  let dir: string
  let path: string
  let errors: Error[]
  beforeEach(async () => {
    dir = await tempDir()
    path = join(dir, 'f')
    await writeFile(path, Buffer.alloc(100, 1))
    errors = []
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  const open = (chunk: number, limit = 1 << 20): Promise<ZeroFill> =>
    ZeroFill.open(path, chunk, limit, 100, (e) => errors.push(e))
  const size = async (): Promise<number> => (await stat(path)).size
  /** Waits until no fill (zero write, then its fdatasync) is in flight: the private field. */
  const settled = async (fill: ZeroFill): Promise<void> => {
    const f = fill as unknown as { filling: Promise<void> | undefined }
    while (f.filling) await f.filling
  }

  it('fills one chunk ahead, then again only once half a chunk has been used', async function () {
    const fill = await open(8192)
    fill.appended(100)
    await settled(fill)
    expect(await size()).to.equal(100 + 8192)
    fill.appended(4195) // 4 097 zeros left ahead: more than half a chunk, no fill
    await settled(fill)
    expect(await size()).to.equal(8292)
    fill.appended(4196) // exactly half a chunk left: top up to one chunk ahead
    await settled(fill)
    expect(await size()).to.equal(4196 + 8192)
    await fill.close()
    expect(errors).to.deep.equal([])
  })

  it('fills up to the limit exactly, even by less than half a chunk, and never past it', async function () {
    const fill = await open(8192, 9000)
    fill.appended(100)
    await settled(fill)
    expect(await size()).to.equal(8292)
    fill.appended(4196)
    await settled(fill)
    expect(await size(), 'the last 708 bytes up to the limit').to.equal(9000)
    fill.appended(8000)
    await settled(fill)
    expect(await size()).to.equal(9000)
    await fill.close()
    expect(errors).to.deep.equal([])
  })

  it('starts no fill while one is in flight: one at a time', async function () {
    const fill = await open(8192)
    fill.appended(100) // starts zero-filling [100, 8292)
    await fill.room(0, Number.MAX_SAFE_INTEGER) // its zero write returned; its fdatasync has not
    fill.appended(4196) // would top up, but the first fill has not finished
    await settled(fill)
    expect(await size()).to.equal(8292)
    await fill.close()
    expect(errors).to.deep.equal([])
  })

  it('lets an append end exactly where the zero write in flight starts', async function () {
    const fill = await open(8192)
    fill.appended(100) // starts zero-filling [100, 8292)
    expect(() => fill.appended(100)).not.to.throw()
    await fill.close()
  })

  it('with no chunk: no fill, no descriptor, no error', async function () {
    const fill = await open(0)
    fill.appended(100)
    fill.appended(5000)
    expect(fill.room(100, 10_000)).to.equal(undefined)
    await fill.close()
    expect(await size()).to.equal(100)
    expect(errors).to.deep.equal([])
  })

  it('close() waits for the fill in flight, and no fill starts after it', async function () {
    const fill = await open(8192)
    fill.appended(100)
    await fill.close()
    expect(await size(), 'the zero write finished before close() resolved').to.equal(8292)
    fill.appended(8000)
    await settled(fill)
    expect(await size()).to.equal(8292)
    expect(errors).to.deep.equal([])
    const again = fill.close()
    expect(again, 'close() is idempotent: the same promise').to.be.instanceOf(Promise)
    expect(fill.close()).to.equal(again)
  })

  it('a fill that fails once close() has begun is not reported', async function () {
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const fill = await ZeroFill.open(fifo, 8192, 1 << 20, 0, (e) => errors.push(e))
    fill.appended(0) // a zero write at an offset into a FIFO: it fails
    await fill.close()
    expect(errors).to.deep.equal([])
  })
})
