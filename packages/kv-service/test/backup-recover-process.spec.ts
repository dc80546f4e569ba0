/**
 * Recovering a cluster that lost its majority, as a user does it, with real processes: three
 * `raftkit serve` nodes take keys through the CLI and an append through a session; while they
 * run, `backup save --data-dir` refuses a node's directory (its lock, exit 2, no file). All
 * three are stopped (two of them standing for the lost disks); `backup save --data-dir` reads
 * each directory without changing a byte and prints its last index and term, the one with the
 * highest (term, index) is restored into a fresh cluster file and served: every key reads back,
 * the session's retried append is answered and not run twice, new writes work.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { decodeBackup } from '../src/backup-format.js'
import { loadClusterConfig } from '../src/config/cluster-config.js'
import { CLIENT_ID_HEADER, REQUEST_SEQ_HEADER } from '../src/http/protocol.js'
import { CliProcesses } from './cli-processes.js'
import { dirContents } from './dir-contents.js'
import { call } from './http-helpers.js'

describe('raftkit backup save --data-dir: recovery after losing the majority (child processes)', function () {
  this.timeout(180_000)
  let dir: string
  const procs = new CliProcesses()

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-recover-'))
  })
  afterEach(async () => {
    procs.killAll()
    await rm(dir, { recursive: true, force: true })
  })

  it('save from a stopped node, restore, serve: every key, the session kept, new writes', async () => {
    const oldDir = join(dir, 'old')
    const newDir = join(dir, 'new')
    for (const d of [oldDir, newDir]) {
      const init = await procs.run(['init', '--nodes', '3', '--dir', d])
      expect(init.code, init.stderr).to.equal(0)
    }
    const oldFile = join(oldDir, 'cluster.json')
    const newFile = join(newDir, 'cluster.json')
    const oldConfig = await loadClusterConfig(oldFile)
    const newConfig = await loadClusterConfig(newFile)

    const stopOld = procs.serveAll(oldFile, oldConfig)
    const keys: Record<string, string> = {}
    for (let i = 0; i < 5; i++) {
      keys[`key-${i}`] = `value-${i}`
      const put = await procs.run(['put', `key-${i}`, `value-${i}`, '--config', oldFile])
      expect(put.code, put.stderr).to.equal(0)
    }
    const leader = await procs.leaderOf(oldConfig)
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

    // A running node's directory is refused: its lock.
    const first = oldConfig.nodes[0]!
    const running = await procs.run([
      'backup',
      'save',
      join(dir, 'x.rkb'),
      '--data-dir',
      first.dataDir,
    ])
    expect(running.code).to.equal(2)
    expect(running.stderr).to.include('(locked)')
    await stopOld()

    // Each stopped node's directory, read without a change; the most up-to-date log is used.
    let best: { file: string; term: number; index: number } | undefined
    for (const n of oldConfig.nodes) {
      const before = await dirContents(n.dataDir)
      const file = join(dir, `${n.id}.rkb`)
      const saved = await procs.run([
        'backup',
        'save',
        file,
        '--data-dir',
        n.dataDir,
        '--config',
        oldFile,
      ])
      expect(saved.code, saved.stderr).to.equal(0)
      expect(await dirContents(n.dataDir), `${n.id}'s directory`).to.deep.equal(before)
      const m = /last index (\d+), term (\d+); stored commit index \d+, (\d+) entries past it/.exec(
        saved.stdout,
      )
      expect(m, saved.stdout).to.not.equal(null)
      const [index, term] = [Number(m![1]), Number(m![2])]
      const backup = decodeBackup(await readFile(file))
      expect([backup.index, backup.term]).to.deep.equal([index, term])
      if (!best || term > best.term || (term === best.term && index > best.index))
        best = { file, term, index }
    }
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp') || n === 'x.rkb')).to.deep.equal(
      [],
    )

    const restored = await procs.run(['backup', 'restore', best!.file, '--config', newFile])
    expect(restored.code, restored.stderr).to.equal(0)
    const stopNew = procs.serveAll(newFile, newConfig)
    try {
      for (const [key, value] of Object.entries(keys)) {
        const got = await procs.run(['get', key, '--config', newFile])
        expect(got.code, got.stderr).to.equal(0)
        expect(got.stdout, key).to.equal(`${value}\n`)
      }
      const newLeader = await procs.leaderOf(newConfig)
      expect((await appendOnce(newLeader, 1, 'a')).status).to.equal(204)
      expect((await procs.run(['get', 'log', '--config', newFile])).stdout).to.equal('a\n')
      expect((await appendOnce(newLeader, 2, 'b')).status).to.equal(204)
      const put = await procs.run(['put', 'after', 'recovery', '--config', newFile])
      expect(put.code, put.stderr).to.equal(0)
      expect((await procs.run(['get', 'log', '--config', newFile])).stdout).to.equal('ab\n')
      expect((await procs.run(['get', 'after', '--config', newFile])).stdout).to.equal('recovery\n')
    } finally {
      await stopNew()
    }
  })
})
