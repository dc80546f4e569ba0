/**
 * Smaller HTTP hardening (issue 11, item 7): bounded fault delays, an honest message for a
 * too-large fault request, a clear answer to a duplicated session header, absolute-form request
 * targets, and failed admin authentications logged — rate-limited.
 */
import { expect } from 'chai'
import { connect } from 'node:net'
import { MemoryLogger } from '@raftkit/raft-core'
import { RecordingFaults, TEST_SECRET, call } from './http-helpers.js'
import type { Answer } from './http-helpers.js'
import { SingleNode } from './single-node.js'

/** One request written byte for byte on a socket (duplicate headers, any target). */
function raw(
  port: number,
  method: string,
  path: string,
  headers: Array<[string, string]>,
  body = '',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.once('error', reject)
    socket.once('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [head = '', ...rest] = text.split('\r\n\r\n')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
      const bodyText = rest.join('\r\n\r\n')
      resolve({ status, headers: {}, body: bodyText, bytes: Buffer.from(bodyText) })
    })
    const lines = [`${method} ${path} HTTP/1.1`, 'host: x', 'connection: close']
    for (const [k, v] of headers) lines.push(`${k}: ${v}`)
    lines.push(`content-length: ${Buffer.byteLength(body)}`)
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`)
  })
}

describe('HTTP: smaller hardening', function () {
  this.timeout(30_000)
  let node: SingleNode
  const faults = new RecordingFaults()
  const logger = new MemoryLogger()
  before(async () => {
    node = await SingleNode.start({ http: { secret: TEST_SECRET, faults, logger } })
  })
  after(async () => {
    await node.stop()
  })
  const admin = (body: string, secret = TEST_SECRET): Promise<Answer> =>
    call(node.url('/v1/admin/faults'), {
      method: 'POST',
      body,
      headers: { 'raftkit-secret': secret },
    })

  it('fault delays are bounded: delayMs beyond 60 000 ms is refused, and nothing changes', async () => {
    for (const d of ['[0, 1e308]', '[0, 60001]', '[70000, 80000]']) {
      const r = await admin(`{"delayMs": ${d}}`)
      expect(r.status, d).to.equal(400)
      expect(JSON.parse(r.body).message).to.match(/delayMs: .*<= 60000/)
    }
    expect(faults.calls).to.deep.equal([])
    expect((await admin('{"delayMs": [0, 60000]}')).status).to.equal(200)
  })

  it('a too-large fault request names its own limit, not limits.maxValueBytes', async () => {
    const r = await admin(JSON.stringify({ block: ['x'.repeat(20_000)] }))
    expect(r.status).to.equal(413)
    const message = JSON.parse(r.body).message as string
    expect(message)
      .to.match(/fault request/)
      .and.match(/16384/)
    expect(message).to.not.include('maxValueBytes')
  })

  it('a duplicated Raftkit-Client-Id (or seq) header is refused as given more than once', async () => {
    const clientId = await node.openSession()
    for (const headers of [
      [
        ['raftkit-client-id', clientId],
        ['raftkit-client-id', clientId],
        ['raftkit-request-seq', '1'],
      ],
      [
        ['raftkit-client-id', clientId],
        ['raftkit-request-seq', '1'],
        ['raftkit-request-seq', '1'],
      ],
      // Header names are case-insensitive: two spellings are still two headers.
      [
        ['Raftkit-Client-Id', clientId],
        ['RAFTKIT-CLIENT-ID', clientId],
        ['raftkit-request-seq', '1'],
      ],
    ] as Array<Array<[string, string]>>) {
      const r = await raw(node.http.port, 'PUT', '/v1/kv/dup', headers, 'v')
      expect(r.status).to.equal(400)
      expect(JSON.parse(r.body).message).to.match(/given more than once/)
    }
    expect(node.kv.stateMachine.get('dup')).to.equal('')
  })

  it('reads the session headers whatever the case of their names', async () => {
    const clientId = await node.openSession()
    const headers: Array<[string, string]> = [
      ['RAFTKIT-CLIENT-ID', clientId],
      ['Raftkit-Request-Seq', '1'],
    ]
    expect((await raw(node.http.port, 'PUT', '/v1/kv/cased', headers, 'v1')).status).to.equal(204)
    // The same (client, seq) again is a retry: answered, not executed a second time.
    expect(
      (await raw(node.http.port, 'POST', '/v1/kv/cased/append', headers, 'v1')).status,
    ).to.equal(409)
    expect(node.kv.stateMachine.get('cased')).to.equal('v1')
  })

  it('accepts absolute-form request targets (http://host/path)', async () => {
    const host = node.http.address
    const put = await raw(node.http.port, 'PUT', `http://${host}/v1/kv/abs?x=1`, [], 'v')
    expect(put.status).to.equal(204)
    const get = await raw(node.http.port, 'GET', `http://${host}/v1/kv/abs`, [])
    expect(get.status).to.equal(200)
    expect(get.body).to.equal('v')
  })

  it('logs failed admin authentications at warn, at most 10 a minute', async () => {
    const before = logger.records.length
    for (let i = 0; i < 25; i++)
      expect((await admin('{"heal": true}', 'wrong-secret-0123456')).status).to.equal(401)
    const failed = logger.records.slice(before).filter((l) => l.msg.includes('authentication'))
    expect(failed.length).to.equal(10)
    expect(failed.every((l) => l.level === 'warn')).to.equal(true)
    expect(failed[0]!.fields).to.include({ remote: '127.0.0.1' })
  })
})
