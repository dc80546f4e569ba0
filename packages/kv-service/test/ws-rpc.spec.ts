/**
 * The WebSocket RPC end to end (GET /v1/rpc on a node's HTTP port, WsKvRpc, KvClient): the
 * semantics the HTTP API gives — server-issued sessions, at-most-once writes, conflicts, an
 * unknown session refused unexecuted, values over the limit refused, followers naming the
 * leader — over one connection per server; HTTPS nodes serve it as wss:// with the same
 * certificate; requests are counted in /metrics.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { SystemClock } from '@raftkit/raft-core'
import { KvClient } from '../src/client.js'
import { BadRequestError, TlsError } from '../src/errors.js'
import { WsKvRpc } from '../src/http/ws-client-rpc.js'
import type { KvReply, KvRequest } from '../src/rpc.js'
import { HttpTestCluster, call } from './http-helpers.js'
import { SingleNode } from './single-node.js'
import { rejection } from './checks.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tls')

describe('WebSocket RPC (/v1/rpc) on a node', function () {
  this.timeout(30_000)
  let node: SingleNode
  let rpc: WsKvRpc
  before(async () => {
    node = await SingleNode.start()
    rpc = new WsKvRpc({ endpoints: { n1: node.http.address } })
  })
  after(async () => {
    rpc.close()
    await node.stop()
  })
  const send = (r: KvRequest): Promise<KvReply> => rpc.call('me', 'n1', r, 5000)
  async function session(): Promise<string> {
    const r = await send({ type: 'open', clientId: 'asked-for' })
    if (!r.ok) throw new Error(`open: ${r.error}`)
    return r.value
  }

  it('KvClient over WsKvRpc: the server issues the session; put, append, get', async () => {
    const client = new KvClient({ servers: ['n1'], rpc, clock: new SystemClock() })
    try {
      await client.put('a', 'hello')
      await client.append('a', ', wörld')
      expect(await client.get('a')).to.equal('hello, wörld')
      expect(await client.get('missing')).to.equal('')
      expect(client.clientId).to.match(/^s-[A-Za-z0-9_-]{22}$/)
      expect(node.kv.stateMachine.session(client.clientId)?.seq).to.equal(2)
    } finally {
      client.close()
    }
  })

  it('a write retried under the same (client id, seq) runs once; a different one is a conflict', async () => {
    const clientId = await session()
    const append = { type: 'append', key: 'once', value: 'x', clientId, seq: 1 } as const
    expect(await send(append)).to.deep.equal({ ok: true, value: '' })
    expect(await send(append)).to.deep.equal({ ok: true, value: '' })
    expect(node.kv.stateMachine.get('once')).to.equal('x')
    const conflict = await send({ ...append, value: 'y' })
    expect(conflict).to.deep.include({ ok: false, error: 'CONFLICT' })
    expect(node.kv.stateMachine.get('once')).to.equal('x')
  })

  it('a write of a session the cluster does not know is refused and not run', async () => {
    const r = await send({ type: 'put', key: 'ghost', value: 'v', clientId: 's-never', seq: 1 })
    expect(r).to.deep.equal({ ok: false, error: 'SESSION_EXPIRED' })
    expect(node.kv.stateMachine.get('ghost')).to.equal('')
  })

  it('a value over maxValueBytes is TOO_LARGE (BadRequestError for the clerk); bad keys and sessions are BAD_REQUEST', async () => {
    const clientId = await session()
    // Fits the largest frame (the key's and client id's room), refused by the server.
    const over = await send({ type: 'put', key: 'k', value: 'v'.repeat(1025), clientId, seq: 1 })
    expect(over).to.deep.include({ ok: false, error: 'TOO_LARGE' })
    expect((over as { message: string }).message).to.match(/limits\.maxValueBytes/)
    // Larger than any frame the node accepts: refused before it is sent.
    expect(
      await send({ type: 'put', key: 'k', value: 'v'.repeat(5000), clientId, seq: 1 }),
    ).to.deep.include({ ok: false, error: 'TOO_LARGE' })
    expect(await send({ type: 'get', key: 'k'.repeat(65) })).to.deep.include({
      ok: false,
      error: 'BAD_REQUEST',
    })
    expect(await send({ type: 'get', key: '' })).to.deep.include({
      ok: false,
      error: 'BAD_REQUEST',
    })
    expect(
      await send({ type: 'put', key: 'k', value: 'v', clientId: 'http-x', seq: 1 }),
    ).to.deep.include({ ok: false, error: 'BAD_REQUEST' })
    expect(node.kv.stateMachine.get('k')).to.equal('')
    const client = new KvClient({ servers: ['n1'], rpc, clock: new SystemClock() })
    try {
      expect(await rejection(client.put('k', 'v'.repeat(1025)))).to.be.instanceOf(BadRequestError)
      // The clerk goes on with its next write.
      await client.put('c', '1')
      expect(await client.get('c')).to.equal('1')
    } finally {
      client.close()
    }
  })

  it('counts its requests in /metrics by op and status', async () => {
    await send({ type: 'get', key: 'counted' })
    const text = (await call(node.url('/metrics'))).body
    expect(text).to.match(/raftkit_http_requests_total\{op="rpc-get",status="200"\} [1-9]/)
    expect(text).to.match(/raftkit_http_requests_total\{op="rpc-session",status="201"\} [1-9]/)
    expect(text).to.match(/raftkit_http_requests_total\{op="rpc-put",status="413"\} [1-9]/)
  })
})

describe('WebSocket RPC across 3 in-process nodes', function () {
  this.timeout(60_000)
  let c: HttpTestCluster
  before(async () => {
    c = new HttpTestCluster()
    await c.start()
  })
  after(async () => {
    await c.stop()
  })

  it('a follower answers WRONG_LEADER naming the leader; KvClient follows it and remembers it', async () => {
    const leader = await c.leader()
    const follower = c.follower(leader)
    const rpc = new WsKvRpc({ endpoints: c.addresses })
    const client = new KvClient({
      servers: [follower, leader],
      rpc,
      clock: new SystemClock(),
      requestTimeoutMs: 2000,
      deadlineMs: 20_000,
    })
    try {
      expect(await rpc.call('me', follower, { type: 'get', key: 'k' }, 2000)).to.deep.equal({
        ok: false,
        error: 'WRONG_LEADER',
        leaderHint: leader,
      })
      await client.put('clerk', 'a')
      await client.append('clerk', 'b')
      expect(await client.get('clerk')).to.equal('ab')
      expect(client.knownLeader).to.equal(leader)
    } finally {
      client.close()
      rpc.close()
    }
  })
})

describe('WebSocket RPC over TLS', function () {
  this.timeout(30_000)
  it('an HTTPS node serves wss:// with its certificate; a client that does not trust it gets TlsError', async () => {
    const node = await SingleNode.start({
      http: {
        tls: {
          cert: readFileSync(join(FIXTURES, 'n1.pem')),
          key: readFileSync(join(FIXTURES, 'n1-key.pem')),
        },
      },
    })
    const trusted = new WsKvRpc({
      endpoints: { n1: node.http.address },
      tls: { ca: readFileSync(join(FIXTURES, 'ca.pem')) },
    })
    const untrusted = new WsKvRpc({
      endpoints: { n1: node.http.address },
      tls: { ca: readFileSync(join(FIXTURES, 'other-ca.pem')) },
    })
    const plain = new WsKvRpc({ endpoints: { n1: node.http.address } })
    const client = new KvClient({ servers: ['n1'], rpc: trusted, clock: new SystemClock() })
    try {
      await client.put('secure', 'yes')
      expect(await client.get('secure')).to.equal('yes')
      expect(
        await rejection(untrusted.call('me', 'n1', { type: 'get', key: 'secure' }, 5000)),
      ).to.be.instanceOf(TlsError)
      // ws:// to an HTTPS port: no answer (the server drops what is not TLS).
      expect(
        await rejection(plain.call('me', 'n1', { type: 'get', key: 'secure' }, 2000)),
      ).to.not.be.instanceOf(TlsError)
    } finally {
      client.close()
      trusted.close()
      untrusted.close()
      plain.close()
      await node.stop()
    }
  })
})
