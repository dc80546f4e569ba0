/**
 * The HTTP server's resource bounds (issue 11, item 3), against real sockets on 127.0.0.1:
 * slowloris clients, stalled bodies, many unfinished bodies, too many connections, and aborts
 * that must not be logged above debug level. Every wait is bounded; no timing is asserted —
 * only that the server lets go of what a client made it hold.
 */
import { expect } from 'chai'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { MemoryLogger, type Logger } from '@raftkit/raft-core'
import { call } from './http-helpers.js'
import type { Client } from './raw-sockets.js'
import {
  CLOSE_WAIT,
  ESTABLISHED,
  leftEstablished,
  open,
  sleep,
  tcpState,
  within,
} from './raw-sockets.js'
import { SingleNode } from './single-node.js'

describe('HTTP resource bounds (real sockets)', function () {
  this.timeout(60_000)
  const nodes: SingleNode[] = []
  const sockets: Socket[] = []
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy()
    for (const n of nodes.splice(0)) await n.stop()
  })
  async function start(
    limits: Record<string, number>,
    logger?: Logger,
    maxValueBytes = 1024 * 1024,
  ): Promise<SingleNode> {
    const node = await SingleNode.start({
      http: { limits, maxValueBytes, ...(logger ? { logger } : {}) },
    })
    nodes.push(node)
    return node
  }
  async function client(node: SingleNode): Promise<Client> {
    const c = await open(node.http.port)
    sockets.push(c.socket)
    return c
  }

  it('slowloris: connections trickling their headers are closed after headersTimeoutMs', async () => {
    const node = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600 })
    const clients = await Promise.all(Array.from({ length: 50 }, () => client(node)))
    let stop = false
    const trickle = (async () => {
      for (const c of clients) c.socket.write('GET /v1/kv/k HTTP/1.1\r\nHost: x\r\n')
      for (let i = 0; !stop && i < 200; i++) {
        for (const c of clients) if (!c.socket.destroyed) c.socket.write(`X-${i}: y\r\n`)
        await sleep(50)
      }
    })()
    const answers = await within(
      10_000,
      Promise.all(clients.map((c) => c.closed)),
      'the server closing every slowloris connection',
    )
    stop = true
    await trickle
    for (const a of answers) expect(a).to.match(/^HTTP\/1\.1 408 /)
    expect((await call(node.url('/v1/status'))).status).to.equal(200) // still serving
  })

  it('a stalled body is answered 408 and its connection closed after bodyTimeoutMs; its bytes are released', async () => {
    const node = await start({ bodyTimeoutMs: 300 })
    const c = await client(node)
    c.socket.write('PUT /v1/kv/stall HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n')
    c.socket.write('x'.repeat(100))
    const answer = await within(10_000, c.closed, 'the server closing a stalled body')
    expect(answer).to.match(/^HTTP\/1\.1 408 /)
    expect(answer).to.contain('http.bodyTimeoutMs')
    expect(node.http.pendingBodyBytes).to.equal(0)
    expect(node.kv.stateMachine.get('stall')).to.equal('')
  })

  it('unfinished bodies are held up to maxPendingBodyBytes in total; beyond, 503 BUSY; all released when they go', async () => {
    const cap = 64 * 1024
    const node = await start({ maxPendingBodyBytes: cap, bodyTimeoutMs: 30_000 })
    const clients = await Promise.all(Array.from({ length: 8 }, () => client(node)))
    const chunk = 'x'.repeat(8 * 1024)
    for (const c of clients)
      c.socket.write(`PUT /v1/kv/big HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\n`)
    let peak = 0
    for (let round = 0; round < 4; round++) {
      for (const c of clients) if (!c.socket.destroyed) c.socket.write(chunk)
      await sleep(50)
      peak = Math.max(peak, node.http.pendingBodyBytes)
    }
    expect(peak).to.be.at.most(cap)
    // 8 clients × 32 KiB sent > 64 KiB: some were refused and disconnected.
    const refused = await within(
      10_000,
      Promise.all(
        clients
          .slice(0, 0)
          .concat(clients)
          .map((c) => Promise.race([c.closed, sleep(500).then(() => '')])),
      ),
      'refusals',
    )
    expect(
      refused.filter((a) => /^HTTP\/1\.1 503 /.test(a) && a.includes('BUSY')).length,
    ).to.be.greaterThan(0)
    for (const c of clients) c.socket.destroy()
    await within(5000, Promise.all(clients.map((c) => c.closed)), 'client sockets closing')
    for (let i = 0; i < 500 && node.http.pendingBodyBytes > 0; i++) await sleep(20)
    expect(node.http.pendingBodyBytes).to.equal(0)
    expect((await node.write('put', 'after', 'ok')).status).to.equal(204)
  })

  it('a client still sending its body gets the answer to a refusal: the node waits before it closes (lingering close)', async () => {
    const node = await start({ maxPendingBodyBytes: 64 * 1024, bodyTimeoutMs: 30_000 })
    const c = await client(node)
    // The client reads nothing until it has written again after the node's answer.
    c.socket.pause()
    c.socket.write('PUT /v1/kv/refused HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n')
    c.socket.write(Buffer.alloc(256 * 1024, 0x61))
    // Wait for the node to end its side: the client's socket leaves ESTABLISHED (closed at
    // once, the node's reset then removes it; lingering, it waits in CLOSE_WAIT).
    const port = c.socket.localPort as number
    expect(
      await leftEstablished(port, node.http.port),
      'the node ended the connection',
    ).to.not.equal(ESTABLISHED)
    // Closing at once, the node's end (FIN) and its reset come a few ms apart; lingering, the
    // node has ended its side only and waits (2 s) for the client to end its own.
    await sleep(100)
    expect(tcpState(port, node.http.port), 'the node reset the connection').to.equal(CLOSE_WAIT)
    // More of the body, as a client that has not looked at the answer yet sends it. After a
    // reset this write fails and the client never reads the answer.
    c.socket.write(Buffer.alloc(64 * 1024, 0x62))
    c.socket.resume()
    const answer = await within(10_000, c.closed, 'the connection closing')
    expect(answer).to.match(/^HTTP\/1\.1 503 [^]*BUSY/)
    expect(answer).to.match(/\r\nconnection: close\r\n/i)
    expect(node.kv.stateMachine.get('refused')).to.equal('')
  })

  it('lingering is bounded: a refused client that never stops sending is cut off', async () => {
    const node = await start({ bodyTimeoutMs: 30_000 })
    const socket = connect({ host: '127.0.0.1', port: node.http.port, allowHalfOpen: true })
    sockets.push(socket)
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => (received += d))
    socket.on('error', () => undefined)
    const closed = new Promise<void>((r) => socket.once('close', () => r()))
    socket.write('PUT /v1/kv/endless HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n')
    // Refused at once (413: over maxValueBytes), it keeps 4 MiB queued to send, topped up every
    // millisecond, for as long as it can (a bound of 60 s); the node reads no more of it and
    // closes after 2 s (linger.ts).
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    const writer = (async () => {
      for (let i = 0; i < 60_000 && !socket.destroyed; i++) {
        while (!socket.destroyed && socket.writableLength < 4 * 1024 * 1024) socket.write(chunk)
        await sleep(1)
      }
    })()
    await within(10_000, closed, 'the node cutting a lingering client off')
    await writer
    expect(received).to.match(/^HTTP\/1\.1 413 [^]*VALUE_TOO_LARGE/)
    // What the kernels' buffers took, not 2 s of reading (Node, left alone, reads and drops
    // such a body at full speed: 150+ MiB in 2 s here).
    expect(socket.bytesWritten).to.be.below(32 * 1024 * 1024)
    expect(node.http.pendingBodyBytes).to.equal(0)
  })

  it('a request pipelined behind a refused body is not processed: the connection is closing', async () => {
    const node = await start({}, undefined, 4096)
    const refused =
      'PUT /v1/kv/first HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n' + 'x'.repeat(5000)
    // One write each: a PUT over maxValueBytes (413, connection: close) with its whole body,
    // then a request the node must not process (RFC 9112 §9.6: none after "close").
    for (const next of [
      'PUT /v1/kv/second HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok',
      'GET /v1/rpc HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    ]) {
      const c = await client(node)
      c.socket.write(refused + next)
      const answer = await within(10_000, c.closed, 'the connection closing')
      expect(answer).to.match(/^HTTP\/1\.1 413 /)
      expect(answer.match(/HTTP\/1\.1 /g), answer).to.have.length(1)
    }
    // A write on another connection, applied after anything proposed before it.
    expect((await node.write('put', 'probe', 'ok')).status).to.equal(204)
    expect(node.kv.stateMachine.get('second')).to.equal('')
  })

  it('a body that arrives whole with its headers is held to the same limits: 413 over maxValueBytes, 503 over maxPendingBodyBytes', async () => {
    const node = await start({ maxPendingBodyBytes: 2048 }, undefined, 4096)
    /** One request in one write: headers and the whole body (chunked or not); the answer. */
    const send = async (key: string, body: string, chunked = false): Promise<string> => {
      const c = await client(node)
      const size = Buffer.byteLength(body)
      c.socket.write(
        `PUT /v1/kv/${key} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n` +
          (chunked
            ? `Transfer-Encoding: chunked\r\n\r\n${size.toString(16)}\r\n${body}\r\n0\r\n\r\n`
            : `Content-Length: ${size}\r\n\r\n${body}`),
      )
      return within(10_000, c.closed, 'the answer')
    }
    expect(await send('big', 'x'.repeat(5000), true)).to.match(
      /^HTTP\/1\.1 413 [^]*VALUE_TOO_LARGE/,
    )
    for (const chunked of [false, true])
      expect(await send('busy', 'y'.repeat(3000), chunked)).to.match(/^HTTP\/1\.1 503 [^]*BUSY/)
    expect(await send('fits', 'é'.repeat(1000))).to.match(/^HTTP\/1\.1 204 /)
    expect(node.kv.stateMachine.get('big')).to.equal('')
    expect(node.kv.stateMachine.get('busy')).to.equal('')
    expect(node.kv.stateMachine.get('fits')).to.equal('é'.repeat(1000))
    expect(node.http.pendingBodyBytes).to.equal(0)
  })

  it('connections beyond maxConnections are closed at once; the server keeps serving the others', async () => {
    const node = await start({ maxConnections: 4 })
    const clients: Client[] = []
    for (let i = 0; i < 10; i++) clients.push(await client(node))
    const closedEarly = await within(
      5000,
      Promise.all(
        clients.map((c) =>
          Promise.race([c.closed.then(() => true), sleep(1000).then(() => false)]),
        ),
      ),
      'dropped connections',
    )
    expect(closedEarly.filter((x) => x).length).to.be.at.least(6)
    for (const c of clients) c.socket.destroy()
    await within(5000, Promise.all(clients.map((c) => c.closed)), 'client sockets closing')
    expect((await call(node.url('/v1/status'))).status).to.equal(200)
  })

  it('aborted requests are logged at debug level only, and at most 10 per minute', async () => {
    const logger = new MemoryLogger()
    const node = await start({}, logger)
    for (let i = 0; i < 30; i++) {
      const c = await client(node)
      c.socket.write('PUT /v1/kv/abort HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nxx')
      await sleep(5)
      c.socket.destroy()
      await c.closed
    }
    for (let i = 0; i < 1000 && !logger.records.some((l) => l.msg.includes('aborted')); i++)
      await sleep(10)
    const aborts = logger.records.filter((l) => l.msg.includes('aborted'))
    expect(aborts.length).to.be.within(1, 10)
    expect(aborts.every((l) => l.level === 'debug')).to.equal(true)
    expect(logger.records.filter((l) => l.level === 'error' || l.level === 'warn')).to.deep.equal(
      [],
    )
  })
})
