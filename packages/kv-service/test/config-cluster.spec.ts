import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { expect } from 'chai'
import { DEFAULT_RAFT_CONFIG } from '@raftkit/raft-core'
import { KvConfigError } from '../src/errors.js'
import {
  DEFAULT_LIMITS,
  applyOverrides,
  findNode,
  loadClusterConfig,
  parseClusterConfig,
  parseHostPort,
} from '../src/config/cluster-config.js'
import { ephemeralPortRange, freePort } from '../src/config/free-port.js'
import { initCluster } from '../src/config/init.js'

const SECRET = '0123456789abcdef0123'
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form JSON patched by the cases
type Json = Record<string, any>

function base(): Record<string, unknown> {
  return {
    nodes: [
      { id: 'n1', peer: '127.0.0.1:7001', http: '127.0.0.1:8001', dataDir: 'data/n1' },
      { id: 'n2', peer: '127.0.0.1:7002', http: '127.0.0.1:8002', dataDir: 'data/n2' },
      { id: 'n3', peer: '127.0.0.1:7003', http: '127.0.0.1:8003', dataDir: '/abs/n3' },
    ],
    secret: SECRET,
  }
}

function errorOf(raw: unknown): KvConfigError {
  try {
    parseClusterConfig(raw, { baseDir: '/base' })
  } catch (e) {
    expect(e).to.be.instanceOf(KvConfigError)
    return e as KvConfigError
  }
  throw new Error('expected a KvConfigError')
}

function withPatch(patch: (o: Json) => void): Record<string, unknown> {
  const o = base() as Json
  patch(o)
  return o
}

describe('cluster file: parsing', () => {
  it('fills every default and resolves relative dataDirs against the file folder', () => {
    const c = parseClusterConfig(base(), { baseDir: '/base' })
    expect(c.nodes.map((n) => n.id)).to.deep.equal(['n1', 'n2', 'n3'])
    expect(c.nodes[0]!.peer).to.deep.equal({ host: '127.0.0.1', port: 7001 })
    expect(c.nodes[0]!.dataDir).to.equal('/base/data/n1')
    expect(c.nodes[2]!.dataDir).to.equal('/abs/n3')
    expect(c.raft).to.deep.equal({ ...DEFAULT_RAFT_CONFIG, pipelineLeaderAppends: true })
    expect(c.limits).to.deep.equal(DEFAULT_LIMITS)
    expect(c.http).to.deep.equal({
      maxConnections: 1024,
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxPendingBodyBytes: 64 * 1024 * 1024,
      rpcMaxInFlight: 1024,
      rpcIdleTimeoutMs: 300_000,
      rpcMaxUnsentBytes: 256 * 1024 * 1024,
    })
    expect(c.logLevel).to.equal('info')
  })

  it('takes the http section, each missing field at its default', () => {
    const o = base()
    o.http = { maxConnections: 10, bodyTimeoutMs: 500 }
    const c = parseClusterConfig(o, { baseDir: '/base' })
    expect(c.http).to.include({ maxConnections: 10, bodyTimeoutMs: 500, headersTimeoutMs: 10_000 })
  })

  it('servers pipeline leader appends unless the file turns it off', () => {
    const given = (raft: Json | undefined) =>
      parseClusterConfig(withPatch((o) => raft && (o.raft = raft))).raft.pipelineLeaderAppends
    expect(given(undefined)).to.equal(true)
    expect(given({ tickMs: 10 })).to.equal(true)
    expect(given({ pipelineLeaderAppends: false })).to.equal(false)
  })

  it('takes given settings', () => {
    const c = parseClusterConfig(
      withPatch((o) => {
        o.raft = {
          tickMs: 5,
          heartbeatIntervalMs: 50,
          electionTimeoutMinMs: 150,
          electionTimeoutMaxMs: 300,
        }
        o.server = { maxRaftState: -1, requestTimeoutMs: 500, storageSync: 'never' }
        o.limits = { maxKeyBytes: 10, maxValueBytes: 100 }
        o.client = { deadlineMs: 2000, backoff: { initialMs: 5 } }
        o.logLevel = 'debug'
      }),
    )
    expect(c.raft.electionTimeoutMinMs).to.equal(150)
    expect(c.server.maxRaftState).to.equal(-1)
    expect(c.server.storageSync).to.equal('never')
    expect(c.limits.maxValueBytes).to.equal(100)
    expect(c.client.deadlineMs).to.equal(2000)
    expect(c.client.backoff.initialMs).to.equal(5)
    expect(c.client.backoff.maxMs).to.equal(1000)
    expect(c.logLevel).to.equal('debug')
  })

  it('takes server.storagePreallocateBytes (0 or 4096..64 MiB); absent, it is left to storage-fs', () => {
    const given = (v: unknown) =>
      parseClusterConfig(withPatch((o) => (o.server = { storagePreallocateBytes: v }))).server
    for (const v of [0, 4096, 1 << 20, 64 * 1024 * 1024])
      expect(given(v).storagePreallocateBytes).to.equal(v)
    const absent = parseClusterConfig(base()).server
    expect(absent).to.not.have.property('storagePreallocateBytes')
    const never = parseClusterConfig(withPatch((o) => (o.server = { storageSync: 'never' })))
    expect(never.server).to.not.have.property('storagePreallocateBytes')
  })

  it('--set server.storagePreallocateBytes=0 overrides the file', () => {
    const raw = withPatch((o) => (o.server = { storagePreallocateBytes: 65536 }))
    const c = parseClusterConfig(applyOverrides(raw, ['server.storagePreallocateBytes=0']))
    expect(c.server.storagePreallocateBytes).to.equal(0)
    const set = parseClusterConfig(applyOverrides(base(), ['server.storagePreallocateBytes=8192']))
    expect(set.server.storagePreallocateBytes).to.equal(8192)
  })

  it("takes server.storageInlineSync ('when-idle' or 'never'); absent, it is left to storage-fs", () => {
    for (const v of ['when-idle', 'never'])
      expect(
        parseClusterConfig(withPatch((o) => (o.server = { storageInlineSync: v }))).server
          .storageInlineSync,
      ).to.equal(v)
    expect(parseClusterConfig(base()).server).to.not.have.property('storageInlineSync')
    const set = parseClusterConfig(applyOverrides(base(), ['server.storageInlineSync=never']))
    expect(set.server.storageInlineSync).to.equal('never')
  })

  const cases: Array<[string, (o: Json) => void, string, RegExp]> = [
    ['not an object', (o) => (o.nodes = 'x'), 'nodes', /non-empty array/],
    ['no nodes', (o) => (o.nodes = []), 'nodes', /non-empty array/],
    ['a bad peer address', (o) => (o.nodes[1].peer = 'localhost'), 'nodes[1].peer', /"host:port"/],
    [
      'a port out of range',
      (o) => (o.nodes[0].http = '127.0.0.1:70000'),
      'nodes[0].http',
      /1\.\.65535/,
    ],
    ['port 0', (o) => (o.nodes[0].http = '127.0.0.1:0'), 'nodes[0].http', /1\.\.65535/],
    ['a missing dataDir', (o) => delete o.nodes[2].dataDir, 'nodes[2].dataDir', /directory/],
    ['a bad id', (o) => (o.nodes[0].id = 'a b'), 'nodes[0].id', /letters/],
    [
      'a duplicate id',
      (o) => (o.nodes[2].id = 'n1'),
      'nodes[2].id',
      /already used by nodes\[0\]\.id/,
    ],
    [
      'a shared address',
      (o) => (o.nodes[1].http = '127.0.0.1:7001'),
      'nodes[1].http',
      /already used/,
    ],
    [
      'a shared dataDir',
      (o) => (o.nodes[1].dataDir = 'data/n1'),
      'nodes[1].dataDir',
      /already used/,
    ],
    ['an unknown node field', (o) => (o.nodes[0].peers = 'x'), 'nodes[0].peers', /not a known/],
    ['an unknown top-level field', (o) => (o.raftt = {}), 'raftt', /not a known/],
    ['a short secret', (o) => (o.secret = 'short'), 'secret', /at least 16/],
    ['a missing secret', (o) => delete o.secret, 'secret', /at least 16/],
    [
      'a bad raft timing',
      (o) => (o.raft = { heartbeatIntervalMs: -1 }),
      'raft.heartbeatIntervalMs',
      /positive/,
    ],
    [
      'an election range below 3 heartbeats',
      (o) => (o.raft = { heartbeatIntervalMs: 200, electionTimeoutMinMs: 300 }),
      'raft.electionTimeoutMinMs',
      /3 ×/,
    ],
    ['an unknown raft field', (o) => (o.raft = { tick: 5 }), 'raft.tick', /not a known/],
    [
      'a bad maxRaftState',
      (o) => (o.server = { maxRaftState: 0 }),
      'server.maxRaftState',
      /integer/,
    ],
    [
      'a bad storageSync',
      (o) => (o.server = { storageSync: 'sometimes' }),
      'server.storageSync',
      /always/,
    ],
    [
      'an unknown storageInlineSync',
      (o) => (o.server = { storageInlineSync: 'always' }),
      'server.storageInlineSync',
      /expected "when-idle" or "never", got "always"/,
    ],
    [
      'a negative storagePreallocateBytes',
      (o) => (o.server = { storagePreallocateBytes: -1 }),
      'server.storagePreallocateBytes',
      /0 \(off\) or an integer in 4096\.\.67108864/,
    ],
    [
      'a storagePreallocateBytes between 0 and 4096',
      (o) => (o.server = { storagePreallocateBytes: 1 }),
      'server.storagePreallocateBytes',
      /0 \(off\) or an integer in 4096\.\.67108864/,
    ],
    [
      'a storagePreallocateBytes just below 4096',
      (o) => (o.server = { storagePreallocateBytes: 4095 }),
      'server.storagePreallocateBytes',
      /0 \(off\) or an integer in 4096\.\.67108864/,
    ],
    [
      'a storagePreallocateBytes above 64 MiB',
      (o) => (o.server = { storagePreallocateBytes: 64 * 1024 * 1024 + 1 }),
      'server.storagePreallocateBytes',
      /0 \(off\) or an integer in 4096\.\.67108864/,
    ],
    [
      'a fractional storagePreallocateBytes',
      (o) => (o.server = { storagePreallocateBytes: 8192.5 }),
      'server.storagePreallocateBytes',
      /0 \(off\) or an integer in 4096\.\.67108864/,
    ],
    [
      'a string storagePreallocateBytes',
      (o) => (o.server = { storagePreallocateBytes: '1MiB' }),
      'server.storagePreallocateBytes',
      /0 \(off\) or an integer in 4096\.\.67108864/,
    ],
    [
      'a null storagePreallocateBytes',
      (o) => (o.server = { storagePreallocateBytes: null }),
      'server.storagePreallocateBytes',
      /0 \(off\) or an integer in 4096\.\.67108864/,
    ],
    [
      'a bad value limit',
      (o) => (o.limits = { maxValueBytes: 1.5 }),
      'limits.maxValueBytes',
      /integer/,
    ],
    [
      'messages too small for a value',
      (o) => (o.limits = { maxValueBytes: 1 << 20, maxMessageBytes: 1 << 20 }),
      'limits.maxMessageBytes',
      /maxValueBytes/,
    ],
    [
      'a bad client timeout',
      (o) => (o.client = { requestTimeoutMs: 0 }),
      'client.requestTimeoutMs',
      />= 1/,
    ],
    [
      'a backoff max below its initial',
      (o) => (o.client = { backoff: { initialMs: 50, maxMs: 10 } }),
      'client.backoff.maxMs',
      /initialMs/,
    ],
    ['a bad log level', (o) => (o.logLevel = 'loud'), 'logLevel', /one of/],
    [
      'a zero connection cap',
      (o) => (o.http = { maxConnections: 0 }),
      'http.maxConnections',
      />= 1/,
    ],
    ['an unknown http setting', (o) => (o.http = { maxConn: 5 }), 'http.maxConn', /known/],
    [
      'a request timeout not above the headers timeout',
      (o) => (o.http = { headersTimeoutMs: 5000, requestTimeoutMs: 5000 }),
      'http.requestTimeoutMs',
      /greater than http.headersTimeoutMs/,
    ],
  ]
  for (const [what, patch, field, message] of cases)
    it(`names the field for ${what}: ${field}`, () => {
      const e = errorOf(withPatch(patch))
      expect(e.field).to.equal(field)
      expect(e.code).to.equal('KV_CONFIG')
      expect(e.message).to.include(`"${field}"`).and.match(message)
    })

  it('refuses a non-object file', () => {
    expect(errorOf([]).field).to.equal('(cluster file)')
    expect(errorOf(null).field).to.equal('(cluster file)')
  })

  it('parses host:port, including bracketed IPv6', () => {
    expect(parseHostPort('x', '[::1]:80')).to.deep.equal({ host: '::1', port: 80 })
    expect(parseHostPort('x', 'example.org:443')).to.deep.equal({ host: 'example.org', port: 443 })
    expect(() => parseHostPort('x', '::1:80')).to.throw(KvConfigError, /"x"/)
    expect(() => parseHostPort('x', 'h:')).to.throw(KvConfigError)
    expect(() => parseHostPort('x', 80)).to.throw(KvConfigError)
  })

  it('applies --set overrides (JSON values or strings) before validation', () => {
    const raw = applyOverrides(base(), [
      'raft.tickMs=5',
      'logLevel=debug',
      'nodes[1].http=127.0.0.1:9999',
    ])
    const c = parseClusterConfig(raw)
    expect(c.raft.tickMs).to.equal(5)
    expect(c.logLevel).to.equal('debug')
    expect(c.nodes[1]!.http.port).to.equal(9999)
    expect((base().nodes as Json[])[1]!.http).to.equal('127.0.0.1:8002') // the input is not changed
    expect(() => applyOverrides(base(), ['novalue'])).to.throw(KvConfigError, /path=value/)
    expect(() => parseClusterConfig(applyOverrides(base(), ['raft.tickMs="x"']))).to.throw(
      /raft\.tickMs/,
    )
  })

  it('findNode names --id for an unknown node', () => {
    const c = parseClusterConfig(base())
    expect(findNode(c, 'n2').http.port).to.equal(8002)
    expect(() => findNode(c, 'n9')).to.throw(KvConfigError, /n1, n2, n3/)
  })
})

describe('cluster file: files and init', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-config-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('loadClusterConfig reports unreadable and malformed files', async () => {
    const missing = await loadClusterConfig(join(dir, 'none.json')).catch((e: unknown) => e)
    expect(missing).to.be.instanceOf(KvConfigError).with.property('field', '--config')
    await writeFile(join(dir, 'bad.json'), '{ nodes: ')
    const bad = await loadClusterConfig(join(dir, 'bad.json')).catch((e: unknown) => e)
    expect(bad).to.be.instanceOf(KvConfigError)
    expect((bad as Error).message).to.match(/not valid JSON/)
  })

  it('init writes a valid file with distinct free ports and a random secret', async () => {
    const { file, config } = await initCluster({ nodes: 3, dir })
    const again = await loadClusterConfig(file)
    expect(again).to.deep.equal(config)
    const ports = config.nodes.flatMap((n) => [n.peer.port, n.http.port])
    expect(new Set(ports).size).to.equal(6)
    expect(config.nodes.map((n) => n.dataDir)).to.deep.equal(
      ['n1', 'n2', 'n3'].map((id) => join(dir, 'data', id)),
    )
    const other = await initCluster({ nodes: 1, dir: join(dir, 'other') })
    expect(other.config.secret).to.not.equal(config.secret)
    expect(JSON.parse(await readFile(file, 'utf8')).secret).to.equal(config.secret)
  })

  it('init refuses a bad node count and writes nothing', async () => {
    for (const nodes of [0, -1, 1.5, 100]) {
      const e = await initCluster({ nodes, dir: join(dir, 'x') }).catch((err: unknown) => err)
      expect(e).to.be.instanceOf(KvConfigError).with.property('field', '--nodes')
    }
    const e = await readFile(join(dir, 'x', 'cluster.json')).catch((err: unknown) => err)
    expect(e).to.be.instanceOf(Error)
  })

  it('freePort returns a bindable port', async () => {
    const port = await freePort()
    expect(port).to.be.within(1, 65535)
    const server = createServer()
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject)
      server.listen({ host: '127.0.0.1', port, exclusive: true }, resolveListen)
    })
    await new Promise((r) => server.close(r))
  })

  it('freePort and init choose ports outside the ephemeral range (no connection or port-0 listener takes them before the nodes start)', async function () {
    const { low, high } = ephemeralPortRange()
    const outside = (p: number): boolean => p < low || p > high
    // An OS range covering all of 10000-32767 leaves no room: freePort then uses port 0.
    if (low <= 10_000 && high >= 32_767) this.skip()
    for (let i = 0; i < 20; i++) expect(outside(await freePort()), 'freePort').to.equal(true)
    const { config } = await initCluster({ nodes: 3, dir: join(dir, 'ports') })
    for (const n of config.nodes)
      for (const a of [n.peer, n.http]) expect(outside(a.port), `${n.id} ${a.port}`).to.equal(true)
  })
})
