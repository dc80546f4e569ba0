import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HOST, addr, closeAll, logged, node, sleep, vote, waitFor } from './helpers.js'

/** A self-signed certificate for 127.0.0.1, made with the openssl CLI; null if it is missing. */
function selfSigned(dir: string, name: string): { certFile: string; keyFile: string } | null {
  const certFile = join(dir, `${name}.cert.pem`)
  const keyFile = join(dir, `${name}.key.pem`)
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    )
  } catch {
    return null
  }
  return { certFile, keyFile }
}

describe('ws transport over TLS (wss)', function () {
  this.timeout(30_000)
  let dir = ''
  let cert: { certFile: string; keyFile: string } | null = null
  let other: { certFile: string; keyFile: string } | null = null

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'raftkit-ws-tls-'))
    cert = selfSigned(dir, 'cluster')
    other = selfSigned(dir, 'other')
    if (!cert || !other) this.skip() // no openssl CLI on this machine
  })
  after(() => rmSync(dir, { recursive: true, force: true }))
  afterEach(closeAll)

  it('exchanges messages over wss:// with a trusted self-signed certificate', async () => {
    const tls = { ...cert!, caFile: cert!.certFile }
    const a = await node('a', {}, { tls })
    const b = await node('b', { a: addr(a) }, { tls })
    a.t.setPeers({ b: addr(b) }) // host:port means wss:// when tls is set
    a.t.send(vote('a', 'b'))
    b.t.send(vote('b', 'a'))
    await waitFor(() => a.got.length === 1 && b.got.length === 1, 'both messages over TLS')
    expect(logged(a.log, 'info', 'wss://127.0.0.1')).to.have.length(1)
  })

  it('does not connect to a peer whose certificate it does not trust', async () => {
    const b = await node('b', { a: `${HOST}:1` }, { tls: { ...cert!, caFile: cert!.certFile } })
    const a = await node('a', { b: addr(b) }, { tls: { ...other!, caFile: other!.certFile } })
    a.t.send(vote('a', 'b'))
    await waitFor(
      () => a.log.records.some((r) => /certificate/i.test(JSON.stringify(r.fields ?? {}))),
      'a certificate error',
    )
    await sleep(100)
    expect(b.got).to.be.empty
    expect(a.t.stats().connections).to.equal(0)
  })

  it('a plain ws:// dialer cannot talk to a wss:// node', async () => {
    const b = await node('b', { a: `${HOST}:1` }, { tls: { ...cert!, caFile: cert!.certFile } })
    const a = await node('a', { b: `ws://${HOST}:${b.t.port}` })
    a.t.send(vote('a', 'b'))
    await waitFor(() => logged(a.log, 'debug', 'cannot reach peer').length > 0, 'a failed dial')
    expect(b.got).to.be.empty
    expect(a.t.stats().connections).to.equal(0)
  })
})
