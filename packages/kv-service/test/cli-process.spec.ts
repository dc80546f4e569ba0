/**
 * The `raftkit` CLI as real processes: init, three `serve` nodes (WebSocket transport,
 * FileStorage), the client commands, transfer-leader, a leader stopped with SIGTERM, `demo`, and the nodes of
 * `raftkit cluster` and `raftkit chaos` stopping when their supervisor is killed.
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { raftkitInvocation } from '../src/cli/invocation.js'
import { formatHostPort, loadClusterConfig } from '../src/config/cluster-config.js'
import { freePort } from '../src/config/free-port.js'
import { call } from './http-helpers.js'

interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

function start(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): {
  child: ChildProcess
  done: Promise<Run>
  output: () => string
  errors: () => string
} {
  const cli = raftkitInvocation()
  const child = spawn(cli.command, [...cli.args, ...args], {
    cwd: cli.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const done = new Promise<Run>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  )
  return { child, done, output: () => stdout, errors: () => stderr }
}

function run(args: readonly string[]): Promise<Run> {
  return start(args).done
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined)
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Waits until `read()` (a child's stdout or stderr so far) includes `needle`. */
function untilText(read: () => string, needle: string, timeoutMs: number): Promise<true> {
  return until(`"${needle}"`, timeoutMs, async () => (read().includes(needle) ? true : undefined))
}

/**
 * The pid in the first line of a node's JSON log, once the node has logged 'node started'
 * (waited for, up to 30 s). raftkit chaos says 'starting the workload' once two nodes of three
 * have elected a leader, so on a loaded machine the third's log (created empty at its spawn)
 * may not hold a line yet.
 */
async function firstLoggedPid(log: string): Promise<number> {
  await untilText(() => readFileSync(log, 'utf8'), 'node started', 30_000)
  const first = (await readFile(log, 'utf8')).split('\n')[0] ?? ''
  return (JSON.parse(first) as { pid: number }).pid
}

/**
 * SIGKILLs a supervisor (no handler of it runs: only the end of its nodes' stdin pipes tells
 * them) and expects every node whose log is given (its pid is on each JSON line) to exit within
 * 30 s after a clean stop ('node stopped' logged). Nodes still alive after that are killed.
 */
async function expectOrphansStop(supervisor: ChildProcess, logs: readonly string[]): Promise<void> {
  const pids = await Promise.all(logs.map(firstLoggedPid))
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
  expect(pids.filter(alive), 'the nodes run').to.deep.equal(pids)
  try {
    supervisor.kill('SIGKILL')
    await until('the orphaned nodes to exit', 30_000, async () =>
      pids.some(alive) ? undefined : true,
    )
    for (const log of logs) expect(await readFile(log, 'utf8'), log).to.include('node stopped')
  } finally {
    for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL')
  }
}

describe('raftkit CLI (child processes)', function () {
  this.timeout(90_000)
  let dir: string
  const children: ChildProcess[] = []

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-cli-'))
  })
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    children.length = 0
    await rm(dir, { recursive: true, force: true })
  })

  it('init + 3 serve: put/get through the CLI, transfer-leader, SIGTERM the leader, a new leader serves, all exit 0', async () => {
    const init = await run(['init', '--nodes', '3', '--dir', dir])
    expect(init.code, init.stderr).to.equal(0)
    const file = join(dir, 'cluster.json')
    const config = await loadClusterConfig(file)
    const nodes = new Map(
      config.nodes.map((n) => {
        const p = start(['serve', '--config', file, '--id', n.id])
        children.push(p.child)
        return [n.id, p] as const
      }),
    )
    const statusOf = async (id: string): Promise<{ role?: string }> => {
      const n = config.nodes.find((x) => x.id === id)!
      const r = await call(`http://${formatHostPort(n.http)}/v1/status`)
      return JSON.parse(r.body) as { role?: string }
    }
    const leaderAmong = (ids: readonly string[]) => async (): Promise<string | undefined> => {
      for (const id of ids) {
        const s = await statusOf(id).catch(() => undefined)
        if (s?.role === 'leader') return id
      }
      return undefined
    }
    const elected = await until('a leader', 30_000, leaderAmong([...nodes.keys()]))

    const put = await run(['put', 'color', 'blue', '--config', file])
    expect(put.code, put.stderr).to.equal(0)
    expect(put.stdout).to.equal('OK\n')
    const got = await run(['get', 'color', '--config', file])
    expect(got.code, got.stderr).to.equal(0)
    expect(got.stdout).to.equal('blue\n')

    // transfer-leader prints the new leader's view: its MATCH of each other node (the old
    // leader, which answers the transfer, tracks none).
    const to = [...nodes.keys()].find((id) => id !== elected)!
    const moved = await run(['transfer-leader', '--to', to, '--config', file])
    expect(moved.code, moved.stderr).to.equal(0)
    expect(moved.stdout).to.match(
      new RegExp(`^leader ${to}  term \\d+  \\(answered by ${to}\\)$`, 'm'),
    )
    for (const id of [...nodes.keys()].filter((x) => x !== to))
      expect(moved.stdout).to.match(
        new RegExp(`^${id}\\s+voter\\s+\\S+\\s+\\S+\\s+\\d+\\s+\\w+$`, 'm'),
      )
    const first = await until('the leader', 30_000, leaderAmong([...nodes.keys()]))

    nodes.get(first)!.child.kill('SIGTERM')
    const stopped = await nodes.get(first)!.done
    expect(stopped.code, stopped.stderr).to.equal(0)
    expect(stopped.stderr).to.include('node stopped')

    const rest = [...nodes.keys()].filter((id) => id !== first)
    const second = await until('a new leader', 30_000, leaderAmong(rest))
    expect(second).to.not.equal(first)
    const append = await run(['append', '--config', file, '--', 'color', '-green'])
    expect(append.code, append.stderr).to.equal(0)
    const after = await run(['get', 'color', '--config', file])
    expect(after.stdout).to.equal('blue-green\n')
    // The table: the stopped node is down, the others report a role. (Not which one leads: the
    // two live nodes may hold another election between the probe above and this command.)
    const status = await run(['status', '--config', file])
    expect(status.code).to.equal(0)
    expect(status.stdout).to.match(new RegExp(`^${first}\\s+\\S+\\s+down: `, 'm'))
    for (const id of rest)
      expect(status.stdout).to.match(
        new RegExp(`^${id}\\s+\\S+\\s+(leader|follower|pre-candidate|candidate)\\s`, 'm'),
      )

    for (const id of rest) nodes.get(id)!.child.kill('SIGTERM')
    for (const id of rest) {
      const r = await nodes.get(id)!.done
      expect(r.code, `${id}: ${r.stderr}`).to.equal(0)
    }
    // The WAL survived: data dirs hold what was written.
    for (const n of config.nodes) expect((await stat(n.dataDir)).isDirectory()).to.equal(true)
  })

  // `serve` of a node of a single-group cluster file, of a sharded one (handed to
  // @raftkit/shardkv's CLI by the same entry), and of a node that joins (`--join`: it first asks
  // the cluster, here down, for its members, for up to 5 s).
  const joining = async (dir: string): Promise<string[]> => [
    '--join',
    '--id',
    'n9',
    '--peer',
    `127.0.0.1:${await freePort()}`,
    '--http',
    `127.0.0.1:${await freePort()}`,
    '--data-dir',
    join(dir, 'data', 'n9'),
  ]
  for (const [kind, initArgs, serveArgs] of [
    ['a cluster file', [], async () => ['--id', 'n1']],
    ['a sharded cluster file', ['--groups', '1'], async () => ['--id', 'n1']],
    ['a cluster file with --join', [], joining],
  ] as const)
    it(`a SIGTERM while the CLI is still loading ends serve of ${kind} in order: exit code 0, nothing started`, async () => {
      const init = await run(['init', '--nodes', '1', ...initArgs, '--dir', dir])
      expect(init.code, init.stderr).to.equal(0)
      const file = join(dir, 'cluster.json')
      // RAFTKIT_TEST_HOLD_STARTUP holds the CLI where it loads its commands (the window in which
      // a signal used to kill it), so the signal lands there every time.
      const node = start(['serve', '--config', file, ...(await serveArgs(dir))], {
        ...process.env,
        RAFTKIT_TEST_HOLD_STARTUP: '1',
      })
      children.push(node.child)
      await untilText(node.errors, 'raftkit: start-up held', 30_000)
      node.child.kill('SIGTERM')
      const r = await node.done
      expect({ code: r.code, signal: r.signal }, r.stderr).to.deep.equal({ code: 0, signal: null })
      expect(r.stderr).to.include('stopping on signal before start-up')
      expect(r.stderr).to.not.include('node started')
      // Nothing was started: no data directory was made (init writes data/<id> dataDirs).
      const data = await stat(join(dir, 'data')).then(
        () => 'exists',
        (e: NodeJS.ErrnoException) => e.code,
      )
      expect(data).to.equal('ENOENT')
    })

  it('a signal after serve has stopped cleanly does not kill it: exit code 0 (raftkit cluster sends SIGTERM after a Ctrl-C)', async () => {
    const init = await run(['init', '--nodes', '1', '--dir', dir])
    expect(init.code, init.stderr).to.equal(0)
    const file = join(dir, 'cluster.json')
    // RAFTKIT_TEST_HOLD_EXIT holds the process after its command has returned (the window in
    // which a late signal used to kill it), so the second signal lands there every time.
    const node = start(['serve', '--config', file, '--id', 'n1'], {
      ...process.env,
      RAFTKIT_TEST_HOLD_EXIT: '1',
    })
    children.push(node.child)
    await untilText(node.errors, 'node started', 30_000)
    node.child.kill('SIGINT')
    await untilText(node.errors, 'raftkit: exit held', 30_000)
    node.child.kill('SIGTERM')
    const r = await node.done
    expect({ code: r.code, signal: r.signal }, r.stderr).to.deep.equal({ code: 0, signal: null })
    expect(r.stderr).to.include('node stopped')
  })

  it('raftkit cluster killed with SIGKILL: its node sees its stdin pipe end and stops cleanly', async () => {
    const supervisor = start(['cluster', '--dir', dir, '--nodes', '1'])
    children.push(supervisor.child)
    await untilText(supervisor.output, 'leader: n1', 60_000)
    await expectOrphansStop(supervisor.child, [join(dir, 'logs', 'n1.log')])
  })

  it('raftkit chaos killed with SIGKILL: its nodes (own process group) stop cleanly too', async () => {
    const driver = start(
      ['chaos', '--nodes', '3', '--dir', join(dir, 'chaos'), '--duration', '60s'].concat([
        '--kill-rate',
        '0',
        '--partition-rate',
        '0',
        '--pause-rate',
        '0',
      ]),
    )
    children.push(driver.child)
    await untilText(driver.output, 'starting the workload', 60_000)
    const logs = ['n1', 'n2', 'n3'].map((id) => join(dir, 'chaos', 'logs', `${id}.log`))
    await expectOrphansStop(driver.child, logs)
  })

  it('raftkit chaos killed with SIGKILL while a node is paused: the node is resumed and stops too', async () => {
    // Only pauses, each 60 s long: the first begins 5 s after the workload starts, when every
    // node has logged 'node started' (the driver starts the workload once two of three elected
    // a leader; a node paused before its start-up ends would log no pid to find it by).
    const driver = start(
      ['chaos', '--nodes', '3', '--dir', join(dir, 'paused'), '--duration', '60s'].concat(
        ['--kill-rate', '0', '--partition-rate', '0', '--pause-rate', '1'],
        ['--fault-time', '60s..60s', '--gap', '5s..5s'],
      ),
    )
    children.push(driver.child)
    await untilText(driver.output, 'starting the workload', 60_000)
    const logs = ['n1', 'n2', 'n3'].map((id) => join(dir, 'paused', 'logs', `${id}.log`))
    const pids = await Promise.all(logs.map(firstLoggedPid))
    // /proc/<pid>/stat's third field: T once SIGSTOP has stopped the process.
    const stopped = async (pid: number): Promise<boolean> =>
      (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /s, '').startsWith('T')
    await until('a node to be paused', 20_000, async () =>
      (await Promise.all(pids.map(stopped))).some(Boolean) ? true : undefined,
    )
    await expectOrphansStop(driver.child, logs)
  })

  it('client commands fail clearly: no node reachable, bad usage, bad cluster file', async () => {
    const noNode = await run(['get', 'k', '--endpoints', '127.0.0.1:1', '--timeout', '1500'])
    expect(noNode.code).to.equal(1)
    expect(noNode.stderr).to.match(/no answer within 1500 ms/)
    const usage = await run(['put', 'k'])
    expect(usage.code).to.equal(2)
    expect(usage.stderr).to.match(/expected 2 arguments/)
    const bad = join(dir, 'bad.json')
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(
        bad,
        JSON.stringify({
          nodes: [{ id: 'n1', peer: 'x', http: '127.0.0.1:1', dataDir: 'd' }],
          secret: 'x'.repeat(16),
        }),
      ),
    )
    const badFile = await run(['serve', '--config', bad, '--id', 'n1'])
    expect(badFile.code).to.equal(2)
    expect(badFile.stderr).to.include('"nodes[0].peer"')
  })

  it('demo: starts 3 nodes, runs the workload, stops cleanly on SIGINT', async () => {
    const demo = start(['demo', '--dir', dir])
    children.push(demo.child)
    await untilText(demo.output, 'get    history -> "1;2;3;4;5;"', 60_000)
    demo.child.kill('SIGINT')
    const r = await demo.done
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.include('get    greeting -> "hello, world"')
    expect(r.stdout.match(/exited with 0/g)).to.have.length(3)
    const log = await readFile(join(dir, 'logs', 'n1.log'), 'utf8')
    expect(log).to.include('node stopped')
  })
})
