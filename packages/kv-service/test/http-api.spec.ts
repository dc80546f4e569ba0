import { expect } from 'chai'
import { SystemClock, TimeoutError } from '@raftkit/raft-core'
import { KvClient } from '../src/client.js'
import { HttpKvRpc } from '../src/http/client-rpc.js'
import { HttpTestCluster, TEST_SECRET, call } from './http-helpers.js'

describe('HTTP API (3 in-process nodes, 127.0.0.1)', function () {
  this.timeout(60_000)
  let c: HttpTestCluster
  let leader: string
  let follower: string

  before(async () => {
    c = new HttpTestCluster()
    await c.start()
    leader = await c.leader()
    follower = c.follower(leader)
  })
  after(async () => {
    await c.stop()
  })

  const kv = (id: string, key: string, suffix = ''): string =>
    c.url(id, `/v1/kv/${encodeURIComponent(key)}${suffix}`)

  it('PUT then GET returns the value; append extends it; every node applies it', async () => {
    expect((await call(kv(leader, 'a'), { method: 'PUT', body: 'hello' })).status).to.equal(204)
    expect(
      (await call(kv(leader, 'a', '/append'), { method: 'POST', body: ', world' })).status,
    ).to.equal(204)
    const got = await call(kv(leader, 'a'))
    expect(got.status).to.equal(200)
    expect(got.body).to.equal('hello, world')
    expect(got.headers['content-type']).to.match(/^text\/plain/)
    const deadline = Date.now() + 5000
    while (
      Date.now() < deadline &&
      c.ids.some((id) => c.kvs.get(id)!.stateMachine.get('a') !== 'hello, world')
    )
      await new Promise((r) => setTimeout(r, 20))
    for (const id of c.ids) expect(c.kvs.get(id)!.stateMachine.get('a')).to.equal('hello, world')
  })

  it('keys are percent-decoded (slashes and UTF-8 allowed)', async () => {
    const key = 'dir/ünï côdé'
    expect((await call(kv(leader, key), { method: 'PUT', body: 'v€' })).status).to.equal(204)
    expect(c.kvs.get(leader)!.stateMachine.get(key)).to.equal('v€')
    const got = await call(kv(leader, key))
    expect(got.body).to.equal('v€')
  })

  it('GET of a missing key is 404 with a JSON body', async () => {
    const r = await call(kv(leader, 'never-written'))
    expect(r.status).to.equal(404)
    expect(JSON.parse(r.body)).to.include({ error: 'KEY_NOT_FOUND' })
  })

  it('decodes each body afresh: a valid UTF-8 value after an invalid one is stored', async () => {
    const bad = await call(kv(leader, 'utf8'), { method: 'PUT', body: Buffer.from([0xe2, 0x82]) })
    expect(bad.status).to.equal(400)
    expect((await call(kv(leader, 'utf8'), { method: 'PUT', body: 'h€llo' })).status).to.equal(204)
    expect((await call(kv(leader, 'utf8'))).body).to.equal('h€llo')
  })

  it('refuses bad requests with clear answers and changes nothing', async () => {
    const before = c.kvs.get(leader)!.appliedIndex
    const keys = c.kvs.get(leader)!.stateMachine.keyCount
    const check = async (
      url: string,
      init: Parameters<typeof call>[1],
      status: number,
      error: string,
      message: RegExp,
    ): Promise<void> => {
      const r = await call(url, init)
      expect(r.status, `${init?.method ?? 'GET'} ${url}`).to.equal(status)
      const body = JSON.parse(r.body)
      expect(body.error).to.equal(error)
      expect(body.message).to.match(message)
    }
    await check(c.url(leader, '/v1/kv/'), { method: 'PUT', body: 'x' }, 400, 'EMPTY_KEY', /empty/)
    await check(kv(leader, 'k'), { method: 'PUT', body: '' }, 400, 'EMPTY_VALUE', /empty/)
    await check(kv(leader, 'k', '/append'), { method: 'POST' }, 400, 'EMPTY_VALUE', /empty/)
    await check(
      kv(leader, 'x'.repeat(65)),
      { method: 'PUT', body: 'v' },
      413,
      'KEY_TOO_LARGE',
      /maxKeyBytes/,
    )
    await check(
      kv(leader, 'k'),
      { method: 'PUT', body: 'v'.repeat(1025) },
      413,
      'VALUE_TOO_LARGE',
      /maxValueBytes\) is 1024/,
    )
    await check(c.url(leader, '/v1/kv/%E0%A4%A'), {}, 400, 'BAD_KEY', /percent/)
    await check(
      kv(leader, 'k'),
      { method: 'PUT', body: Buffer.from([0xff, 0xfe]) },
      400,
      'BAD_VALUE',
      /UTF-8/,
    )
    // A body cut inside a character is refused too, and the next request decodes afresh.
    await check(
      kv(leader, 'k'),
      { method: 'PUT', body: Buffer.from([0x61, 0xe2, 0x82]) },
      400,
      'BAD_VALUE',
      /UTF-8/,
    )
    await check(kv(leader, 'k'), { method: 'DELETE' }, 405, 'METHOD_NOT_ALLOWED', /GET or PUT/)
    await check(
      kv(leader, 'k', '/append'),
      { method: 'PUT', body: 'v' },
      405,
      'METHOD_NOT_ALLOWED',
      /POST/,
    )
    await check(c.url(leader, '/v1/status'), { method: 'POST' }, 405, 'METHOD_NOT_ALLOWED', /GET/)
    await check(c.url(leader, '/nope'), {}, 404, 'NOT_FOUND', /no such path/)
    await check(c.url(leader, '/v1/kvx'), {}, 404, 'NOT_FOUND', /no such path/)
    await check(
      kv(leader, 'k'),
      { method: 'PUT', body: 'v', headers: { 'raftkit-client-id': 'c1' } },
      400,
      'BAD_SESSION',
      /together/,
    )
    await check(
      kv(leader, 'k'),
      {
        method: 'PUT',
        body: 'v',
        headers: { 'raftkit-client-id': 'c1', 'raftkit-request-seq': '0' },
      },
      400,
      'BAD_SESSION',
      /positive integer/,
    )
    const r405 = await call(kv(leader, 'k'), { method: 'DELETE' })
    expect(r405.headers.allow).to.equal('GET, PUT')
    // A value declared larger than the limit is refused from its Content-Length.
    const big = await call(kv(leader, 'k'), { method: 'PUT', body: 'v'.repeat(100_000) })
    expect(big.status).to.equal(413)
    await new Promise((r) => setTimeout(r, 200))
    expect(c.kvs.get(leader)!.appliedIndex).to.equal(before)
    expect(c.kvs.get(leader)!.stateMachine.keyCount).to.equal(keys)
    expect(c.kvs.get(leader)!.stateMachine.get('k')).to.equal('')
  })

  it('a follower answers 307 to the leader (Location and Raftkit-Leader), for reads and writes', async () => {
    for (const [method, suffix] of [
      ['GET', ''],
      ['PUT', ''],
      ['POST', '/append'],
    ] as const) {
      const r = await call(kv(follower, 'r', suffix) + '?x=1', {
        method,
        ...(method === 'GET' ? {} : { body: 'v' }),
      })
      expect(r.status, method).to.equal(307)
      expect(r.headers.location).to.equal(kv(leader, 'r', suffix) + '?x=1')
      expect(r.headers['raftkit-leader']).to.equal(leader)
      expect(JSON.parse(r.body).error).to.equal('NOT_LEADER')
    }
    // Following the redirect works (the body is sent again, as 307 requires).
    const r = await call(kv(follower, 'r'), { method: 'PUT', body: 'via-redirect' })
    expect(
      (await call(r.headers.location!, { method: 'PUT', body: 'via-redirect' })).status,
    ).to.equal(204)
    expect((await call(kv(leader, 'r'))).body).to.equal('via-redirect')
  })

  it('at-most-once: retrying the same (client id, seq) does not append twice', async () => {
    const opened = await call(c.url(leader, '/v1/sessions'), { method: 'POST' })
    expect(opened.status).to.equal(201)
    const clientId = (JSON.parse(opened.body) as { clientId: string }).clientId
    const headers = (seq: number): Record<string, string> => ({
      'raftkit-client-id': clientId,
      'raftkit-request-seq': String(seq),
    })
    const append = (seq: number, body: string): ReturnType<typeof call> =>
      call(kv(leader, 'once', '/append'), { method: 'POST', body, headers: headers(seq) })
    expect((await append(1, 'x')).status).to.equal(204)
    expect((await append(1, 'x')).status).to.equal(204) // a retry: answered, not executed
    expect((await append(2, 'y')).status).to.equal(204)
    expect((await append(2, 'y')).status).to.equal(204)
    expect((await append(1, 'x')).status).to.equal(409) // an older seq: refused, not executed
    expect((await call(kv(leader, 'once'))).body).to.equal('xy')
    // Without the headers every request executes.
    await call(kv(leader, 'twice', '/append'), { method: 'POST', body: 'z' })
    await call(kv(leader, 'twice', '/append'), { method: 'POST', body: 'z' })
    expect((await call(kv(leader, 'twice'))).body).to.equal('zz')
  })

  it('a session that was never opened gets 410 SESSION_EXPIRED and nothing runs', async () => {
    const r = await call(kv(leader, 'orphan'), {
      method: 'PUT',
      body: 'v',
      headers: { 'raftkit-client-id': 'never-opened', 'raftkit-request-seq': '5' },
    })
    expect(r.status).to.equal(410)
    expect(JSON.parse(r.body).error).to.equal('SESSION_EXPIRED')
    expect(c.kvs.get(leader)!.stateMachine.get('orphan')).to.equal('')
  })

  it('GET /v1/status reports role, term, leader, indexes and per-peer match', async () => {
    const r = await call(c.url(leader, '/v1/status'))
    expect(r.status).to.equal(200)
    expect(r.headers['content-type']).to.match(/^application\/json/)
    const s = JSON.parse(r.body)
    expect(s).to.include({ id: leader, role: 'leader', leader, leaderHttp: c.addresses[leader] })
    expect(s.term).to.be.at.least(1)
    expect(s.commitIndex).to.be.at.least(1)
    expect(s.appliedIndex).to.be.at.most(s.commitIndex)
    expect(s.lastIndex).to.be.at.least(s.commitIndex)
    expect(s.firstIndex).to.equal(1)
    expect(Object.keys(s.peers).sort()).to.deep.equal(c.ids.filter((id) => id !== leader).sort())
    for (const p of Object.values<{ match: unknown }>(s.peers)) expect(p.match).to.be.a('number')
    expect(s.kv.keys).to.be.at.least(1)
    const f = JSON.parse((await call(c.url(follower, '/v1/status'))).body)
    expect(f).to.include({ id: follower, role: 'follower', leader })
    expect(f.peers).to.deep.equal({})
  })

  it('GET /metrics serves Prometheus text with Raft gauges and request counts', async () => {
    await call(kv(leader, 'm'), { method: 'PUT', body: 'v' })
    await call(kv(leader, 'm'))
    const r = await call(c.url(leader, '/metrics'))
    expect(r.status).to.equal(200)
    expect(r.headers['content-type']).to.match(/^text\/plain/)
    const term = c.rafts.get(leader)!.status().term
    expect(r.body).to.include(`raftkit_raft_term ${term}`)
    expect(r.body).to.include('raftkit_raft_role{role="leader"} 1')
    expect(r.body).to.include('raftkit_raft_is_leader 1')
    expect(r.body).to.match(/raftkit_raft_commit_index \d+/)
    expect(r.body).to.match(/raftkit_raft_peer_match_index\{peer="n\d"\} \d+/)
    expect(r.body).to.match(/raftkit_http_requests_total\{op="put",status="204"\} [1-9]/)
    expect(r.body).to.match(
      /raftkit_http_request_duration_seconds_bucket\{le="[^"]+",op="get",status="200"\}/,
    )
    // Registries are per server: another node reports its own role.
    const f = await call(c.url(follower, '/metrics'))
    expect(f.body).to.include('raftkit_raft_is_leader 0')
  })

  it('GET /metrics counts every answered request once, refusals included', async () => {
    const count = async (op: string, status: number): Promise<number> => {
      const body = (await call(c.url(leader, '/metrics'))).body
      const m = new RegExp(
        `raftkit_http_requests_total\\{op="${op}",status="${status}"\\} (\\d+)`,
      ).exec(body)
      return m ? Number(m[1]) : 0
    }
    const before = [await count('get', 404), await count('get', 405), await count('put', 204)]
    await call(kv(leader, 'metrics-none-1'))
    await call(kv(leader, 'metrics-none-2'))
    await call(kv(leader, 'metrics-x'), { method: 'DELETE' })
    await call(kv(leader, 'metrics-y'), { method: 'PUT', body: 'v' })
    const after = [await count('get', 404), await count('get', 405), await count('put', 204)]
    expect(after).to.deep.equal([before[0]! + 2, before[1]! + 1, before[2]! + 1])
  })

  it('POST /v1/admin/faults needs the secret, validates the plan, and drives the transport', async () => {
    const url = c.url(follower, '/v1/admin/faults')
    const faults = c.faults.get(follower)!
    const noSecret = await call(url, { method: 'POST', body: '{"heal":true}' })
    expect(noSecret.status).to.equal(401)
    const wrong = await call(url, {
      method: 'POST',
      body: '{"heal":true}',
      headers: { 'raftkit-secret': 'x'.repeat(TEST_SECRET.length) },
    })
    expect(wrong.status).to.equal(401)
    const post = (body: string): ReturnType<typeof call> =>
      call(url, { method: 'POST', body, headers: { 'raftkit-secret': TEST_SECRET } })
    for (const bad of [
      'nope',
      '[]',
      '{"drop":2}',
      '{"delayMs":[5,1]}',
      '{"block":"n1"}',
      '{"block":["zz"]}',
      '{"x":1}',
    ])
      expect((await post(bad)).status, bad).to.equal(400)
    expect(faults.calls).to.deep.equal([])
    const ok = await post(
      JSON.stringify({ heal: true, block: [leader], drop: 0.25, delayMs: [1, 5] }),
    )
    expect(ok.status).to.equal(200)
    expect(JSON.parse(ok.body).faults.blocked).to.deep.equal([leader])
    expect(faults.calls).to.deep.equal(['heal', `block ${leader}`, 'drop 0.25', 'delay 1-5'])
    expect((await post('{"unblock":true}')).status).to.equal(200)
    expect(faults.blocked).to.deep.equal([])
  })

  it('KvClient over HttpKvRpc: follows redirects, remembers the leader, at-most-once', async () => {
    const rpc = new HttpKvRpc({ endpoints: c.addresses })
    const client = new KvClient({
      servers: [follower, leader],
      rpc,
      clock: new SystemClock(),
      requestTimeoutMs: 2000,
      deadlineMs: 20_000,
    })
    try {
      await client.put('clerk', 'a')
      await client.append('clerk', 'b')
      expect(await client.get('clerk')).to.equal('ab')
      expect(await client.get('clerk-missing')).to.equal('')
      expect(client.knownLeader).to.equal(leader)
      expect(c.kvs.get(leader)!.stateMachine.session(client.clientId)?.seq).to.equal(2)
    } finally {
      client.close()
      rpc.close()
    }
  })

  it('HttpKvRpc: an unreachable server is a TimeoutError (no reply), a value over the limit is TOO_LARGE, other bad requests are BAD_REQUEST', async () => {
    const rpc = new HttpKvRpc({
      endpoints: { dead: '127.0.0.1:1', [leader]: c.addresses[leader]! },
    })
    try {
      const e = await rpc
        .call('me', 'dead', { type: 'get', key: 'k' }, 1000)
        .catch((err: unknown) => err)
      expect(e).to.be.instanceOf(TimeoutError)
      const r = await rpc.call(
        'me',
        leader,
        { type: 'put', key: 'k', value: 'v'.repeat(2000), clientId: 'c9', seq: 1 },
        2000,
      )
      expect(r).to.deep.include({ ok: false, error: 'TOO_LARGE' }) // as over WsKvRpc
      const k = await rpc.call(
        'me',
        leader,
        { type: 'put', key: 'k'.repeat(65), value: 'v', clientId: 'c9', seq: 2 },
        2000,
      )
      expect(k).to.deep.include({ ok: false, error: 'BAD_REQUEST' })
    } finally {
      rpc.close()
    }
  })
})

describe('HTTP API without a leader', function () {
  this.timeout(30_000)
  it('answers 503 with a JSON body while no leader is known, and 503 STOPPED once stopped', async () => {
    const c = new HttpTestCluster()
    await c.start()
    try {
      const leader = await c.leader()
      // Cut every node off: no leader can be known by an isolated follower.
      for (const id of c.ids) c.net.disconnect(id)
      const follower = c.follower(leader)
      const deadline = Date.now() + 10_000
      let r = await call(c.url(follower, '/v1/kv/k'))
      while (r.status !== 503 && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 50))
        r = await call(c.url(follower, '/v1/kv/k'))
      }
      expect(r.status).to.equal(503)
      expect(JSON.parse(r.body).error).to.equal('NO_LEADER')
      expect(r.headers['retry-after']).to.equal('1')
      await c.kvs.get(follower)!.kill()
      const stopped = await call(c.url(follower, '/v1/kv/k'))
      expect(stopped.status).to.equal(503)
    } finally {
      await c.stop()
    }
  })
})
