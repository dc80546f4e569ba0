/**
 * `raftkit backup save` / `raftkit backup restore` as a user runs them, with real processes:
 * three `raftkit serve` nodes, keys written through the CLI and an append through a session,
 * a backup saved, the cluster stopped; restore refuses data directories that hold Raft state
 * and a damaged file (exit 2, nothing written); restored into a fresh cluster file's data
 * directories, the new cluster serves every key, answers a retry of the session's append from
 * its session table (not run twice), and takes new writes.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import type { ClusterConfig } from '../src/config/cluster-config.js'
import { loadClusterConfig } from '../src/config/cluster-config.js'
import { CLIENT_ID_HEADER, REQUEST_SEQ_HEADER } from '../src/http/protocol.js'
import { CliProcesses } from './cli-processes.js'
import { call } from './http-helpers.js'

describe('raftkit backup save / restore (child processes)', function () {
  this.timeout(180_000)
  let dir: string
  const procs = new CliProcesses()
  const run = (args: readonly string[]) => procs.run(args)
  const serveAll = (file: string, config: ClusterConfig) => procs.serveAll(file, config)
  const leaderOf = (config: ClusterConfig) => procs.leaderOf(config)

  const listing = async (config: ClusterConfig): Promise<string[][]> =>
    Promise.all(config.nodes.map((n) => readdir(n.dataDir).catch(() => ['(missing)'])))

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-backup-'))
  })
  afterEach(async () => {
    procs.killAll()
    await rm(dir, { recursive: true, force: true })
  })

  it('save from a running cluster, restore into a fresh cluster file, serve: every key, sessions kept, new writes', async () => {
    const oldDir = join(dir, 'old')
    const newDir = join(dir, 'new')
    for (const d of [oldDir, newDir]) {
      const init = await run(['init', '--nodes', '3', '--dir', d])
      expect(init.code, init.stderr).to.equal(0)
    }
    const oldFile = join(oldDir, 'cluster.json')
    const newFile = join(newDir, 'cluster.json')
    const oldConfig = await loadClusterConfig(oldFile)
    const newConfig = await loadClusterConfig(newFile)

    // A running cluster with keys and a session.
    const stopOld = serveAll(oldFile, oldConfig)
    const keys: Record<string, string> = {}
    for (let i = 0; i < 5; i++) {
      keys[`key-${i}`] = `value-${i}`
      const put = await run(['put', `key-${i}`, `value-${i}`, '--config', oldFile])
      expect(put.code, put.stderr).to.equal(0)
    }
    const leader = await leaderOf(oldConfig)
    const opened = await call(`http://${leader}/v1/sessions`, { method: 'POST' })
    expect(opened.status, opened.body).to.equal(201)
    const clientId = (JSON.parse(opened.body) as { clientId: string }).clientId
    const appendOnce = (address: string, seq: number, body: string) =>
      call(`http://${address}/v1/kv/log/append`, {
        method: 'POST',
        body,
        headers: { [CLIENT_ID_HEADER]: clientId, [REQUEST_SEQ_HEADER]: String(seq) },
      })
    expect((await appendOnce(leader, 1, 'a')).status).to.equal(204)
    keys.log = 'a'

    const file = join(dir, 'backup.rkb')
    const saved = await run(['backup', 'save', file, '--config', oldFile])
    expect(saved.code, saved.stderr).to.equal(0)
    expect(saved.stdout).to.match(
      /^saved .*backup\.rkb \(from [^)]+\): index \d+, term \d+, 6 keys, \d+ sessions, \d+ bytes\n$/,
    )
    expect(
      (await readdir(dir)).filter((n) => n.endsWith('.tmp')),
      'no temporary file left',
    ).to.deep.equal([])
    await stopOld()

    // Refused: data directories that hold Raft state; nothing changes.
    const before = await listing(oldConfig)
    const busy = await run(['backup', 'restore', file, '--config', oldFile])
    expect(busy.code).to.equal(2)
    expect(busy.stderr).to.include('restore refused').and.include('already holds')
    expect(await listing(oldConfig)).to.deep.equal(before)

    // Refused: a damaged file; nothing written.
    const damaged = await readFile(file)
    damaged[damaged.length - 40] = (damaged[damaged.length - 40] as number) ^ 0x01
    const bad = join(dir, 'damaged.rkb')
    await writeFile(bad, damaged)
    const corrupt = await run(['backup', 'restore', bad, '--config', newFile])
    expect(corrupt.code).to.equal(2)
    expect(corrupt.stderr).to.include('not a usable raftkit backup (corrupt)')
    expect(await listing(newConfig)).to.deep.equal(newConfig.nodes.map(() => ['(missing)']))

    // Restored into the fresh cluster file's data directories, then served.
    const restored = await run(['backup', 'restore', file, '--config', newFile])
    expect(restored.code, restored.stderr).to.equal(0)
    expect(restored.stdout).to.include('6 keys')
    const stopNew = serveAll(newFile, newConfig)
    try {
      for (const [key, value] of Object.entries(keys)) {
        const got = await run(['get', key, '--config', newFile])
        expect(got.code, got.stderr).to.equal(0)
        expect(got.stdout).to.equal(`${value}\n`)
      }
      // At-most-once across the restore: the append's retry is answered, not run again.
      const newLeader = await leaderOf(newConfig)
      expect((await appendOnce(newLeader, 1, 'a')).status).to.equal(204)
      expect((await run(['get', 'log', '--config', newFile])).stdout).to.equal('a\n')
      expect((await appendOnce(newLeader, 2, 'b')).status).to.equal(204)
      const put = await run(['put', 'after', 'restore', '--config', newFile])
      expect(put.code, put.stderr).to.equal(0)
      expect((await run(['get', 'log', '--config', newFile])).stdout).to.equal('ab\n')
      expect((await run(['get', 'after', '--config', newFile])).stdout).to.equal('restore\n')
    } finally {
      await stopNew()
    }
  })
})
