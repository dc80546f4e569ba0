/**
 * HttpKvRpc against scripted node:http servers on 127.0.0.1 (ports chosen at run time): the
 * request each operation sends, the status → KvReply mapping, redirects, timeouts (and that a
 * late answer is never taken for the next request's), concurrency, close(). And KvClient's
 * close() interrupting an attempt under way.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { expect } from 'chai'
import { StoppedError, SystemClock, TimeoutError } from '@raftkit/raft-core'
import type { KvReply, KvRequest, KvRpcNetwork } from '../src/index.js'
import { HttpKvRpc, KvClient } from '../src/index.js'
import { rejection } from './checks.js'

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: string
}

type Handler = (seen: Seen, res: ServerResponse) => void

/** A node:http server whose every answer `handler` writes; records the requests it got. */
class ScriptedServer {
  readonly seen: Seen[] = []
  readonly sockets = new Set<Socket>()
  closedSockets = 0
  private readonly server: Server
  constructor(public handler: Handler) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.once('end', () => {
        const seen: Seen = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }
        this.seen.push(seen)
        this.handler(seen, res)
      })
    })
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s)
      s.once('close', () => {
        this.sockets.delete(s)
        this.closedSockets++
      })
    })
  }
  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise((r) => this.server.close(r))
  }
}

function json(res: ServerResponse, status: number, o: unknown): void {
  const body = JSON.stringify(o)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length })
  res.end(body)
}

const put = (key: string, value: string, seq = 1): KvRequest => ({
  type: 'put',
  key,
  value,
  clientId: 'c1',
  seq,
})

describe('HttpKvRpc (scripted servers)', function () {
  this.timeout(10_000)
  const servers: ScriptedServer[] = []
  const rpcs: HttpKvRpc[] = []
  async function server(handler: Handler): Promise<[ScriptedServer, string]> {
    const s = new ScriptedServer(handler)
    servers.push(s)
    return [s, await s.start()]
  }
  function rpc(endpoints: Record<string, string>, maxRedirects?: number): HttpKvRpc {
    const r = new HttpKvRpc({
      endpoints,
      ...(maxRedirects === undefined ? {} : { maxRedirects }),
    })
    rpcs.push(r)
    return r
  }
  afterEach(async () => {
    for (const r of rpcs.splice(0)) r.close()
    await Promise.all(servers.splice(0).map((s) => s.stop()))
  })

  it('sends each operation as its route, with the session headers on writes', async () => {
    const [s, address] = await server((seen, res) => {
      if (seen.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        res.end('välue')
      } else if (seen.url === '/v1/sessions') json(res, 201, { clientId: 's-from-server' })
      else res.writeHead(204).end()
    })
    const r = rpc({ n1: address })
    expect(await r.call('me', 'n1', { type: 'open', clientId: 'c1' }, 1000)).to.deep.equal({
      ok: true,
      value: 's-from-server', // the server issues the id
    })
    expect(s.seen.splice(0).map((x) => [x.method, x.url])).to.deep.equal([['POST', '/v1/sessions']])
    expect(await r.call('me', 'n1', put('a b/ü', 'v1', 7), 1000)).to.deep.equal({
      ok: true,
      value: '',
    })
    const append: KvRequest = { type: 'append', key: 'k', value: 'x', clientId: 'c1', seq: 8 }
    expect(await r.call('me', 'n1', append, 1000)).to.deep.equal({ ok: true, value: '' })
    expect(await r.call('me', 'n1', { type: 'get', key: 'k' }, 1000)).to.deep.equal({
      ok: true,
      value: 'välue',
    })
    expect(s.seen.map((x) => [x.method, x.url, x.body])).to.deep.equal([
      ['PUT', '/v1/kv/a%20b%2F%C3%BC', 'v1'],
      ['POST', '/v1/kv/k/append', 'x'],
      ['GET', '/v1/kv/k', ''],
    ])
    expect(s.seen[0]!.headers['raftkit-client-id']).to.equal('c1')
    expect(s.seen[0]!.headers['raftkit-request-seq']).to.equal('7')
    expect(s.seen[0]!.headers['content-length']).to.equal('2')
    expect(s.seen[2]!.headers['raftkit-client-id']).to.equal(undefined)
    expect(s.sockets.size).to.equal(1) // one kept-alive connection for all of them
  })

  it('maps statuses to replies', async () => {
    const answers: Array<[number, unknown]> = []
    const [, address] = await server((_seen, res) => {
      const [status, body] = answers.shift()!
      json(res, status, body)
    })
    const r = rpc({ n1: address })
    const cases: Array<[number, unknown, KvRequest, KvReply]> = [
      [404, { error: 'KEY_NOT_FOUND' }, { type: 'get', key: 'k' }, { ok: true, value: '' }],
      [
        404,
        { error: 'NOT_FOUND', message: 'no route' },
        { type: 'get', key: 'k' },
        { ok: false, error: 'BAD_REQUEST', message: 'HTTP 404: no route' },
      ],
      [
        413,
        { error: 'VALUE_TOO_LARGE', message: 'value too large' },
        put('k', 'v'),
        { ok: false, error: 'TOO_LARGE', message: 'value too large' },
      ],
      [
        413,
        { error: 'KEY_TOO_LARGE', message: 'key too large' },
        put('k', 'v'),
        { ok: false, error: 'BAD_REQUEST', message: 'HTTP 413: key too large' },
      ],
      [410, { error: 'SESSION_EXPIRED' }, put('k', 'v'), { ok: false, error: 'SESSION_EXPIRED' }],
      [
        201,
        { clientId: 's-issued' },
        { type: 'open', clientId: 'c' },
        { ok: true, value: 's-issued' },
      ],
      [201, { nothing: 1 }, { type: 'open', clientId: 'c' }, { ok: false, error: 'TIMEOUT' }],
      [503, { error: 'STOPPED' }, put('k', 'v'), { ok: false, error: 'STOPPED' }],
      [
        503,
        { error: 'NO_LEADER' },
        { type: 'get', key: 'k' },
        { ok: false, error: 'WRONG_LEADER', leaderHint: null },
      ],
      [504, { error: 'TIMEOUT' }, put('k', 'v'), { ok: false, error: 'TIMEOUT' }],
      [200, 'a get answer to a put', put('k', 'v'), { ok: false, error: 'TIMEOUT' }],
    ]
    for (const [status, body, request, reply] of cases) {
      answers.push([status, body])
      expect(await r.call('me', 'n1', request, 1000), `${status}`).to.deep.equal(reply)
    }
    const doc = { role: 'leader', term: 3 }
    answers.push([200, doc])
    expect(await r.getJson('n1', '/v1/status', 1000)).to.deep.equal(doc)
    answers.push([500, { error: 'INTERNAL' }])
    expect((await rejection(r.getJson('n1', '/v1/status', 1000))).message).to.match(/n1: HTTP 500/)
  })

  it('reassembles a body that arrives in several chunks (a character split between them)', async () => {
    const text = 'ä'.repeat(50_000)
    const bytes = Buffer.from(text)
    const [, address] = await server((_seen, res) => {
      res.writeHead(200, { 'content-length': bytes.length })
      res.write(bytes.subarray(0, 3)) // splits the second 'ä'
      setTimeout(() => res.end(bytes.subarray(3)), 20)
    })
    const reply = await rpc({ n1: address }).call('me', 'n1', { type: 'get', key: 'k' }, 2000)
    expect(reply).to.deep.equal({ ok: true, value: text })
  })

  it('a 307 to a known server is WRONG_LEADER with its name; elsewhere it is followed', async () => {
    const [leader, leaderAddress] = await server((_seen, res) => res.writeHead(204).end())
    const [, followerAddress] = await server((seen, res) =>
      res.writeHead(307, { location: `http://${leaderAddress}${seen.url}` }).end(),
    )
    const known = rpc({ n1: followerAddress, n2: leaderAddress })
    expect(await known.call('me', 'n1', put('k', 'v'), 1000)).to.deep.equal({
      ok: false,
      error: 'WRONG_LEADER',
      leaderHint: 'n2',
    })
    expect(leader.seen).to.deep.equal([])
    const unknown = rpc({ n1: followerAddress })
    expect(await unknown.call('me', 'n1', put('k', 'v', 4), 1000)).to.deep.equal({
      ok: true,
      value: '',
    })
    expect(leader.seen.map((x) => [x.method, x.url, x.body])).to.deep.equal([
      ['PUT', '/v1/kv/k', 'v'],
    ])
    expect(leader.seen[0]!.headers['raftkit-request-seq']).to.equal('4')
  })

  it('stops after maxRedirects hops, and a 307 without Location is WRONG_LEADER', async () => {
    const [loop, loopAddress] = await server((seen, res) =>
      res.writeHead(307, { location: `http://${loopAddress}${seen.url}` }).end(),
    )
    const [, entryAddress] = await server((seen, res) =>
      res.writeHead(307, { location: `http://${loopAddress}${seen.url}` }).end(),
    )
    const wrong = { ok: false, error: 'WRONG_LEADER', leaderHint: null }
    expect(await rpc({ n1: entryAddress }, 2).call('me', 'n1', put('k', 'v'), 1000)).to.deep.equal(
      wrong,
    )
    expect(loop.seen.length).to.equal(2)
    const [, bare] = await server((_seen, res) => res.writeHead(307).end())
    expect(await rpc({ n1: bare }).call('me', 'n1', put('k', 'v'), 1000)).to.deep.equal(wrong)
  })

  it('no answer in time is a TimeoutError; the late answer is never taken for the next one', async () => {
    let n = 0
    const [s, address] = await server((_seen, res) => {
      const mine = ++n
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end(`answer ${mine}`)
      }
      if (mine === 1) setTimeout(answer, 300)
      else answer()
    })
    const r = rpc({ n1: address })
    const e = await rejection(r.call('me', 'n1', { type: 'get', key: 'k' }, 100))
    expect(e).to.be.instanceOf(TimeoutError)
    expect(e.message).to.match(/within 100 ms/)
    const next = await r.call('me', 'n1', { type: 'get', key: 'k' }, 2000)
    expect(next).to.deep.equal({ ok: true, value: 'answer 2' })
    // The timed-out request's connection was dropped.
    for (let i = 0; i < 1000 && s.closedSockets === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10))
    expect(s.closedSockets).to.equal(1)
    await new Promise((resolve) => setTimeout(resolve, 350)) // the late answer would come now
    expect(await r.call('me', 'n1', { type: 'get', key: 'k' }, 2000)).to.deep.equal({
      ok: true,
      value: 'answer 3',
    })
  })

  it('an unreachable server and an unknown name are TimeoutErrors', async () => {
    const r = rpc({ gone: '127.0.0.1:1' })
    expect(await rejection(r.call('me', 'gone', put('k', 'v'), 1000))).to.be.instanceOf(
      TimeoutError,
    )
    expect(await rejection(r.call('me', 'nobody', put('k', 'v'), 1000))).to.be.instanceOf(
      TimeoutError,
    )
  })

  it('a header value that cannot be sent is an error of its own (not a lost request)', async () => {
    const [s, address] = await server((_seen, res) => res.writeHead(204).end())
    const bad: KvRequest = { type: 'put', key: 'k', value: 'v', clientId: 'c\n1', seq: 1 }
    const e = await rejection(rpc({ n1: address }).call('me', 'n1', bad, 1000))
    expect(e).to.not.be.instanceOf(TimeoutError)
    expect(s.seen).to.deep.equal([])
  })

  it('runs concurrent calls on separate connections', async () => {
    const pending: ServerResponse[] = []
    const [s, address] = await server((_seen, res) => {
      pending.push(res)
      if (pending.length === 4) for (const p of pending.splice(0)) p.writeHead(204).end()
    })
    const r = rpc({ n1: address })
    const replies = await Promise.all(
      [1, 2, 3, 4].map((i) => r.call('me', 'n1', put(`k${i}`, 'v', i), 5000)),
    )
    expect(replies).to.deep.equal(Array(4).fill({ ok: true, value: '' }))
    expect(s.sockets.size).to.equal(4)
  })

  it('beyond 16 concurrent calls requests wait for a connection; one that times out waiting is never sent', async () => {
    const held: ServerResponse[] = []
    const [s, address] = await server((_seen, res) => {
      if (held.length < 16) held.push(res)
      else res.writeHead(204).end()
    })
    const r = rpc({ n1: address })
    const first = [...Array(16).keys()].map((i) => r.call('me', 'n1', put(`k${i}`, 'v'), 5000))
    for (let i = 0; i < 200 && held.length < 16; i++)
      await new Promise((res) => setTimeout(res, 10))
    expect(held.length).to.equal(16)
    // Every connection is busy: this one waits in a queue, and times out there.
    const waiting = await rejection(r.call('me', 'n1', put('late', 'v'), 100))
    expect(waiting).to.be.instanceOf(TimeoutError)
    for (const h of held) h.writeHead(204).end()
    expect(await Promise.all(first)).to.deep.equal(Array(16).fill({ ok: true, value: '' }))
    expect(await r.call('me', 'n1', put('after', 'v'), 1000)).to.deep.equal({
      ok: true,
      value: '',
    })
    expect(s.seen.map((x) => x.url)).to.not.include('/v1/kv/late')
    expect(s.seen.map((x) => x.url)).to.include('/v1/kv/after')
    expect(s.sockets.size).to.equal(16) // no connection was dropped for it
  })

  it('close() rejects calls under way with TimeoutError, closes every connection, refuses new calls', async () => {
    let got = 0
    const [s, address] = await server(() => got++) // never answers
    const r = rpc({ n1: address })
    const under = r.call('me', 'n1', put('k', 'v'), 5000)
    for (let i = 0; i < 1000 && got === 0; i++) await new Promise((res) => setTimeout(res, 10))
    expect(got).to.equal(1)
    r.close()
    expect(await rejection(under)).to.be.instanceOf(TimeoutError)
    for (let i = 0; i < 1000 && s.sockets.size > 0; i++)
      await new Promise((res) => setTimeout(res, 10))
    expect(s.sockets.size).to.equal(0)
    const after = await rejection(r.call('me', 'n1', put('k', 'v'), 1000))
    expect(after).to.be.instanceOf(TimeoutError)
    expect(after.message).to.match(/closed/)
  })
})

describe('KvClient.close() during an attempt', () => {
  it('rejects the operation under way with StoppedError at once', async () => {
    let calls = 0
    const hanging: KvRpcNetwork = {
      call: () => {
        calls++
        return new Promise<KvReply>(() => undefined) // never answers
      },
    }
    const client = new KvClient({ servers: ['n1'], rpc: hanging, clock: new SystemClock() })
    const op = client.get('k').then(
      () => null,
      (e: unknown) => e,
    )
    await new Promise((resolve) => setImmediate(resolve))
    expect(calls).to.equal(1)
    client.close()
    expect(await op).to.be.instanceOf(StoppedError)
  })
})
