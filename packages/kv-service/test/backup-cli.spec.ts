/**
 * `raftkit backup save|restore` in process (runCli): save through --endpoints (secret from
 * RAFTKIT_SECRET, a follower's redirect followed) against the in-process HTTP cluster; a wrong
 * secret fails at once (exit 1); restore of one node (--id) writes only that directory, and
 * every directory is checked before any is written (a refusal writes nothing); a foreign file,
 * a sharded cluster file and bad command lines exit 2.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { createFileStorage } from '@raftkit/storage-fs'
import { decodeBackup } from '../src/backup-format.js'
import { loadClusterConfig } from '../src/config/cluster-config.js'
import { HttpTestCluster, TEST_SECRET, call } from './http-helpers.js'
import { cli } from './cli-in-process.js'

describe('raftkit backup (in process)', function () {
  this.timeout(60_000)
  let dir: string
  let c: HttpTestCluster
  let backupFile: string
  const secretBefore = process.env.RAFTKIT_SECRET

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-backup-cli-'))
    c = new HttpTestCluster()
    await c.start()
    const leader = await c.leader()
    for (const [k, v] of [
      ['a', '1'],
      ['b', '2'],
    ])
      expect(
        (await call(c.url(leader, `/v1/kv/${k}`), { method: 'PUT', body: v })).status,
      ).to.equal(204)
    backupFile = join(dir, 'b.rkb')
  })
  after(async () => {
    if (secretBefore === undefined) delete process.env.RAFTKIT_SECRET
    else process.env.RAFTKIT_SECRET = secretBefore
    await c.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('save --endpoints: the secret from RAFTKIT_SECRET, a follower redirects, the file holds the keys', async () => {
    const leader = await c.leader()
    const endpoints = [c.follower(leader), leader].map((id) => c.addresses[id]!).join(',')
    delete process.env.RAFTKIT_SECRET
    const missing = await cli(['backup', 'save', backupFile, '--endpoints', endpoints])
    expect(missing.code).to.equal(2)
    expect(missing.err).to.include('RAFTKIT_SECRET')
    process.env.RAFTKIT_SECRET = 'wrong-secret-0123456789'
    const started = Date.now()
    const wrong = await cli(['backup', 'save', backupFile, '--endpoints', endpoints])
    expect(wrong.code).to.equal(1)
    expect(wrong.err).to.include('missing or wrong raftkit-secret header')
    expect(Date.now() - started, 'not retried').to.be.below(5_000)
    expect(await readdir(dir), 'nothing written').to.deep.equal([])
    process.env.RAFTKIT_SECRET = TEST_SECRET
    const saved = await cli(['backup', 'save', backupFile, '--endpoints', endpoints])
    expect(saved.code, saved.err).to.equal(0)
    expect(saved.out).to.match(
      /\(from [^)]+\): index \d+, term \d+, 2 keys, \d+ sessions, \d+ bytes/,
    )
    const b = decodeBackup(await readFile(backupFile))
    expect(Object.fromEntries(b.state.data)).to.include({ a: '1', b: '2' })
    expect(await readdir(dir)).to.deep.equal(['b.rkb']) // no temporary file left
  })

  it('restore --id writes that node only; a refusal anywhere writes nothing anywhere', async () => {
    const sub = join(dir, 'cluster-a')
    const init = await cli(['init', '--nodes', '3', '--dir', sub])
    expect(init.code, init.err).to.equal(0)
    const file = join(sub, 'cluster.json')
    const config = await loadClusterConfig(file)
    const one = await cli(['backup', 'restore', backupFile, '--config', file, '--id', 'n2'])
    expect(one.code, one.err).to.equal(0)
    const present = async (): Promise<boolean[]> =>
      Promise.all(
        config.nodes.map((n) =>
          readdir(n.dataDir).then(
            () => true,
            () => false,
          ),
        ),
      )
    expect(await present()).to.deep.equal([false, true, false])
    // The restored directory is the Raft state of the backup: a snapshot at its index.
    const storage = await createFileStorage({ dir: config.nodes[1]!.dataDir })
    const state = await storage.load()
    await storage.close()
    const b = decodeBackup(await readFile(backupFile))
    expect(state.snapshot?.meta).to.deep.equal({
      index: b.index,
      term: b.term,
      membership: { voters: ['n1', 'n2', 'n3'], learners: [], outgoing: [] },
    })
    expect(state.hardState).to.deep.equal({ term: b.term, votedFor: null, commit: b.index })
    expect(state.entries).to.deep.equal([])

    const all = await cli(['backup', 'restore', backupFile, '--config', file])
    expect(all.code).to.equal(2)
    expect(all.err).to.include('restore refused').and.include(config.nodes[1]!.dataDir)
    expect(await present(), 'n1 and n3 not written').to.deep.equal([false, true, false])
  })

  it('a data directory that is a file, or holds any file, is refused; an empty one is fine', async () => {
    const sub = join(dir, 'cluster-b')
    expect((await cli(['init', '--nodes', '3', '--dir', sub])).code).to.equal(0)
    const file = join(sub, 'cluster.json')
    const config = await loadClusterConfig(file)
    const [n1, n2, n3] = config.nodes.map((n) => n.dataDir) as [string, string, string]
    await mkdir(join(sub, 'data'), { recursive: true })
    await writeFile(n1, 'not a directory')
    await mkdir(n2)
    await writeFile(join(n2, 'notes.txt'), '')
    await mkdir(n3) // empty: fine
    const r1 = await cli(['backup', 'restore', backupFile, '--config', file, '--id', 'n1'])
    expect(r1.code).to.equal(2)
    expect(r1.err).to.include('exists and is not a directory')
    const r2 = await cli(['backup', 'restore', backupFile, '--config', file, '--id', 'n2'])
    expect(r2.code).to.equal(2)
    expect(r2.err).to.include('already holds 1 file(s) (notes.txt)')
    const r3 = await cli(['backup', 'restore', backupFile, '--config', file, '--id', 'n3'])
    expect(r3.code, r3.err).to.equal(0)
    expect((await readdir(n3)).length).to.be.above(0)
  })

  it('a foreign file, a missing file, a sharded cluster file and bad command lines exit 2', async () => {
    const sub = join(dir, 'cluster-c')
    expect((await cli(['init', '--nodes', '1', '--dir', sub])).code).to.equal(0)
    const file = join(sub, 'cluster.json')
    const foreign = await cli(['backup', 'restore', file, '--config', file])
    expect(foreign.code).to.equal(2)
    expect(foreign.err).to.include('not a usable raftkit backup (foreign)')
    const missing = await cli(['backup', 'restore', join(dir, 'nope'), '--config', file])
    expect(missing.code).to.equal(2)
    expect(missing.err).to.include('cannot read')
    const sharded = join(dir, 'sharded.json')
    await writeFile(
      sharded,
      JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), shard: {} }),
    )
    for (const sub of ['save', 'restore']) {
      const r = await cli(['backup', sub, backupFile, '--config', sharded])
      expect(r.code, sub).to.equal(2)
      expect(r.err).to.include('single-group clusters only')
    }
    for (const argv of [
      ['backup'],
      ['backup', 'copy', backupFile],
      ['backup', 'restore', backupFile],
      ['backup', 'save', backupFile],
      ['backup', 'restore', '--config', file],
    ])
      expect((await cli(argv)).code, argv.join(' ')).to.equal(2)
    expect(await readdir(join(sub, 'data')).catch(() => []), 'nothing written').to.deep.equal([])
  })
})
