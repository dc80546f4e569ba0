/**
 * Requests Node's HTTP parser refuses before they reach the API (listener.ts, 'clientError'):
 * malformed (400), a header block over Node's 16 KiB (431), headers not finished within
 * http.headersTimeoutMs (408). The client that is still sending must read the answer: the node
 * ends its side and lingers instead of resetting the connection (RFC 9112 §9.6), reads no more
 * of it meanwhile, answers and logs each connection once, and cuts a sender off after 2 s.
 * Real sockets on 127.0.0.1; every wait is bounded, no timing is asserted.
 */
import { expect } from 'chai'
import type { Socket } from 'node:net'
import { MemoryLogger, type Logger } from '@raftkit/raft-core'
import { call } from './http-helpers.js'
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

const KiB = 1024

describe('HTTP requests the parser refuses (real sockets)', function () {
  this.timeout(60_000)
  const nodes: SingleNode[] = []
  const sockets: Socket[] = []
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy()
    for (const n of nodes.splice(0)) await n.stop()
  })
  async function start(limits: Record<string, number>, logger?: Logger): Promise<SingleNode> {
    const node = await SingleNode.start({ http: { limits, ...(logger ? { logger } : {}) } })
    nodes.push(node)
    return node
  }

  const cases = [
    {
      what: 'a malformed request followed by 256 KiB the node will not read',
      status: '400 Bad Request',
      sent: [
        Buffer.from('GET /v1/status HTTP/1.1\r\nHost: x\r\nno colon in this line\r\n\r\n'),
        Buffer.alloc(256 * KiB, 0x61),
      ],
    },
    {
      what: 'a 256 KiB header block (Node parses 16 KiB)',
      status: '431 Request Header Fields Too Large',
      sent: [Buffer.from(`GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(256 * KiB)}`)],
    },
    {
      what: 'headers unfinished after headersTimeoutMs',
      status: '408 Request Timeout',
      sent: [Buffer.from('GET /v1/status HTTP/1.1\r\nHost: x\r\n')],
    },
  ]
  for (const { what, status, sent } of cases)
    it(`${what}: ${status.slice(0, 3)}, read by a client that sends on (lingering close, no reset)`, async () => {
      const node = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600 })
      // The client reads nothing (the answer stays in its kernel's receive queue, where a
      // reset would erase it) until it has written again after the node's answer.
      const c = await open(node.http.port, { paused: true })
      sockets.push(c.socket)
      const port = c.socket.localPort as number
      for (const b of sent) c.socket.write(b)
      // The node ends its side: the client's socket leaves ESTABLISHED (closed at once, the
      // node's reset then removes it; lingering, it waits in CLOSE_WAIT for 2 s).
      expect(
        await leftEstablished(port, node.http.port),
        'the node ended the connection',
      ).to.not.equal(ESTABLISHED)
      // More bytes, as a client that has not looked at the answer yet sends them: a closed
      // socket answers them with a reset.
      c.socket.write(Buffer.alloc(64 * KiB, 0x62))
      await sleep(100)
      expect(tcpState(port, node.http.port), 'the node reset the connection').to.equal(CLOSE_WAIT)
      c.socket.resume()
      const answer = await within(10_000, c.closed, 'the connection closing')
      expect(answer).to.equal(
        `HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      )
      expect((await call(node.url('/v1/status'))).status).to.equal(200) // still serving
    })

  it('a lingering refused connection is bounded: read no further, answered and logged once, cut off after 2 s', async () => {
    const logger = new MemoryLogger()
    const node = await start({}, logger)
    const c = await open(node.http.port)
    sockets.push(c.socket)
    c.socket.write('GET /v1/status HTTP/1.1\r\nHost: x\r\nno colon in this line\r\n\r\n')
    // Then junk for as long as it can (a bound of 60 s), 4 MiB queued, topped up every ms.
    // Node's parser, left alone, reads on after its error and fails again on every chunk.
    const chunk = Buffer.alloc(64 * KiB, 0x61)
    const writer = (async () => {
      for (let i = 0; i < 60_000 && !c.socket.destroyed; i++) {
        while (!c.socket.destroyed && c.socket.writableLength < 4 * 1024 * KiB)
          c.socket.write(chunk)
        await sleep(1)
      }
    })()
    const answer = await within(10_000, c.closed, 'the node cutting a lingering client off')
    await writer
    expect(answer).to.equal(
      'HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
    )
    // What the kernels' buffers took, not 2 s of reading.
    expect(c.socket.bytesWritten).to.be.below(32 * 1024 * KiB)
    const logged = logger.records.filter((l) => l.msg === 'bad or incomplete HTTP request')
    expect(logged.map((l) => l.fields?.['code'])).to.deep.equal(['HPE_INVALID_HEADER_TOKEN'])
    expect((await call(node.url('/v1/status'))).status).to.equal(200)
  })
})
