/**
 * A store returns exactly the bytes it was given (issue 11, item 1): a value that starts with a
 * UTF-8 byte-order mark keeps it on every path — the HTTP API, HttpKvRpc/KvClient, the CLI and
 * snapshots — and arbitrary byte strings round-trip wherever the API accepts them (values are
 * non-empty, valid UTF-8; anything else is refused with 400 and stores nothing).
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { SystemClock } from '@raftkit/raft-core'
import { runCli } from '../src/cli/commands.js'
import { KvClient } from '../src/client.js'
import { HttpKvRpc } from '../src/http/client-rpc.js'
import { KvStateMachine } from '../src/state-machine.js'
import { encodeCommand } from '../src/ops.js'
import { call } from './http-helpers.js'
import { SingleNode } from './single-node.js'

const BOM = Buffer.from([0xef, 0xbb, 0xbf])
const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function validUtf8(b: Uint8Array): boolean {
  try {
    STRICT.decode(b)
    return true
  } catch {
    return false
  }
}

describe('exact bytes', function () {
  this.timeout(60_000)
  let node: SingleNode
  before(async () => {
    node = await SingleNode.start({ http: { maxValueBytes: 4096 } })
  })
  after(async () => {
    await node.stop()
  })

  it('HTTP: a value starting with a BOM is stored and read back with it (PUT and append)', async () => {
    const value = Buffer.concat([BOM, Buffer.from('hello')])
    expect((await node.write('put', 'bom', value)).status).to.equal(204)
    expect((await call(node.url('/v1/kv/bom'))).bytes).to.deep.equal(value)
    expect((await node.write('append', 'bom2', value)).status).to.equal(204)
    expect((await node.write('append', 'bom2', BOM)).status).to.equal(204)
    const got = (await call(node.url('/v1/kv/bom2'))).bytes
    expect(got).to.deep.equal(Buffer.concat([value, BOM]))
  })

  it('HTTP: arbitrary byte strings round-trip when valid UTF-8, and are refused (400, nothing stored) otherwise', async () => {
    let n = 0
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          fc
            .string({ unit: 'binary', minLength: 1, maxLength: 32 })
            .map((s) => new Uint8Array(Buffer.concat([BOM, Buffer.from(s, 'utf8')]))),
        ),
        async (bytes) => {
          const key = `p${n++}`
          const value = Buffer.from(bytes)
          const put = await node.write('put', key, value)
          const got = await call(node.url(`/v1/kv/${key}`))
          if (validUtf8(bytes)) {
            expect(put.status).to.equal(204)
            expect(got.bytes).to.deep.equal(value)
          } else {
            expect(put.status).to.equal(400)
            expect(JSON.parse(put.body)).to.include({ error: 'BAD_VALUE' })
            expect(got.status).to.equal(404)
          }
        },
      ),
      { numRuns: 150, seed: 20261204 },
    )
  })

  it('KvClient over HttpKvRpc keeps a leading BOM both ways', async () => {
    const rpc = new HttpKvRpc({ endpoints: { n1: node.http.address } })
    const client = new KvClient({ servers: ['n1'], rpc, clock: new SystemClock() })
    try {
      await client.put('kc', '\ufeffv')
      await client.append('kc', '\ufeffw')
      expect(await client.get('kc')).to.equal('\ufeffv\ufeffw')
      expect(node.kv.stateMachine.get('kc')).to.equal('\ufeffv\ufeffw')
    } finally {
      client.close()
      rpc.close()
    }
  })

  it('the CLI keeps a leading BOM (put, then get prints it)', async () => {
    let out = ''
    const io = {
      out: (t: string) => (out += t),
      err: () => undefined,
      interrupted: new Promise<void>(() => undefined),
    }
    const endpoints = ['--endpoints', node.http.address]
    expect(await runCli(['put', 'cli', '\ufeffx', ...endpoints], io)).to.equal(0)
    out = ''
    expect(await runCli(['get', 'cli', ...endpoints], io)).to.equal(0)
    expect(Buffer.from(out)).to.deep.equal(Buffer.concat([BOM, Buffer.from('x\n')]))
  })

  it('snapshots: any string keys and values (a BOM first included) survive snapshot and restore', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' })), {
          maxLength: 20,
        }),
        (pairs) => {
          const sm = new KvStateMachine()
          sm.apply(encodeCommand({ op: 'open', clientId: 'c' }), 1)
          let seq = 0
          for (const [k, v] of [['\ufeffk', '\ufeffv'] as const, ...pairs])
            sm.apply(
              encodeCommand({ op: 'put', key: k, value: v, clientId: 'c', seq: ++seq }),
              seq + 1,
            )
          const copy = new KvStateMachine()
          copy.restore(sm.snapshot())
          for (const [k] of pairs) expect(copy.get(k)).to.equal(sm.get(k))
          expect(copy.get('\ufeffk')).to.equal('\ufeffv')
          expect(copy.snapshot()).to.deep.equal(sm.snapshot())
        },
      ),
      { numRuns: 200, seed: 11 },
    )
  })
})
