/**
 * The HTTP server's resource bounds (issue 11, item 3), against real sockets on 127.0.0.1:
 * slowloris clients, stalled bodies, many unfinished bodies, too many connections, and aborts
 * that must not be logged above debug level. Every wait is bounded; no timing is asserted —
 * only that the server lets go of what a client made it hold.
 */
import { expect } from 'chai'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import type { LogFields, Logger } from '@raftkit/raft-core'
import { call } from './http-helpers.js'
import { SingleNode } from './single-node.js'

interface Client {
  readonly socket: Socket
  /** Resolves with everything the server sent once it closes the connection. */
  readonly closed: Promise<string>
}

function open(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => (received += d))
    const closed = new Promise<string>((r) => socket.once('close', () => r(received)))
    socket.once('error', () => undefined) // a reset shows as a close
    socket.once('connect', () => resolve({ socket, closed }))
    socket.once('error', reject)
  })
}

/** Resolves with the value of `p`, or rejects after `ms` (a bound, not an assertion). */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

class CapturingLogger implements Logger {
  readonly lines: Array<{ level: string; msg: string; fields?: LogFields }> = []
  debug(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'debug', msg, ...(fields ? { fields } : {}) })
  }
  info(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'info', msg, ...(fields ? { fields } : {}) })
  }
  warn(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'warn', msg, ...(fields ? { fields } : {}) })
  }
  error(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'error', msg, ...(fields ? { fields } : {}) })
  }
}

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
    const logger = new CapturingLogger()
    const node = await start({}, logger)
    for (let i = 0; i < 30; i++) {
      const c = await client(node)
      c.socket.write('PUT /v1/kv/abort HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nxx')
      await sleep(5)
      c.socket.destroy()
      await c.closed
    }
    for (let i = 0; i < 1000 && !logger.lines.some((l) => l.msg.includes('aborted')); i++)
      await sleep(10)
    const aborts = logger.lines.filter((l) => l.msg.includes('aborted'))
    expect(aborts.length).to.be.within(1, 10)
    expect(aborts.every((l) => l.level === 'debug')).to.equal(true)
    expect(logger.lines.filter((l) => l.level === 'error' || l.level === 'warn')).to.deep.equal([])
  })
})
