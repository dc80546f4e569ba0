/**
 * A client that sends its whole request and then closes its sending side (a TCP half-close:
 * `printf 'GET …' | nc -N host port`, HTTP/1.0-style tools, the fuzz client) still gets the
 * answer, even one that comes later (a write waits for its commit, a read for the leader's
 * confirmation); the node ends the connection after it. Real sockets on 127.0.0.1; every wait
 * is bounded, no timing is asserted.
 */
import { expect } from 'chai'
import type { Socket } from 'node:net'
import { call } from './http-helpers.js'
import { open, within } from './raw-sockets.js'
import { SingleNode } from './single-node.js'

describe('HTTP clients that half-close after their request (real sockets)', function () {
  this.timeout(30_000)
  let node: SingleNode | undefined
  const sockets: Socket[] = []
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy()
    await node?.stop()
    node = undefined
  })

  /** Sends `request`, half-closes, and resolves with all the node sent before it closed. */
  async function halfClosed(port: number, request: string): Promise<string> {
    const c = await open(port)
    sockets.push(c.socket)
    c.socket.end(request)
    return within(10_000, c.closed, 'the node answering and closing')
  }

  it('a PUT, then a GET of it, each on a half-closed connection: answered, then closed', async () => {
    node = await SingleNode.start()
    const port = node.http.port
    const put = await halfClosed(
      port,
      'PUT /v1/kv/half HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello',
    )
    expect(put).to.match(/^HTTP\/1\.1 204 /)
    const get = await halfClosed(port, 'GET /v1/kv/half HTTP/1.1\r\nHost: x\r\n\r\n')
    expect(get).to.match(/^HTTP\/1\.1 200 /)
    expect(get.endsWith('\r\n\r\nhello')).to.equal(true)
    expect((await call(node.url('/v1/kv/half'))).body).to.equal('hello')
  })

  it('two pipelined requests before the half-close: both answered, in order', async () => {
    node = await SingleNode.start()
    expect((await call(node.url('/v1/kv/a'), { method: 'PUT', body: 'va' })).status).to.equal(204)
    // Node hands pipelined requests to the API as they are parsed (concurrent operations);
    // their answers go out in order.
    const answer = await halfClosed(
      node.http.port,
      'GET /v1/kv/a HTTP/1.1\r\nHost: x\r\n\r\n' +
        'PUT /v1/kv/b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nvb',
    )
    const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1])
    expect(statuses).to.deep.equal(['200', '204'])
    expect(answer).to.include('\r\n\r\nvaHTTP/1.1 204 ')
    expect((await call(node.url('/v1/kv/b'))).body).to.equal('vb')
  })
})
