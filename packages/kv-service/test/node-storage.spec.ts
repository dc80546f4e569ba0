/**
 * `server.storageInlineSync` and `server.storagePreallocateBytes` reach FileStorage: a one-node cluster started the way
 * `raftkit serve` starts it (startNode, data in a temp dir) leaves a WAL segment with a zero
 * tail by default and none with 0; and the cluster file accepts exactly the values
 * storage-fs's FileStorage.open accepts, so a bad one fails at parse time naming the field.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { createFileStorage } from '@raftkit/storage-fs'
import { startNode } from '../src/cli/node.js'
import { formatHostPort, parseClusterConfig } from '../src/config/cluster-config.js'
import { freePort } from '../src/config/free-port.js'
import { KvConfigError } from '../src/errors.js'
import { call } from './http-helpers.js'

/** storage-fs's segment file names (segments.ts): 20 digits, `.wal`. */
const SEGMENT = /^\d{20}\.wal$/

/**
 * Walks storage-fs's record framing ([len u32 LE][crc u32][crc u32][payload]) from the start of
 * a segment: where the records end (a zero header or the end of the file stops the walk).
 */
function recordsEnd(bytes: Buffer): number {
  let at = 0
  while (at + 12 <= bytes.length && !bytes.subarray(at, at + 12).every((b) => b === 0)) {
    const next = at + 12 + bytes.readUInt32LE(at)
    if (next > bytes.length) break
    at = next
  }
  return at
}

describe('server.storagePreallocateBytes', function () {
  this.timeout(30_000)
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-node-storage-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** Starts n1 alone with `server`, puts one key, stops it; its only WAL segment's bytes. */
  async function segmentAfterAPut(server: Record<string, unknown>): Promise<Buffer> {
    return (await afterAPut(server)).segment
  }

  /** Like segmentAfterAPut, with n1's GET /metrics text from just before it stopped. */
  async function afterAPut(
    server: Record<string, unknown>,
  ): Promise<{ segment: Buffer; metrics: string }> {
    const config = parseClusterConfig({
      nodes: [
        {
          id: 'n1',
          peer: `127.0.0.1:${await freePort('127.0.0.1')}`,
          http: `127.0.0.1:${await freePort('127.0.0.1')}`,
          dataDir: join(dir, 'n1'),
        },
      ],
      secret: 'x'.repeat(16),
      raft: {
        tickMs: 10,
        heartbeatIntervalMs: 30,
        electionTimeoutMinMs: 100,
        electionTimeoutMaxMs: 200,
      },
      server,
    })
    const node = await startNode(config, 'n1')
    let metrics = ''
    try {
      const url = `http://${formatHostPort(config.nodes[0]!.http)}/v1/kv/color`
      const deadline = Date.now() + 10_000
      while (!node.kv.isLeader()) {
        if (Date.now() > deadline) throw new Error('n1 did not elect itself within 10 s')
        await new Promise((r) => setTimeout(r, 10))
      }
      expect((await call(url, { method: 'PUT', body: 'blue' })).status).to.equal(204)
      metrics = (await call(`http://${formatHostPort(config.nodes[0]!.http)}/metrics`)).body
    } finally {
      await node.stop()
    }
    const segments = (await readdir(join(dir, 'n1'))).filter((n) => SEGMENT.test(n))
    expect(segments).to.have.length(1)
    return { segment: await readFile(join(dir, 'n1', segments[0]!)), metrics }
  }

  it('by default (storageSync always) the WAL has a zero tail of about 1 MiB; with 0 it ends at its last record', async () => {
    const byDefault = await segmentAfterAPut({})
    const end = recordsEnd(byDefault)
    expect(end, 'records').to.be.greaterThan(0)
    expect(byDefault.length - end, 'zeros past the log').to.be.within(512 * 1024, 1024 * 1024)
    expect(byDefault.subarray(end).every((b) => b === 0)).to.equal(true)
    await rm(join(dir, 'n1'), { recursive: true })
    const off = await segmentAfterAPut({ storagePreallocateBytes: 0 })
    expect(recordsEnd(off), 'records').to.be.greaterThan(0)
    expect(recordsEnd(off), 'no zeros past the log').to.equal(off.length)
  })

  it('with storageSync never: no zeros by default (storage-fs turns preallocation off there), zeros up to the value given', async () => {
    const never = await segmentAfterAPut({ storageSync: 'never' })
    expect(recordsEnd(never)).to.equal(never.length)
    await rm(join(dir, 'n1'), { recursive: true })
    const given = await segmentAfterAPut({ storageSync: 'never', storagePreallocateBytes: 8192 })
    expect(given.length - recordsEnd(given), 'zeros past the log').to.be.within(4096, 8192)
  })

  it("server.storageInlineSync reaches FileStorage: 'never' keeps every fdatasync on the thread pool", async () => {
    const inlineSyncs = (metrics: string): number => {
      const m = /^raftkit_storage_inline_syncs_total (\d+)$/m.exec(metrics)
      expect(m, 'raftkit_storage_inline_syncs_total in /metrics').to.not.equal(null)
      return Number(m![1])
    }
    const syncs = (metrics: string): number =>
      Number(/^raftkit_storage_syncs_total (\d+)$/m.exec(metrics)![1])
    // By default the first fdatasync (the vote of n1's first election) runs on the main thread.
    const byDefault = await afterAPut({})
    expect(inlineSyncs(byDefault.metrics)).to.be.within(1, syncs(byDefault.metrics))
    await rm(join(dir, 'n1'), { recursive: true })
    const never = await afterAPut({ storageInlineSync: 'never' })
    expect(syncs(never.metrics)).to.be.greaterThan(0)
    expect(inlineSyncs(never.metrics)).to.equal(0)
  })

  it('accepts exactly the values FileStorage.open accepts', async () => {
    const values = [-1, 0, 1, 4095, 4096, 8192.5, 64 * 1024 * 1024, 64 * 1024 * 1024 + 1]
    for (const v of values) {
      let parsed = true
      try {
        parseClusterConfig({
          nodes: [{ id: 'n1', peer: '127.0.0.1:1', http: '127.0.0.1:2', dataDir: dir }],
          secret: 'x'.repeat(16),
          server: { storagePreallocateBytes: v },
        })
      } catch (e) {
        expect(e)
          .to.be.instanceOf(KvConfigError)
          .with.property('field', 'server.storagePreallocateBytes')
        parsed = false
      }
      let opened = true
      // segmentBytes bounds the zero fill: 64 MiB accepted does not mean 64 MiB written.
      const storage = await createFileStorage({
        dir: join(dir, `open-${values.indexOf(v)}`),
        segmentBytes: 65536,
        preallocateBytes: v,
      }).catch((e: unknown) => {
        expect((e as Error).message).to.match(/^preallocateBytes must be/)
        opened = false
      })
      if (typeof storage === 'object') await storage.close()
      expect(parsed, `${v}: the cluster file accepts it iff FileStorage.open does`).to.equal(opened)
    }
  })
})
