/**
 * `raftkit backup save` / `raftkit backup restore` as a user runs them, with real processes:
 * three `raftkit serve` nodes, keys written through the CLI and an append through a session,
 * a backup saved, the cluster stopped; restore refuses data directories that hold Raft state
 * and a damaged file (exit 2, nothing written); restored into a fresh cluster file's data
 * directories, the new cluster serves every key, answers a retry of the session's append from
 * its session table (not run twice), and takes new writes.
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { raftkitInvocation } from '../src/cli/invocation.js'
import type { ClusterConfig } from '../src/config/cluster-config.js'
import { formatHostPort, loadClusterConfig } from '../src/config/cluster-config.js'
import { CLIENT_ID_HEADER, REQUEST_SEQ_HEADER } from '../src/http/protocol.js'
import { call } from './http-helpers.js'

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

describe('raftkit backup save / restore (child processes)', function () {
  this.timeout(180_000)
  let dir: string
  const children: ChildProcess[] = []

  const start = (args: readonly string[]): { child: ChildProcess; done: Promise<Run> } => {
    const cli = raftkitInvocation()
    const child = spawn(cli.command, [...cli.args, ...args], {
      cwd: cli.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const done = new Promise<Run>((resolve) =>
      child.once('close', (code) => resolve({ code, stdout, stderr })),
    )
    return { child, done }
  }
  const run = (args: readonly string[]): Promise<Run> => start(args).done

  /** Starts every node of `config` with `raftkit serve`; resolves with a stop function. */
  const serveAll = (file: string, config: ClusterConfig): (() => Promise<void>) => {
    const nodes = config.nodes.map((n) => start(['serve', '--config', file, '--id', n.id]))
    return async () => {
      for (const n of nodes) n.child.kill('SIGTERM')
      for (const n of nodes) expect((await n.done).code).to.equal(0)
    }
  }

  /** The leader's HTTP address, once one node of `config` says it leads (bounded). */
  const leaderOf = async (config: ClusterConfig): Promise<string> => {
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      for (const n of config.nodes) {
        const address = formatHostPort(n.http)
        const r = await call(`http://${address}/v1/status`).catch(() => undefined)
        if (r?.status === 200 && (JSON.parse(r.body) as { role: string }).role === 'leader')
          return address
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('no leader within 60 s')
  }

  const listing = async (config: ClusterConfig): Promise<string[][]> =>
    Promise.all(config.nodes.map((n) => readdir(n.dataDir).catch(() => ['(missing)'])))

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-backup-'))
  })
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    children.length = 0
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
