/**
 * Three sharded nodes in this process (startShardNode: transport-ws, storage-fs, HTTP on
 * loopback), groups 100 and 101 joined through HttpShardRpc. Pins the node's HTTP contract: any
 * node answers for every key by forwarding; a retried append with the same session headers runs
 * once; bad requests are refused with kv-service's codes and nothing runs; the RPC route
 * requires the cluster secret; status and metrics report each group; the fault route (the chaos
 * monkey's partitions) needs the secret; ShardKvHttpClient works knowing one node.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HttpKvRpc } from '@raftkit/kv-service'
import { SystemClock } from '@raftkit/raft-core'
import { expect } from 'chai'
import type { RunningShardNode, ShardCluster, ShardNodeStatus } from '../src/index.js'
import {
  CtrlerClient,
  HttpShardRpc,
  ShardKvHttpClient,
  endpointName,
  initShardCluster,
  startShardNode,
} from '../src/index.js'

describe('a sharded node over HTTP', function () {
  this.timeout(60_000)
  let dir: string
  let cluster: ShardCluster
  let nodes: RunningShardNode[] = []
  const http = (i: number): string => {
    const n = cluster.config.nodes[i]
    return `http://${n?.http.host}:${n?.http.port}`
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-shard-node-'))
    cluster = await initShardCluster({ groups: 2, nodes: 3, dir })
    nodes = await Promise.all(cluster.config.nodes.map((n) => startShardNode(cluster, n.id)))
    const addresses: Record<string, string> = {}
    for (const n of cluster.config.nodes) addresses[n.id] = `${n.http.host}:${n.http.port}`
    const rpc = new HttpShardRpc({ addresses, secret: cluster.config.secret })
    const admin = new CtrlerClient({
      rpc,
      servers: cluster.shard.ctrler.map((n) => endpointName('ctrler', n)),
      clock: new SystemClock(),
      name: 'test',
    })
    const group = (gid: number): string[] =>
      cluster.config.nodes.map((n) => endpointName(`g${gid}`, n.id))
    await admin.join({ 100: group(100), 101: group(101) })
    admin.close()
    rpc.close()
  })
  after(async () => {
    for (const n of nodes) await n.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('any node answers for every key (it forwards to the shard’s group)', async () => {
    // 'a' (97) is shard 7, 'd' (100) shard 0: on different groups after the join.
    for (const [i, key] of [
      [0, 'apple'],
      [2, 'date'],
    ] as const) {
      const put = await fetch(`${http(i)}/v1/kv/${key}`, { method: 'PUT', body: `v-${key}` })
      expect(put.status).to.equal(204)
      for (const j of [0, 1, 2]) {
        const got = await fetch(`${http(j)}/v1/kv/${key}`)
        expect(await got.text()).to.equal(`v-${key}`)
      }
    }
    expect((await fetch(`${http(1)}/v1/kv/nothing-here`)).status).to.equal(404)
  })

  it('an append retried with the same Raftkit-Client-Id and seq runs once', async () => {
    const opened = await fetch(`${http(1)}/v1/sessions`, { method: 'POST' })
    expect(opened.status).to.equal(201)
    const { clientId } = (await opened.json()) as { clientId: string }
    const headers = { 'raftkit-client-id': clientId, 'raftkit-request-seq': '1' }
    for (const i of [0, 1, 2]) {
      const r = await fetch(`${http(i)}/v1/kv/bees/append`, { method: 'POST', headers, body: 'x' })
      expect(r.status).to.equal(204)
    }
    expect(await (await fetch(`${http(0)}/v1/kv/bees`)).text()).to.equal('x')
  })

  it('a write under a client id no node issued is refused with 410 and not run', async () => {
    for (const id of ['test-client-1', 's-zzzzzzzzzz.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA']) {
      const headers = { 'raftkit-client-id': id, 'raftkit-request-seq': '1' }
      const r = await fetch(`${http(0)}/v1/kv/forged/append`, {
        method: 'POST',
        headers,
        body: 'x',
      })
      expect(r.status).to.equal(410)
      expect(((await r.json()) as { error: string }).error).to.equal('SESSION_EXPIRED')
    }
    expect((await fetch(`${http(0)}/v1/kv/forged`)).status).to.equal(404)
  })

  it('refuses bad requests with kv-service’s codes and runs nothing', async () => {
    const cases: Array<[string, RequestInit, number, string]> = [
      ['/v1/kv/', { method: 'PUT', body: 'v' }, 400, 'EMPTY_KEY'],
      ['/v1/kv/k1', { method: 'PUT', body: '' }, 400, 'EMPTY_VALUE'],
      ['/v1/kv/k1', { method: 'DELETE' }, 405, 'METHOD_NOT_ALLOWED'],
      ['/v1/kv/%E0%A4%A', { method: 'GET' }, 400, 'BAD_KEY'],
      ['/v1/kv/' + 'k'.repeat(2000), { method: 'GET' }, 413, 'KEY_TOO_LARGE'],
      [
        '/v1/kv/k1',
        { method: 'PUT', body: 'v', headers: { 'raftkit-request-seq': 'zero' } },
        400,
        'BAD_SESSION',
      ],
      ['/v1/kv/k1', { method: 'PUT', body: Buffer.from([0xff, 0xfe]) }, 400, 'BAD_VALUE'],
      ['/v1/shard/rpc/g100@n1', { method: 'POST', body: 'x' }, 401, 'UNAUTHORIZED'],
      ['/v1/nowhere', { method: 'GET' }, 404, 'NOT_FOUND'],
    ]
    for (const [path, init, status, code] of cases) {
      const r = await fetch(`${http(0)}${path}`, init)
      expect(r.status, path).to.equal(status)
      expect(((await r.json()) as { error: string }).error, path).to.equal(code)
    }
    const big = await fetch(`${http(0)}/v1/kv/k1`, {
      method: 'PUT',
      body: 'v'.repeat(cluster.config.limits.maxValueBytes + 1),
    })
    expect(big.status).to.equal(413)
    expect((await fetch(`${http(0)}/v1/kv/k1`)).status).to.equal(404)
  })

  it('status and metrics report every hosted group', async () => {
    const s = (await (await fetch(`${http(0)}/v1/status`)).json()) as ShardNodeStatus
    expect(Object.keys(s.groups).sort()).to.deep.equal(['ctrler', 'g100', 'g101'])
    const served = [
      ...(s.groups.g100?.shards?.serving ?? []),
      ...(s.groups.g101?.shards?.serving ?? []),
    ]
    expect(served.sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const text = await (await fetch(`${http(0)}/metrics`)).text()
    expect(text).to.match(/raftkit_shard_group_term\{group="g101"\} \d+/)
    expect(text).to.match(/raftkit_shard_group_shards\{group="g100",status="serving"\} 5/)
  })

  it('POST /v1/admin/faults blocks peers with the cluster secret only, and heals', async () => {
    const post = (body: unknown, secret?: string): Promise<Response> =>
      fetch(`${http(0)}/v1/admin/faults`, {
        method: 'POST',
        headers: secret === undefined ? {} : { 'raftkit-secret': secret },
        body: JSON.stringify(body),
      })
    expect((await post({ block: ['n2'] })).status).to.equal(401)
    expect((await post({ block: ['n2'] }, 'wrong')).status).to.equal(401)
    expect((await post({ block: ['n9'] }, cluster.config.secret)).status).to.equal(400)
    expect((await post({ block: ['n1'] }, cluster.config.secret)).status).to.equal(400)
    const blocked = await post({ block: ['n2', 'n3'] }, cluster.config.secret)
    expect(blocked.status).to.equal(200)
    expect(
      ((await blocked.json()) as { faults: { blocked: string[] } }).faults.blocked,
    ).to.deep.equal(['n2', 'n3'])
    const healed = await post({ heal: true }, cluster.config.secret)
    expect(
      ((await healed.json()) as { faults: { blocked: string[] } }).faults.blocked,
    ).to.deep.equal([])
  })

  it('ShardKvHttpClient works knowing only one node', async () => {
    const n = cluster.config.nodes[1]
    const rpc = new HttpKvRpc({ endpoints: { n2: `${n?.http.host}:${n?.http.port}` } })
    const client = new ShardKvHttpClient({ rpc, deadlineMs: 10_000 })
    try {
      await client.put('cherry', 'red')
      await client.append('cherry', '!')
      await client.append('zebra', 'z')
      expect(await client.get('cherry')).to.equal('red!')
      expect(await client.get('zebra')).to.equal('z')
      expect(client.cachedConfig.num).to.be.greaterThan(0)
    } finally {
      client.close()
      rpc.close()
    }
  })
})
