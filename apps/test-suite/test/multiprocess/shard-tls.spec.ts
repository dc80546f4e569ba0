/**
 * A TLS sharded cluster from the command line: `raftkit init --groups 2 --nodes 3 --tls` (a CA
 * and a certificate per node, made with openssl; skipped where openssl is missing), one
 * `raftkit serve` process per node (wss:// between the replicas of every group and the
 * controller, HTTPS for the API and the controller / group RPC), `raftkit shard join|move|query`
 * and `raftkit put|get` trusting the file's CA, a 2-client workload through the nodes while a
 * shard moves, and `ShardKvHttpClient` routing keys to their groups over HTTPS. Clients that do
 * not speak TLS get nothing: plain HTTP to the API, the RPC route and the peer port is refused.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { connect as netConnect } from 'node:net'
import { HttpKvRpc, readClientTls } from '@raftkit/kv-service'
import type { ShardConfig, ShardNodeStatus } from '@raftkit/shardkv'
import {
  CtrlerClient,
  HttpShardRpc,
  NSHARDS,
  ShardKvHttpClient,
  endpointName,
  key2shard,
  loadShardCluster,
} from '@raftkit/shardkv'
import { SystemClock, createRng } from '@raftkit/raft-core'
import { expect } from 'chai'
import {
  NodeProcesses,
  Workload,
  delay,
  finalReads,
  lostAcknowledgedWrites,
  newRecorder,
  runRaftkit,
} from '@raftkit/kv-service/chaos'
import { expectLinearizable, waitSettled, waitUntil } from './helpers.js'

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function raftkit(args: readonly string[]): Promise<string> {
  const r = await runRaftkit(args, 60_000)
  expect(r.code, `raftkit ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).to.equal(0)
  return r.stdout
}

/** Resolves with how a plain (non-TLS) exchange on `host:port` ended: never with an answer. */
function plainExchange(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port })
    let got = ''
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(`no answer within 3 s${got ? `: ${got}` : ''}`)
    }, 3000)
    socket.on('connect', () => socket.write(text))
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')))
    const end = (why: string): void => {
      clearTimeout(timer)
      resolve(`${why}${got ? `: ${JSON.stringify(got.slice(0, 80))}` : ''}`)
    }
    socket.on('close', () => end('closed'))
    socket.on('error', (e) => end(`error ${e.message}`))
  })
}

describe('multi-process: a TLS sharded cluster from the CLI', function () {
  this.timeout(180_000)
  let dir: string | undefined
  let nodes: NodeProcesses | undefined
  let failed = false
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true
  })
  after(async () => {
    await nodes?.stopAll(5000)
    if (failed && dir) console.log(`    node logs kept in ${dir}/logs`)
    else if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('wss:// peers, HTTPS API and RPC: join, write, move a shard, read; plain HTTP refused', async function () {
    if (!hasOpenssl()) this.skip()
    dir = await mkdtemp(join(tmpdir(), 'raftkit-shard-tls-'))
    const init = await raftkit(['init', '--groups', '2', '--nodes', '3', '--dir', dir, '--tls'])
    expect(init).to.match(/http https:\/\/127\.0\.0\.1:\d+/)
    const file = join(dir, 'cluster.json')
    const cluster = await loadShardCluster(file)
    expect(cluster.config.tls?.caFile).to.equal(join(dir, 'tls', 'ca.pem'))
    const tls = readClientTls(cluster.config)!
    const ids = cluster.config.nodes.map((n) => n.id)
    const endpoints = Object.fromEntries(
      cluster.config.nodes.map((n) => [n.id, `${n.http.host}:${n.http.port}`]),
    )
    nodes = new NodeProcesses({
      configFile: file,
      ids,
      logDir: join(dir, 'logs'),
      serveArgs: ['--log-level', 'warn'],
    })
    nodes.startAll()
    const api = new HttpKvRpc({ endpoints, tls })
    const statuses = (): Promise<(ShardNodeStatus | undefined)[]> =>
      Promise.all(
        ids.map((id) =>
          api
            .getJson(id, '/v1/status', 1000)
            .then((s) => s as ShardNodeStatus)
            .catch(() => undefined),
        ),
      )
    const query = async (): Promise<ShardConfig> =>
      JSON.parse(
        await raftkit(['shard', 'query', '--json', '--config', file, '--timeout', '30000']),
      ) as ShardConfig
    try {
      // The controller's Raft group (wss://) elects and answers over HTTPS.
      await raftkit(['shard', 'join', '100', '101', '--config', file, '--timeout', '30000'])
      const first = await query()
      expect(new Set(first.shards)).to.deep.equal(new Set([100, 101]))
      await waitSettled(statuses, first)

      // The CLI clients over HTTPS, trusting tls.caFile.
      await raftkit(['put', 'apple', 'red', '--config', file, '--timeout', '20000'])
      await raftkit(['append', 'apple', ' and green', '--config', file, '--timeout', '20000'])
      expect(await raftkit(['get', 'apple', '--config', file, '--timeout', '20000'])).to.equal(
        'red and green\n',
      )

      // ShardKvHttpClient routes each key to a node of its group over HTTPS.
      const client = new ShardKvHttpClient({ rpc: api, deadlineMs: 20_000 })
      const keys = Array.from({ length: NSHARDS }, (_, i) => String.fromCharCode(100 + i))
      for (const k of keys) await client.put(`${k}-static`, `v-${k}`)
      expect(client.cachedConfig.num).to.equal(first.num)

      // A workload through the nodes while shard `moved` changes groups.
      const recorder = newRecorder()
      const workload = new Workload({
        config: cluster.config,
        clients: 2,
        keys,
        rng: createRng(43),
        recorder,
        deadlineMs: 10_000,
      })
      const moved = key2shard('apple')
      const to = first.shards[moved] === 100 ? 101 : 100
      workload.start()
      try {
        await delay(1000)
        const okBefore = workload.counts.ok
        await raftkit(['shard', 'move', String(moved), String(to), '--config', file])
        const second = await query()
        expect(second.shards[moved]).to.equal(to)
        await waitSettled(statuses, second)
        await waitUntil(
          'serving 10 more operations across the move',
          () => workload.counts.ok > okBefore + 10,
        )
      } finally {
        await workload.stop()
      }
      expect(await raftkit(['get', 'apple', '--config', file, '--timeout', '20000'])).to.equal(
        'red and green\n',
      )
      for (const k of keys) expect(await client.get(`${k}-static`)).to.equal(`v-${k}`)
      client.close()
      const finals = await finalReads(cluster.config, recorder, keys)
      const history = recorder.operations()
      expect(lostAcknowledgedWrites(history, finals)).to.deep.equal([])
      for (const [key, value] of finals) {
        const parts = value.match(/<[^>]*>/g) ?? []
        expect(new Set(parts).size, `duplicated write in ${key}: ${value}`).to.equal(parts.length)
      }
      expectLinearizable(history)

      // Only TLS clients get in. Plain HTTP to the API (with and without the secret) and to the
      // RPC route gets no answer; an HTTPS client that does not trust the CA is refused.
      const n1 = cluster.config.nodes[0]!
      const plainGet = await plainExchange(
        n1.http.host,
        n1.http.port,
        'GET /v1/kv/apple HTTP/1.1\r\nhost: x\r\n\r\n',
      )
      expect(plainGet).to.not.match(/HTTP\/1\.1 200/)
      expect(plainGet).to.not.include('red and green')
      const plainApi = new HttpKvRpc({ endpoints })
      let plainError: unknown
      await plainApi.getJson('n1', '/v1/status', 2000).catch((e: unknown) => (plainError = e))
      expect(plainError, 'plain-HTTP status request').to.be.instanceOf(Error)
      plainApi.close()
      const plainRpc = new HttpShardRpc({ addresses: endpoints, secret: cluster.config.secret })
      let rpcError: unknown
      await plainRpc
        .call('test', 'ctrler@n1', { op: 'query', num: -1 }, 2000)
        .catch((e: unknown) => (rpcError = e))
      expect(rpcError, 'plain-HTTP controller query').to.be.instanceOf(Error)
      plainRpc.close()
      const tlsRpc = new HttpShardRpc({
        addresses: endpoints,
        secret: cluster.config.secret,
        tls: { ca: tls.ca! },
      })
      // n1 need not lead the controller now: a clerk finds the leader, over HTTPS only.
      const clerk = new CtrlerClient({
        rpc: tlsRpc,
        servers: cluster.shard.ctrler.map((n) => endpointName('ctrler', n)),
        clock: new SystemClock(),
        name: 'test',
      })
      const latest = await clerk.query(-1)
      clerk.close()
      expect(latest.num, 'the same query over HTTPS').to.equal((await query()).num)
      tlsRpc.close()
      const untrusted = new HttpKvRpc({ endpoints, tls: {} })
      let untrustedError: unknown
      await untrusted.getJson('n1', '/v1/status', 2000).catch((e: unknown) => (untrustedError = e))
      expect(untrustedError).to.have.property('name', 'TlsError')
      untrusted.close()

      // The peer port speaks TLS with a certificate the cluster CA signed.
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const socket = tlsConnect(
          { host: n1.peer.host, port: n1.peer.port, ca: [tls.ca!], servername: 'localhost' },
          () => {
            resolve(socket.authorized)
            socket.destroy()
          },
        )
        socket.on('error', reject)
      })
      expect(authorized, 'peer certificate signed by the cluster CA').to.equal(true)
      const plainPeer = await plainExchange(
        n1.peer.host,
        n1.peer.port,
        'GET / HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n',
      )
      expect(plainPeer).to.not.match(/HTTP\/1\.1 101/)
      api.close()
      expect(nodes.unexpectedExits, 'nodes that exited on their own').to.deep.equal([])
    } finally {
      api.close()
    }
  })
})
