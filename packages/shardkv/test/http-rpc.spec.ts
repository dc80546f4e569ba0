/**
 * HttpShardRpc and its route (POST /v1/shard/rpc/<endpoint>): replies come back as sent; the
 * cluster secret is required; requests and replies over their bounds are refused with a typed
 * error and never reach (or leave) the handler; bad bodies, unknown endpoints, dead nodes and
 * slow handlers fail the call the ShardRpc way.
 */
import type { Server } from 'node:http'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TimeoutError, packValue, silentLogger } from '@raftkit/raft-core'
import { expect } from 'chai'
import {
  HttpShardRpc,
  RPC_PATH,
  RpcLostError,
  ShardRpcAuthError,
  ShardRpcTooLargeError,
  serveRpc,
} from '../src/index.js'

const SECRET = 'a-secret-of-enough-length'

interface Node {
  readonly rpc: HttpShardRpc
  readonly server: Server
  readonly address: string
  readonly calls: unknown[]
}

async function startNode(options: { maxRequestBytes?: number; maxReplyBytes?: number } = {}) {
  const rpc = new HttpShardRpc({ addresses: {}, secret: SECRET, ...options })
  const calls: unknown[] = []
  rpc.register('g1@n1', async (req) => {
    calls.push(req)
    const r = req as { size?: number; sleepMs?: number; echo?: unknown }
    if (r.sleepMs) await new Promise((res) => setTimeout(res, r.sleepMs))
    return { ok: true, echo: r.echo, blob: r.size ? 'x'.repeat(r.size) : '' }
  })
  const server = createServer((req, res) => {
    const path = req.url ?? ''
    if (path.startsWith(RPC_PATH))
      void serveRpc(req, res, path, { rpc, secret: SECRET, logger: silentLogger })
    else res.writeHead(404).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return { rpc, server, address: `127.0.0.1:${port}`, calls } satisfies Node
}

function caller(node: Node, options: { secret?: string; maxReplyBytes?: number } = {}) {
  return new HttpShardRpc({
    addresses: { n1: node.address },
    secret: options.secret ?? SECRET,
    ...(options.maxReplyBytes ? { maxReplyBytes: options.maxReplyBytes } : {}),
  })
}

/** A raw POST to the route: status and body text. */
function rawPost(
  node: Node,
  body: Buffer,
  headers: Record<string, string | number>,
): Promise<{ status: number; body: string }> {
  const [host, port] = node.address.split(':') as [string, string]
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port: Number(port), method: 'POST', path: `${RPC_PATH}g1%40n1`, headers },
      (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

describe('HttpShardRpc', () => {
  let node: Node
  const open: HttpShardRpc[] = []
  const use = (r: HttpShardRpc): HttpShardRpc => (open.push(r), r)

  beforeEach(async () => {
    node = await startNode({ maxRequestBytes: 4096, maxReplyBytes: 64 * 1024 })
  })
  afterEach(async () => {
    for (const r of open.splice(0)) r.close()
    node.rpc.close()
    node.server.closeAllConnections()
    await new Promise((r) => node.server.close(r))
  })

  it('a call reaches the remote endpoint and returns its reply', async () => {
    const reply = await use(caller(node)).call('me', 'g1@n1', { echo: [1, 'two'] }, 2000)
    expect(reply).to.deep.equal({ ok: true, echo: [1, 'two'], blob: '' })
    expect(node.calls).to.deep.equal([{ echo: [1, 'two'] }])
  })

  it('a wrong cluster secret is refused (ShardRpcAuthError) and nothing runs', async () => {
    const err = await use(caller(node, { secret: 'not-the-right-secret' }))
      .call('me', 'g1@n1', { echo: 1 }, 2000)
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(err).to.be.instanceOf(ShardRpcAuthError)
    expect(node.calls).to.have.length(0)
  })

  it('a request over the bound is refused before it is sent', async () => {
    const small = use(
      new HttpShardRpc({ addresses: { n1: node.address }, secret: SECRET, maxRequestBytes: 100 }),
    )
    const err = await small.call('me', 'g1@n1', { echo: 'y'.repeat(200) }, 2000).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).to.be.instanceOf(ShardRpcTooLargeError)
    expect((err as ShardRpcTooLargeError).what).to.equal('request')
    expect(node.calls).to.have.length(0)
  })

  it('the node refuses a body over its bound with 413 without running the handler', async () => {
    const body = Buffer.from(packValue({ echo: 'z'.repeat(5000) }))
    const declared = await rawPost(node, body, {
      'raftkit-secret': SECRET,
      'content-length': body.length,
    })
    expect(declared.status).to.equal(413)
    // Chunked (no Content-Length): refused while reading, past the bound.
    const chunked = await rawPost(node, body, {
      'raftkit-secret': SECRET,
      'transfer-encoding': 'chunked',
    }).catch(() => ({ status: 413, body: '' }))
    expect(chunked.status).to.equal(413)
    expect(node.calls).to.have.length(0)
  })

  it('a body that is not msgpack is refused with 400 and nothing runs', async () => {
    const body = Buffer.from([0xc1, 0xc1, 0xc1])
    const r = await rawPost(node, body, { 'raftkit-secret': SECRET, 'content-length': body.length })
    expect(r.status).to.equal(400)
    expect(JSON.parse(r.body)).to.include({ error: 'BAD_REQUEST' })
    expect(node.calls).to.have.length(0)
  })

  it("a reply over the node's bound is not sent: the caller gets ShardRpcTooLargeError", async () => {
    const err = await use(caller(node))
      .call('me', 'g1@n1', { size: 100 * 1024 }, 5000)
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(err).to.be.instanceOf(ShardRpcTooLargeError)
    expect((err as ShardRpcTooLargeError).what).to.equal('reply')
  })

  it('the caller stops reading a reply past its own bound', async () => {
    const err = await use(caller(node, { maxReplyBytes: 10 * 1024 }))
      .call('me', 'g1@n1', { size: 20 * 1024 }, 5000)
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(err).to.be.instanceOf(ShardRpcTooLargeError)
    expect((err as ShardRpcTooLargeError).limit).to.equal(10 * 1024)
  })

  it('unknown endpoints, unknown nodes and dead nodes fail with RpcLostError', async () => {
    const c = use(caller(node))
    for (const to of ['g2@n1', 'g1@n9', 'not an endpoint']) {
      const err = await c.call('me', to, {}, 2000).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err, to).to.be.instanceOf(RpcLostError)
    }
    const dead = use(new HttpShardRpc({ addresses: { n1: '127.0.0.1:1' }, secret: SECRET }))
    const err = await dead.call('me', 'g1@n1', {}, 2000).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).to.be.instanceOf(RpcLostError)
  })

  it('a handler slower than the timeout fails the call with TimeoutError', async () => {
    const err = await use(caller(node))
      .call('me', 'g1@n1', { sleepMs: 500 }, 100)
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(err).to.be.instanceOf(TimeoutError)
  })

  it('a local endpoint is called in-process with copies of request and reply', async () => {
    const req = { echo: { nested: [1] } }
    const reply = (await node.rpc.call('me', 'g1@n1', req, 2000)) as { echo: { nested: number[] } }
    expect(reply.echo).to.deep.equal({ nested: [1] })
    expect(reply.echo).to.not.equal(req.echo)
    expect(node.calls[0]).to.not.equal(req)
  })
})
