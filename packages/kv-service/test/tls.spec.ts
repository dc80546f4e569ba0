/**
 * TLS for a real cluster: the cluster file's `tls` section, checking the TLS files at startup,
 * three `raftkit serve` nodes in this process (wss:// between peers, HTTPS API) with the CLI
 * clients against them, and `raftkit init --tls`. Certificates: test/fixtures/tls (valid until
 * 2126); `init --tls` runs openssl and is skipped where it is missing.
 */
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { connect as tlsConnect } from 'node:tls'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import type { RunningNode } from '../src/cli/node.js'
import { startNode } from '../src/cli/node.js'
import type { ClusterConfig } from '../src/config/cluster-config.js'
import {
  formatHostPort,
  loadClusterConfig,
  parseClusterConfig,
} from '../src/config/cluster-config.js'
import { freePort } from '../src/config/free-port.js'
import { readClientTls, readNodeTls } from '../src/config/tls.js'
import { KvConfigError, TlsError } from '../src/errors.js'
import { HttpKvRpc } from '../src/http/client-rpc.js'
import { call } from './http-helpers.js'
import { rejection } from './checks.js'
import type { CliRun } from './cli-in-process.js'
import { cli } from './cli-in-process.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tls')
const fx = (name: string): string => join(FIXTURES, name)
const SECRET = '0123456789abcdef0123'
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form JSON patched by the cases
type Json = Record<string, any>

function raw(): Json {
  return {
    nodes: [1, 2, 3].map((i) => ({
      id: `n${i}`,
      peer: `127.0.0.1:${7000 + i}`,
      http: `127.0.0.1:${8000 + i}`,
      dataDir: `data/n${i}`,
    })),
    secret: SECRET,
  }
}

function configError(o: unknown): KvConfigError {
  try {
    parseClusterConfig(o, { baseDir: '/base' })
  } catch (e) {
    expect(e).to.be.instanceOf(KvConfigError)
    return e as KvConfigError
  }
  throw new Error('expected a KvConfigError')
}

describe('TLS: the cluster file', () => {
  it('takes a shared CA with per-node certificates, and a shared certificate', () => {
    const o = raw()
    o.tls = { caFile: 'tls/ca.pem', certFile: '/etc/shared.pem', keyFile: 'tls/shared-key.pem' }
    o.nodes[1].tls = { certFile: 'tls/n2.pem', keyFile: '/abs/n2-key.pem' }
    const c = parseClusterConfig(o, { baseDir: '/base' })
    expect(c.tls).to.deep.equal({
      caFile: '/base/tls/ca.pem',
      certFile: '/etc/shared.pem',
      keyFile: '/base/tls/shared-key.pem',
    })
    expect(c.nodes[0]!.tls).to.deep.equal({
      certFile: '/etc/shared.pem',
      keyFile: '/base/tls/shared-key.pem',
      caFile: '/base/tls/ca.pem',
      field: 'tls',
    })
    expect(c.nodes[1]!.tls).to.deep.equal({
      certFile: '/base/tls/n2.pem',
      keyFile: '/abs/n2-key.pem',
      caFile: '/base/tls/ca.pem',
      field: 'nodes[1].tls',
    })
  })

  it('without a tls section nothing uses TLS', () => {
    const c = parseClusterConfig(raw(), { baseDir: '/base' })
    expect(c.tls).to.equal(undefined)
    expect(c.nodes.every((n) => n.tls === undefined)).to.equal(true)
  })

  const cases: Array<[string, (o: Json) => void, string, RegExp]> = [
    ['not an object', (o) => (o.tls = 'yes'), 'tls', /expected an object/],
    [
      'a certificate without its key',
      (o) => (o.tls = { certFile: 'a.pem', caFile: 'ca.pem' }),
      'tls.keyFile',
      /required with tls.certFile/,
    ],
    [
      'a key without its certificate',
      (o) => (o.tls = { keyFile: 'a.pem' }),
      'tls.certFile',
      /required with tls.keyFile/,
    ],
    ['an empty path', (o) => (o.tls = { caFile: '' }), 'tls.caFile', /path of a PEM file/],
    ['a path that is not a string', (o) => (o.tls = { caFile: 5 }), 'tls.caFile', /PEM file/],
    ['an unknown field', (o) => (o.tls = { ca: 'ca.pem' }), 'tls.ca', /not a known setting/],
    [
      'a node without any certificate',
      (o) => {
        o.tls = { caFile: 'ca.pem' }
        o.nodes[0].tls = { certFile: 'a.pem', keyFile: 'a-key.pem' }
        o.nodes[1].tls = { certFile: 'b.pem', keyFile: 'b-key.pem' }
      },
      'nodes[2].tls',
      /no certificate/,
    ],
    [
      'a node certificate without its key',
      (o) => {
        o.tls = { caFile: 'ca.pem', certFile: 'a.pem', keyFile: 'a-key.pem' }
        o.nodes[1].tls = { certFile: 'b.pem' }
      },
      'nodes[1].tls.keyFile',
      /required/,
    ],
    [
      'a node CA (the CA is the cluster’s)',
      (o) => {
        o.tls = { caFile: 'ca.pem', certFile: 'a.pem', keyFile: 'a-key.pem' }
        o.nodes[0].tls = { certFile: 'b.pem', keyFile: 'b-key.pem', caFile: 'x.pem' }
      },
      'nodes[0].tls.caFile',
      /not a known setting/,
    ],
    [
      'a node tls section without the cluster one',
      (o) => (o.nodes[0].tls = { certFile: 'b.pem', keyFile: 'b-key.pem' }),
      'nodes[0].tls',
      /top-level "tls" section/,
    ],
  ]
  for (const [what, patch, field, message] of cases)
    it(`refuses ${what}, naming ${field}`, () => {
      const o = raw()
      patch(o)
      const e = configError(o)
      expect(e.field).to.equal(field)
      expect(e.message).to.match(message)
    })
})

describe('TLS: reading the files', function () {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-tls-files-'))
    await writeFile(join(dir, 'garbage.pem'), 'this is not PEM\n')
  })
  after(() => rm(dir, { recursive: true, force: true }))

  function config(patch: (o: Json) => void = () => undefined): ClusterConfig {
    const o = raw()
    o.tls = { caFile: fx('ca.pem') }
    for (const [i, n] of (o.nodes as Json[]).entries())
      n.tls = { certFile: fx(`n${i + 1}.pem`), keyFile: fx(`n${i + 1}-key.pem`) }
    patch(o)
    return parseClusterConfig(o, { baseDir: dir })
  }

  it('reads and checks a node’s certificate, key and CA', async () => {
    const tls = await readNodeTls(config(), 'n2')
    expect(tls!.material.cert.toString()).to.include('BEGIN CERTIFICATE')
    expect(tls!.material.key.toString()).to.include('PRIVATE KEY')
    expect(tls!.material.ca!.toString()).to.include('BEGIN CERTIFICATE')
    expect(tls!.warnings).to.deep.equal([])
    expect(await readNodeTls(parseClusterConfig(raw()), 'n1')).to.equal(undefined)
  })

  it('warns when the certificate does not name the node’s address', async () => {
    const tls = await readNodeTls(
      config((o) => (o.nodes[0].http = '127.0.0.2:8001')),
      'n1',
    )
    expect(tls!.warnings).to.have.length(1)
    expect(tls!.warnings[0]).to.match(/does not name 127\.0\.0\.2 \(nodes\[0\]\.http\)/)
  })

  const bad: Array<[string, (o: Json) => void, string, RegExp]> = [
    [
      'a missing certificate',
      (o) => (o.nodes[0].tls.certFile = 'none.pem'),
      'nodes[0].tls.certFile',
      /cannot read .*none\.pem: no such file/,
    ],
    [
      'a key that is not PEM',
      (o) => (o.nodes[0].tls.keyFile = 'garbage.pem'),
      'nodes[0].tls.keyFile',
      /garbage\.pem is not a PEM private key/,
    ],
    [
      'a certificate that is not PEM',
      (o) => (o.nodes[0].tls.certFile = 'garbage.pem'),
      'nodes[0].tls.certFile',
      /garbage\.pem is not a PEM certificate/,
    ],
    [
      'a key of another certificate',
      (o) => (o.nodes[0].tls.keyFile = fx('n2-key.pem')),
      'nodes[0].tls.keyFile',
      /n2-key\.pem is not the key of the certificate in .*n1\.pem/,
    ],
    [
      'a CA that is a directory',
      (o) => (o.tls.caFile = '.'),
      'tls.caFile',
      /cannot read .*: is a directory/,
    ],
    [
      'a shared certificate that is missing',
      (o) => {
        o.tls = { certFile: 'shared.pem', keyFile: fx('n1-key.pem') }
        delete o.nodes[0].tls
      },
      'tls.certFile',
      /shared\.pem: no such file/,
    ],
  ]
  for (const [what, patch, field, message] of bad)
    it(`refuses ${what}, naming ${field} and the file`, async () => {
      const e = await rejection(readNodeTls(config(patch), 'n1'))
      expect(e).to.be.instanceOf(KvConfigError)
      expect((e as KvConfigError).field).to.equal(field)
      expect(e.message).to.match(message)
    })

  it('clients read the cluster CA, or the one given with --ca', () => {
    expect(readClientTls(parseClusterConfig(raw()))).to.equal(undefined)
    expect(readClientTls(config())!.ca!.toString()).to.include('BEGIN CERTIFICATE')
    const e = (() => {
      try {
        readClientTls(config(), join(dir, 'garbage.pem'))
      } catch (err) {
        return err as KvConfigError
      }
      throw new Error('expected an error')
    })()
    expect(e.field).to.equal('--ca')
    expect(e.message).to.match(/not a PEM certificate/)
  })

  it('raftkit serve with a missing certificate exits 2 naming the field and file, creating nothing', async () => {
    const o = raw()
    o.nodes[0].dataDir = join(dir, 'data-n1')
    o.tls = { caFile: fx('ca.pem'), certFile: 'missing.pem', keyFile: fx('n1-key.pem') }
    const file = join(dir, 'cluster.json')
    await writeFile(file, JSON.stringify(o))
    const r = await cli(['serve', '--config', file, '--id', 'n1', '--log-level', 'silent'])
    expect(r.code).to.equal(2)
    expect(r.err).to.include('"tls.certFile"')
    expect(r.err).to.include(join(dir, 'missing.pem'))
    expect(existsSync(join(dir, 'data-n1'))).to.equal(false)
  })
})

describe('TLS: a 3-node cluster (wss:// peers, HTTPS API, CLI clients)', function () {
  this.timeout(30_000)
  let dir: string
  let file: string
  let config: ClusterConfig
  const nodes: RunningNode[] = []
  const ca = (): Promise<Buffer> => readFile(fx('ca.pem'))
  const httpsOf = (id: string): string =>
    `https://${formatHostPort(config.nodes.find((n) => n.id === id)!.http)}`

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-tls-cluster-'))
    const ports: number[] = []
    while (ports.length < 6) {
      const p = await freePort()
      if (!ports.includes(p)) ports.push(p)
    }
    const o: Json = {
      nodes: [1, 2, 3].map((i) => ({
        id: `n${i}`,
        peer: `127.0.0.1:${ports[2 * i - 2]}`,
        http: `127.0.0.1:${ports[2 * i - 1]}`,
        dataDir: `data/n${i}`,
        tls: { certFile: fx(`n${i}.pem`), keyFile: fx(`n${i}-key.pem`) },
      })),
      secret: SECRET,
      raft: {
        tickMs: 10,
        heartbeatIntervalMs: 50,
        electionTimeoutMinMs: 200,
        electionTimeoutMaxMs: 400,
      },
      server: { storageSync: 'never' },
      client: { deadlineMs: 8000, requestTimeoutMs: 1000 },
      tls: { caFile: fx('ca.pem') },
    }
    file = join(dir, 'cluster.json')
    await writeFile(file, JSON.stringify(o, null, 2))
    config = await loadClusterConfig(file)
    for (const n of config.nodes) nodes.push(await startNode(config, n.id))
  })
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    await rm(dir, { recursive: true, force: true })
  })

  async function leader(): Promise<string> {
    const rpc = new HttpKvRpc({
      endpoints: Object.fromEntries(config.nodes.map((n) => [n.id, formatHostPort(n.http)])),
      tls: { ca: await ca() },
    })
    try {
      for (let i = 0; i < 200; i++) {
        for (const n of config.nodes) {
          const s = (await rpc.getJson(n.id, '/v1/status', 1000).catch(() => undefined)) as
            { role?: string } | undefined
          if (s?.role === 'leader') return n.id
        }
        await new Promise((r) => setTimeout(r, 50))
      }
    } finally {
      rpc.close()
    }
    throw new Error('no leader within 10 s')
  }

  it('a put through HTTPS (CLI --config) is readable with a get (CLI --endpoints https:// --ca); the same over --protocol ws (wss://)', async () => {
    await leader()
    const put = await cli(['put', 'color', 'blue', '--config', file])
    expect(put.code, put.err).to.equal(0)
    expect(put.out).to.equal('OK\n')
    const endpoints = config.nodes.map((n) => `https://${formatHostPort(n.http)}`).join(',')
    const got = await cli(['get', 'color', '--endpoints', endpoints, '--ca', fx('ca.pem')])
    expect(got.code, got.err).to.equal(0)
    expect(got.out).to.equal('blue\n')
    // The same over the WebSocket RPC (wss:// on the HTTPS port), by cluster file and by
    // endpoints; a wrong --protocol is a usage error.
    const wsPut = await cli(['put', 'color', 'green', '--config', file, '--protocol', 'ws'])
    expect(wsPut.code, wsPut.err).to.equal(0)
    const wsGet = await cli([
      'get',
      'color',
      '--endpoints',
      endpoints,
      '--ca',
      fx('ca.pem'),
      '--protocol',
      'ws',
    ])
    expect(wsGet.code, wsGet.err).to.equal(0)
    expect(wsGet.out).to.equal('green\n')
    expect((await cli(['get', 'color', '--config', file, '--protocol', 'h3'])).code).to.equal(2)
    const status = await cli(['status', '--config', file])
    expect(status.code, status.err).to.equal(0)
    expect(status.out).to.match(/\bleader\b/)
  })

  it('peers listen with TLS: the peer port completes a TLS handshake with the cluster CA', async () => {
    const peer = config.nodes[0]!.peer
    const authorized = await new Promise<boolean>((resolve, reject) => {
      const socket = tlsConnect({ host: peer.host, port: peer.port, ca: [caText()] }, () => {
        resolve(socket.authorized)
        socket.end()
      })
      socket.once('error', reject)
    })
    expect(authorized).to.equal(true)
  })

  it('a follower redirects to an https:// URL on the leader', async () => {
    const lead = await leader()
    const follower = config.nodes.find((n) => n.id !== lead)!.id
    const answer = await new Promise<{ status: number; location?: string }>((resolve, reject) => {
      const req = httpsRequest(`${httpsOf(follower)}/v1/kv/color`, {
        ca: caText(),
        agent: false,
      })
      req.once('error', reject)
      req.once('response', (res) => {
        res.resume()
        resolve({
          status: res.statusCode ?? 0,
          ...(res.headers.location ? { location: res.headers.location } : {}),
        })
      })
      req.end()
    })
    expect(answer.status).to.equal(307)
    expect(answer.location).to.equal(`${httpsOf(lead)}/v1/kv/color`)
  })

  it('a plain-HTTP request to the HTTPS port gets no answer', async () => {
    const e = await rejection(call(`http://${formatHostPort(config.nodes[0]!.http)}/v1/status`))
    expect(e.message).to.match(/socket hang up|ECONNRESET|Parse Error/i)
  })

  it('a client that does not trust the CA is refused, with a clear message and exit code 2', async () => {
    const endpoint = httpsOf('n1')
    const systemCas = await cli(['get', 'color', '--endpoints', endpoint, '--timeout', '5000'])
    expect(systemCas.code).to.equal(2)
    expect(systemCas.err).to.match(/TLS connection to 127\.0\.0\.1:\d+ refused: .*not trusted/)
    const otherCa = await cli(['get', 'color', '--config', file, '--ca', fx('other-ca.pem')])
    expect(otherCa.code).to.equal(2)
    expect(otherCa.err).to.match(/not trusted.*--ca/)
    const rpc = new HttpKvRpc({ endpoints: { n1: endpoint } })
    try {
      const e = await rejection(rpc.call('c', 'n1', { type: 'get', key: 'color' }, 2000))
      expect(e).to.be.instanceOf(TlsError)
      expect((e as TlsError).reason).to.match(/CERT|SELF_SIGNED|UNABLE/)
    } finally {
      rpc.close()
    }
  })

  it('an https:// client of a plain-HTTP server is told it does not speak TLS', async () => {
    const server = createServer((_req, res) => res.end('plain'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    const rpc = new HttpKvRpc({ endpoints: { x: `https://127.0.0.1:${port}` } })
    try {
      const e = await rejection(rpc.getJson('x', '/v1/status', 2000))
      expect(e).to.be.instanceOf(TlsError)
      expect(e.message).to.match(/does not speak TLS/)
    } finally {
      rpc.close()
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    }
  })
})

function caText(): string {
  return readFileSync(fx('ca.pem'), 'utf8')
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

describe('raftkit init --tls', function () {
  this.timeout(30_000)
  let dir: string
  before(function () {
    if (!hasOpenssl()) this.skip() // no openssl command on this machine
  })
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-init-tls-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('makes a CA and a certificate per node for 127.0.0.1/localhost and references them', async () => {
    const r = await cli(['init', '--nodes', '3', '--dir', dir, '--tls'])
    expect(r.code, r.err).to.equal(0)
    expect(r.out).to.match(/https 127\.0\.0\.1:\d+/)
    const config = await loadClusterConfig(join(dir, 'cluster.json'))
    expect(config.tls?.caFile).to.equal(join(dir, 'tls', 'ca.pem'))
    const ca = new X509Certificate(await readFile(join(dir, 'tls', 'ca.pem')))
    expect(ca.ca).to.equal(true)
    for (const n of config.nodes) {
      expect(n.tls?.certFile).to.equal(join(dir, 'tls', `${n.id}.pem`))
      const tls = await readNodeTls(config, n.id)
      expect(tls!.warnings).to.deep.equal([])
      const cert = new X509Certificate(tls!.material.cert)
      expect(cert.verify(ca.publicKey)).to.equal(true)
      expect(cert.checkIP('127.0.0.1')).to.equal('127.0.0.1')
      expect(cert.checkHost('localhost')).to.equal('localhost')
      expect(cert.subject).to.include(`CN=${n.id}`)
    }
    expect(existsSync(join(dir, 'tls', 'n1.csr'))).to.equal(false)
  })
})

describe('raftkit init --tls without openssl', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-init-tls-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('says clearly when openssl is missing', async () => {
    const path = process.env.PATH
    process.env.PATH = dir // no openssl in an empty folder
    let r: CliRun
    try {
      r = await cli(['init', '--nodes', '1', '--dir', join(dir, 'c'), '--tls'])
    } finally {
      process.env.PATH = path
    }
    expect(r.code).to.equal(2)
    expect(r.err).to.match(/needs the openssl command/)
  })
})
