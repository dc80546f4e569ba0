/**
 * An etcd cluster for the benchmarks that compare with it (etcd.ts, side-by-side.ts): N `etcd`
 * processes on 127.0.0.1 with data directories in a given folder and etcd's defaults (fsync on
 * every commit, linearizable reads), the leader found through the HTTP/JSON gateway's
 * maintenance status. etcdVersion() tells whether etcd is on the PATH at all.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { Client } from 'undici'

/** The hint printed when etcd is missing. */
export const ETCD_INSTALL_HINT = 'etcd is not on the PATH (Debian: apt-get install etcd-server)'

/** `etcd --version`'s version, or undefined when etcd cannot be run. */
export function etcdVersion(): string | undefined {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' })
  if (r.error || r.status !== 0) return undefined
  return /etcd Version: (\S+)/.exec(r.stdout)?.[1] ?? 'unknown'
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))))
    })
  })
}

/** POST to etcd's HTTP/JSON gateway; throws unless HTTP 200. */
export async function gatewayPost(
  c: Client,
  path: string,
  body: object,
): Promise<Record<string, unknown>> {
  const { statusCode, body: res } = await c.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const json = (await res.json()) as Record<string, unknown>
  if (statusCode !== 200) throw new Error(`${path}: HTTP ${statusCode} ${JSON.stringify(json)}`)
  return json
}

export interface EtcdCluster {
  /** The leader's client address, host:port. */
  readonly leaderAddress: string
  readonly leaderName: string
  /** Every member's pid, by member name. */
  readonly pids: () => Readonly<Record<string, number | undefined>>
  /** SIGTERM, then SIGKILL after 300 ms for any member still running. */
  readonly stop: () => Promise<void>
}

/** Starts `nodes` members in `dir` and waits (60 s) for a leader. The caller must call stop(). */
export async function startEtcdCluster(dir: string, nodes: number): Promise<EtcdCluster> {
  const members: { name: string; client: number; peer: number }[] = []
  for (let i = 0; i < nodes; i++)
    members.push({ name: `e${i + 1}`, client: await freePort(), peer: await freePort() })
  const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',')
  const procs: ChildProcess[] = members.map((m) =>
    spawn(
      'etcd',
      [
        ...['--name', m.name, '--data-dir', join(dir, m.name)],
        ...['--listen-client-urls', `http://127.0.0.1:${m.client}`],
        ...['--advertise-client-urls', `http://127.0.0.1:${m.client}`],
        ...['--listen-peer-urls', `http://127.0.0.1:${m.peer}`],
        ...['--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`],
        ...['--initial-cluster', initial, '--initial-cluster-state', 'new'],
        ...['--initial-cluster-token', 'raftkit-bench', '--log-level', 'error', '--logger', 'zap'],
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    ),
  )
  const stop = async (): Promise<void> => {
    for (const p of procs) p.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL')
  }
  try {
    // The leader: ask every member's status until one names itself as the leader.
    let leaderIndex = -1
    const deadline = Date.now() + 60_000
    while (leaderIndex < 0) {
      if (Date.now() > deadline) throw new Error('etcd elected no leader within 60 s')
      await new Promise((r) => setTimeout(r, 200))
      for (let i = 0; i < members.length && leaderIndex < 0; i++) {
        const c = new Client(`http://127.0.0.1:${members[i]!.client}`)
        try {
          const s = await gatewayPost(c, '/v3/maintenance/status', {})
          const header = s.header as { member_id?: string } | undefined
          if (s.leader !== undefined && s.leader !== '0' && header?.member_id === s.leader)
            leaderIndex = i
        } catch {
          // not up yet
        } finally {
          await c.close()
        }
      }
    }
    const leader = members[leaderIndex]!
    console.error(`etcd: ${nodes} members in ${dir}, leader ${leader.name}`)
    return {
      leaderAddress: `127.0.0.1:${leader.client}`,
      leaderName: leader.name,
      pids: () => Object.fromEntries(members.map((m, i) => [m.name, procs[i]!.pid])),
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}
