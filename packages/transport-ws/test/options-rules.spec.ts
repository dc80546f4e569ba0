/**
 * The option checks of createWsTransport (options.ts), called directly: each bad value throws
 * ConfigError naming its field, the values at each bound pass, peers become the URLs dialed,
 * the limits' defaults, and the TLS files read. Through createWsTransport: ws-transport.spec.ts.
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@raftkit/raft-core'
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  MAX_NODE_ID_BYTES,
  MIN_SECRET_LENGTH,
} from '../src/constants.js'
import { checkSecret, peerUrls, readTls, resolvedLimits, validateOptions } from '../src/options.js'
import type { WsTransportOptions } from '../src/options.js'

const SECRET = 's'.repeat(MIN_SECRET_LENGTH)
const base: WsTransportOptions = {
  id: 'a',
  listen: { host: '127.0.0.1', port: 0 },
  peers: { b: '127.0.0.1:1' },
  secret: SECRET,
}
/** 'é' is two bytes of UTF-8: `n` of them are 2n bytes in n characters. */
const twoByte = (n: number): string => 'é'.repeat(n)

/** The field of the ConfigError `f` throws (fails if it throws anything else or nothing). */
function fieldOf(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError)
    return (e as ConfigError).field
  }
  throw new Error('no ConfigError thrown')
}
const rejects = (o: unknown): string => fieldOf(() => validateOptions(o as WsTransportOptions))

describe('WsTransportOptions: validateOptions', function () {
  it('accepts the options at every bound', () => {
    const ok: WsTransportOptions[] = [
      base,
      { ...base, id: 'x'.repeat(MAX_NODE_ID_BYTES) },
      { ...base, id: twoByte(MAX_NODE_ID_BYTES / 2) },
      { ...base, listen: { host: 'localhost', port: 65535 } },
      { ...base, peers: {} },
      { ...base, maxMessageBytes: 1, maxQueuedMessages: 1, maxQueuedBytes: 1 },
      { ...base, maxMessageBytes: 2 ** 53 - 1 },
      { ...base, tls: { certFile: 'c.pem', keyFile: 'k.pem' } },
      {
        ...base,
        tls: { certFile: 'c.pem', keyFile: 'k.pem', caFile: 'ca.pem' },
      },
    ]
    for (const o of ok) expect(() => validateOptions(o), JSON.stringify(o)).to.not.throw()
  })

  it('names the field of the first bad value', () => {
    const bad: [string, unknown][] = [
      ['options', null],
      ['options', 'a'],
      ['id', { ...base, id: '' }],
      ['id', { ...base, id: 5 }],
      ['id', { ...base, id: 'x'.repeat(MAX_NODE_ID_BYTES + 1) }],
      ['id', { ...base, id: twoByte(MAX_NODE_ID_BYTES / 2 + 1) }],
      ['listen', { ...base, listen: null }],
      ['listen', { ...base, listen: '127.0.0.1:0' }],
      ['listen.host', { ...base, listen: { host: '', port: 0 } }],
      ['listen.host', { ...base, listen: { host: 1, port: 0 } }],
      ['listen.port', { ...base, listen: { host: 'h', port: -1 } }],
      ['listen.port', { ...base, listen: { host: 'h', port: 65536 } }],
      ['listen.port', { ...base, listen: { host: 'h', port: 1.5 } }],
      ['listen.port', { ...base, listen: { host: 'h', port: '80' } }],
      ['secret', { ...base, secret: 's'.repeat(MIN_SECRET_LENGTH - 1) }],
      ['secret', { ...base, secret: undefined }],
      ...(['maxMessageBytes', 'maxQueuedMessages', 'maxQueuedBytes'] as const).flatMap(
        (k): [string, unknown][] =>
          [0, -1, 1.5, Number.NaN, 2 ** 53, '5', null].map((v) => [k, { ...base, [k]: v }]),
      ),
      ['tls', { ...base, tls: null }],
      ['tls', { ...base, tls: 'c.pem' }],
      ['tls.certFile', { ...base, tls: { certFile: '', keyFile: 'k.pem' } }],
      ['tls.certFile', { ...base, tls: { keyFile: 'k.pem' } }],
      ['tls.keyFile', { ...base, tls: { certFile: 'c.pem', keyFile: '' } }],
      ['tls.keyFile', { ...base, tls: { certFile: 'c.pem', keyFile: 7 } }],
      ['tls.caFile', { ...base, tls: { certFile: 'c.pem', keyFile: 'k.pem', caFile: '' } }],
      ['tls.caFile', { ...base, tls: { certFile: 'c.pem', keyFile: 'k.pem', caFile: 1 } }],
      ['peers', { ...base, peers: null }],
      ['peers.a', { ...base, peers: { a: '127.0.0.1:1' } }],
    ]
    for (const [field, o] of bad) expect(rejects(o), JSON.stringify(o)).to.equal(field)
  })

  it('says what was wrong: the bound, and what it got', () => {
    const message = (o: unknown): string => {
      try {
        validateOptions(o as WsTransportOptions)
      } catch (e) {
        return (e as Error).message
      }
      return ''
    }
    expect(message({ ...base, id: '' })).to.include('non-empty string')
    expect(message({ ...base, id: 'x'.repeat(300) })).to.include(`${MAX_NODE_ID_BYTES} bytes`)
    expect(message({ ...base, listen: { host: 'h', port: 70000 } })).to.include('got 70000')
    expect(message({ ...base, secret: 'short' })).to.include('got 5 characters')
    expect(message({ ...base, secret: 12 })).to.include('got number')
    expect(message({ ...base, maxQueuedBytes: -3 })).to.include('got -3')
    const texts: [unknown, string][] = [
      [null, 'createWsTransport needs an options object'],
      [{ ...base, listen: null }, 'must be { host, port }'],
      [{ ...base, listen: { host: '', port: 0 } }, 'must be a host name or address, got '],
      [{ ...base, maxMessageBytes: 0 }, 'must be a positive integer, got 0'],
      [{ ...base, maxQueuedMessages: 0.5 }, 'must be a positive integer, got 0.5'],
      [{ ...base, tls: null }, 'must be { certFile, keyFile, caFile? }'],
      [{ ...base, tls: { certFile: '', keyFile: 'k' } }, 'must be a path to a PEM file'],
      [
        { ...base, tls: { certFile: 'c', keyFile: 'k', caFile: '' } },
        'must be a path to a PEM file',
      ],
      [{ ...base, peers: null }, 'must be an object { [nodeId]: "host:port" }'],
      [{ ...base, peers: { '': 'h:1' } }, 'a peer id must be a non-empty string'],
      [
        { ...base, peers: { ['x'.repeat(300)]: 'h:1' } },
        `a peer id must be at most ${MAX_NODE_ID_BYTES} bytes of UTF-8`,
      ],
      [{ ...base, peers: { a: 'h:1' } }, 'lists this node itself: peers are the OTHER nodes'],
      [{ ...base, peers: { b: '' } }, 'must be "host:port" or a ws:// URL, got '],
      [{ ...base, peers: { b: 7 } }, 'must be "host:port" or a ws:// URL, got 7'],
      [{ ...base, peers: { b: 'h:x' } }, '"h:x" is not "host:port" or a ws:// URL'],
      [{ ...base, peers: { b: 'h' } }, '"h" needs a host and an explicit port'],
    ]
    for (const [o, text] of texts) expect(message(o), text).to.include(text)
  })
})

describe('WsTransportOptions: checkSecret, peerUrls, resolvedLimits, readTls', function () {
  it(`checkSecret takes strings of at least ${MIN_SECRET_LENGTH} characters (not bytes)`, () => {
    expect(() => checkSecret(twoByte(MIN_SECRET_LENGTH))).to.not.throw()
    expect(fieldOf(() => checkSecret(twoByte(MIN_SECRET_LENGTH - 1)))).to.equal('secret')
    expect(fieldOf(() => checkSecret(['x'.repeat(40)]))).to.equal('secret')
  })

  it('peerUrls: "host:port" gets ws:// (wss:// with TLS), URLs stay as they are', () => {
    const peers = { b: 'h1:1', c: 'ws://h2:2', d: 'WSS://h3:3', e: '[::1]:4' }
    expect([...peerUrls('a', peers, false)]).to.deep.equal([
      ['b', 'ws://h1:1/'],
      ['c', 'ws://h2:2/'],
      ['d', 'wss://h3:3/'],
      ['e', 'ws://[::1]:4/'],
    ])
    expect(peerUrls('a', { b: 'h1:1', c: 'ws://h2:2' }, true).get('b')).to.equal('wss://h1:1/')
    expect(peerUrls('a', { b: 'h1:1', c: 'ws://h2:2' }, true).get('c')).to.equal('ws://h2:2/')
  })

  it('peerUrls refuses other shapes, naming "peers" or the peer', () => {
    const bad: [string, unknown][] = [
      ['peers', null],
      ['peers', ['h:1']],
      ['peers', 'h:1'],
      ['peers', { '': 'h:1' }],
      ['peers', { ['x'.repeat(MAX_NODE_ID_BYTES + 1)]: 'h:1' }],
      ['peers', { [twoByte(MAX_NODE_ID_BYTES / 2 + 1)]: 'h:1' }],
      ['peers.a', { a: 'h:1' }],
      ['peers.b', { b: '' }],
      ['peers.b', { b: 5 }],
      ['peers.b', { b: 'h' }],
      ['peers.b', { b: 'ws://h' }],
      ['peers.b', { b: 'u:p@h:1' }],
      ['peers.b', { b: 'ws://u@h:1' }],
      ['peers.b', { b: 'ws://:p@h:1' }],
      ['peers.b', { b: 'ws://:1' }],
      ['peers.b', { b: 'not an address' }],
      // Only ws:// and wss:// at the start make a URL: "host:port" of anything else is refused.
      ['peers.b', { b: 'http+ws://h:1' }],
      ['peers.b', { b: 'http://h:1' }],
    ]
    for (const [field, peers] of bad)
      expect(
        fieldOf(() => peerUrls('a', peers as Record<string, string>, false)),
        JSON.stringify(peers),
      ).to.equal(field)
    expect(peerUrls('a', { ['x'.repeat(MAX_NODE_ID_BYTES)]: 'h:1' }, false).size).to.equal(1)
  })

  it('resolvedLimits: the defaults, or the values given', () => {
    expect(resolvedLimits(base)).to.deep.equal({
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      maxQueuedMessages: DEFAULT_MAX_QUEUED_MESSAGES,
      maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES,
    })
    expect(
      resolvedLimits({
        ...base,
        maxMessageBytes: 1,
        maxQueuedMessages: 2,
        maxQueuedBytes: 3,
      }),
    ).to.deep.equal({
      maxMessageBytes: 1,
      maxQueuedMessages: 2,
      maxQueuedBytes: 3,
    })
  })

  it('readTls reads the three files, or names the one it cannot read', async () => {
    expect(await readTls(undefined)).to.equal(undefined)
    const dir = mkdtempSync(join(tmpdir(), 'raftkit-tls-opts-'))
    try {
      for (const f of ['c', 'k', 'ca']) writeFileSync(join(dir, f), f.toUpperCase())
      const [c, k, ca] = ['c', 'k', 'ca'].map((f) => join(dir, f)) as [string, string, string]
      const text = (m: object | undefined): Record<string, string> =>
        Object.fromEntries(Object.entries(m ?? {}).map(([key, v]) => [key, String(v)]))
      expect(text(await readTls({ certFile: c, keyFile: k }))).to.deep.equal({
        cert: 'C',
        key: 'K',
      })
      expect(text(await readTls({ certFile: c, keyFile: k, caFile: ca }))).to.deep.equal({
        cert: 'C',
        key: 'K',
        ca: 'CA',
      })
      const missing = join(dir, 'missing')
      for (const [field, tls] of [
        ['tls.certFile', { certFile: missing, keyFile: k }],
        ['tls.keyFile', { certFile: c, keyFile: missing }],
        ['tls.caFile', { certFile: c, keyFile: k, caFile: missing }],
      ] as const) {
        const e = await readTls(tls).then(
          () => null,
          (x: unknown) => x,
        )
        expect(e, field).to.be.instanceOf(ConfigError)
        expect((e as ConfigError).field).to.equal(field)
        expect((e as ConfigError).message).to.include(`cannot read ${missing}`)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
