/**
 * What a hostile or broken client can make the WebSocket RPC endpoint do: a frame over the
 * largest request is refused (1009) before its payload is read; a frame that is not a request
 * closes the connection (1002), a malformed request with an id is answered BAD_REQUEST and the
 * connection goes on; at rpcMaxInFlight the node stops reading the connection (frames it had
 * already read are answered BUSY); RPC connections count against maxConnections; an idle
 * connection is closed (4000), one with a request in flight is not; a client that does not read
 * its answers past rpcMaxUnsentBytes is disconnected, one that reads a large burst late is not;
 * browser pages (Origin), other paths and other protocols cannot upgrade; a stopping node
 * answers what is in flight, then closes (1001).
 * The node under the endpoint is a stand-in that holds every request until the test releases it.
 */
import { expect } from 'chai'
import type { KvReply } from '../src/rpc.js'
import type { KvServer } from '../src/server.js'
import { KvHttpServer } from '../src/http/server.js'
import type { HttpLimits } from '../src/http/limits.js'
import {
  FRAME_HEAD,
  RPC_OP,
  decodeAnswer,
  encodeRequest,
  maxRequestFrame,
} from '../src/http/ws-protocol.js'
import { call } from './http-helpers.js'
import { RawWs } from './ws-raw.js'

/** A KvServer stand-in: leads, and holds every request until release(). */
class HoldingKv {
  held: Array<() => void> = []
  /** What a get answers after the key (a long value makes long answers). */
  suffix = ''
  isLeader(): boolean {
    return true
  }
  raftStatus(): undefined {
    return undefined
  }
  get stats(): { appliedIndex: number; keys: number; sessions: number } {
    return { appliedIndex: 0, keys: 0, sessions: 0 }
  }
  getThen(key: string, done: (r: KvReply) => void): void {
    this.held.push(() => done({ ok: true, value: `v-${key}${this.suffix}` }))
  }
  put(): Promise<KvReply> {
    return new Promise((resolve) => this.held.push(() => resolve({ ok: true, value: '' })))
  }
  release(n = Infinity): void {
    for (const f of this.held.splice(0, n)) f()
  }
}

const get = (id: number, key = 'k'): Buffer =>
  RawWs.frame(encodeRequest(id, { op: RPC_OP.GET, key }))

describe('WebSocket RPC endpoint: bounds and hostile input', function () {
  this.timeout(20_000)
  let kv: HoldingKv
  let server: KvHttpServer
  const raws: RawWs[] = []
  async function start(limits: Partial<HttpLimits> = {}): Promise<void> {
    kv = new HoldingKv()
    server = await KvHttpServer.start({
      kv: kv as unknown as KvServer,
      httpAddresses: {},
      maxKeyBytes: 64,
      maxValueBytes: 1024,
      limits,
    })
  }
  async function open(path?: string, headers?: string, upgrade?: string): Promise<RawWs> {
    const r = await RawWs.open(server.address, path, headers, upgrade)
    raws.push(r)
    return r
  }
  afterEach(async () => {
    for (const r of raws.splice(0)) r.destroy()
    kv.release()
    await server.close()
  })

  it('a frame over the largest request closes the connection (1009) before its payload is read', async () => {
    await start()
    const ws = await open()
    expect(ws.status).to.equal(101)
    // Only the header of a 10 MB binary frame: the server must refuse it from the length alone.
    const header = Buffer.alloc(14)
    header[0] = 0x82
    header[1] = 0x80 | 127
    header.writeBigUInt64BE(10_000_000n, 2)
    ws.socket.write(header)
    await ws.until(() => ws.ended)
    expect(ws.closeCode).to.equal(1009)
    // A frame of exactly the largest request is read (and answered).
    const ok = await open()
    const frame = Buffer.alloc(maxRequestFrame(64, 1024))
    frame[0] = RPC_OP.GET
    frame.writeUInt32BE(5, 1)
    ok.socket.write(RawWs.frame(frame))
    await ok.until(() => ok.answers.length === 1)
    expect(decodeAnswer(ok.answers[0]!)).to.deep.include({ id: 5, ok: false, code: 'BAD_REQUEST' })
  })

  for (const [what, bytes] of [
    ['a text frame', RawWs.frame(Buffer.from('hello'), 1)],
    ['a frame shorter than op + id', RawWs.frame(Buffer.from([RPC_OP.GET, 0, 0]))],
    ['a frame of an unknown op', RawWs.frame(Buffer.from([99, 0, 0, 0, 1]))],
  ] as const)
    it(`${what} closes the connection with 1002`, async () => {
      await start()
      const ws = await open()
      ws.socket.write(bytes)
      await ws.until(() => ws.closeCode !== undefined)
      expect(ws.closeCode).to.equal(1002)
    })

  it('a malformed request with an id is answered BAD_REQUEST and the connection goes on', async () => {
    await start()
    const ws = await open()
    const bad = Buffer.concat([encodeRequest(1, { op: RPC_OP.GET, key: 'k' }), Buffer.from([0])])
    const badUtf8 = encodeRequest(2, { op: RPC_OP.GET, key: 'kk' })
    badUtf8[FRAME_HEAD + 2] = 0xff
    const badSeq = encodeRequest(3, { op: RPC_OP.PUT, key: 'k', value: 'v', clientId: 'c', seq: 1 })
    badSeq.writeDoubleBE(0.5, FRAME_HEAD)
    ws.socket.write(Buffer.concat([RawWs.frame(bad), RawWs.frame(badUtf8), RawWs.frame(badSeq)]))
    await ws.until(() => ws.answers.length === 3)
    const codes = ws.answers.map((a) => {
      const d = decodeAnswer(a)
      return [d.id, d.ok ? 'OK' : d.code]
    })
    expect(codes).to.deep.equal([
      [1, 'BAD_REQUEST'],
      [2, 'BAD_KEY'],
      [3, 'BAD_SESSION'],
    ])
    ws.socket.write(get(4))
    await ws.until(() => kv.held.length === 1)
    kv.release()
    await ws.until(() => ws.answers.length === 4)
    expect(decodeAnswer(ws.answers[3]!)).to.deep.equal({ id: 4, ok: true, value: 'v-k' })
  })

  it('at rpcMaxInFlight the node stops reading the connection; frames already read are answered BUSY', async () => {
    await start({ rpcMaxInFlight: 3 })
    const ws = await open()
    ws.socket.write(Buffer.concat([1, 2, 3, 4, 5].map((i) => get(i))))
    await ws.until(() => ws.answers.length === 2)
    expect(ws.answers.map((a) => decodeAnswer(a))).to.deep.equal(
      [4, 5].map((id) => ({
        id,
        ok: false,
        code: 'BUSY',
        message:
          'too many requests in flight on this connection (http.rpcMaxInFlight = 3); retry shortly',
        leader: undefined,
      })),
    )
    expect(kv.held).to.have.length(3)
    // Not read while three are in flight...
    ws.socket.write(get(6))
    await new Promise((r) => setTimeout(r, 200))
    expect(kv.held).to.have.length(3)
    // ...and read once one is answered.
    kv.release(1)
    await ws.until(() => kv.held.length === 3 && ws.answers.length === 3)
    kv.release()
    await ws.until(() => ws.answers.length === 6)
    const ok = ws.answers.slice(2).map((a) => decodeAnswer(a))
    expect(ok.map((a) => a.id).sort()).to.deep.equal([1, 2, 3, 6])
    expect(ok.every((a) => a.ok)).to.equal(true)
  })

  it('a client that does not take its answers is disconnected once they take the node past rpcMaxUnsentBytes', async () => {
    await start({ rpcMaxUnsentBytes: 8 * 1024 * 1024 })
    kv.suffix = 'x'.repeat(256 * 1024)
    const ws = await open()
    ws.socket.pause() // reads nothing from now on
    // 160 reads whose answers (40 MiB) are more than the kernel's socket buffers and 8 MiB.
    ws.socket.write(Buffer.concat(Array.from({ length: 160 }, (_, i) => get(i + 1))))
    await ws.until(() => kv.held.length === 160)
    kv.release()
    // Dropped: what the kernel had taken arrives, then the end, far short of all 160.
    ws.socket.resume()
    await ws.until(() => ws.ended)
    expect(ws.answers.length).to.be.greaterThan(0)
    expect(ws.answers.length).to.be.lessThan(160)
    expect(ws.closeCode).to.equal(undefined) // dropped, not closed by a handshake
  })

  it('a burst of large answers under rpcMaxUnsentBytes is delivered whole to a client that reads late', async () => {
    await start()
    kv.suffix = 'x'.repeat(256 * 1024)
    const ws = await open()
    ws.socket.pause()
    ws.socket.write(Buffer.concat(Array.from({ length: 160 }, (_, i) => get(i + 1))))
    await ws.until(() => kv.held.length === 160)
    kv.release() // 40 MiB of answers in one tick
    await new Promise((r) => setTimeout(r, 100))
    ws.socket.resume()
    await ws.until(() => ws.answers.length === 160)
    expect(ws.ended).to.equal(false)
    const ids = ws.answers.map((a) => decodeAnswer(a).id).sort((a, b) => a - b)
    expect(ids).to.deep.equal(Array.from({ length: 160 }, (_, i) => i + 1))
  })

  it('RPC connections count against maxConnections', async () => {
    await start({ maxConnections: 2 })
    const a = await open()
    const b = await open()
    expect([a.status, b.status]).to.deep.equal([101, 101])
    const c = await open()
    expect(c.status).to.equal(0)
    expect(c.ended).to.equal(true)
    expect(
      await call(`http://${server.address}/v1/status`).catch((e: Error) => e),
    ).to.be.instanceOf(Error)
    a.destroy()
    await a.until(() => a.ended)
    let d = await open()
    // The server may not have seen a's close yet when d arrives: retry a few times.
    for (let i = 0; i < 50 && d.status !== 101; i++) {
      await new Promise((r) => setTimeout(r, 20))
      d = await open()
    }
    expect(d.status).to.equal(101)
  })

  it('an idle connection is closed (4000); one with a request in flight is not', async () => {
    await start({ rpcIdleTimeoutMs: 100 })
    const idle = await open()
    const busy = await open()
    busy.socket.write(get(1))
    await busy.until(() => kv.held.length === 1)
    await idle.until(() => idle.closeCode !== undefined)
    expect(idle.closeCode).to.equal(4000)
    await new Promise((r) => setTimeout(r, 300))
    expect(busy.closeCode).to.equal(undefined)
    kv.release()
    await busy.until(() => busy.closeCode !== undefined)
    expect(busy.answers).to.have.length(1)
    expect(busy.closeCode).to.equal(4000)
  })

  it('browser pages (an Origin header), other paths and other protocols cannot upgrade', async () => {
    await start()
    expect((await open('/v1/rpc', 'Origin: https://evil.example\r\n')).status).to.equal(403)
    expect((await open('/v1/kv/x')).status).to.equal(404)
    const h2c = await open('/v1/kv/x', '', 'h2c')
    expect(h2c.status).to.equal(400)
    expect((await open('/v1/rpc?x=1')).status).to.equal(101)
  })

  it('a stopping node answers the requests in flight, refuses new ones (STOPPED), then closes (1001)', async () => {
    await start()
    const ws = await open()
    ws.socket.write(get(1))
    await ws.until(() => kv.held.length === 1)
    server.stopAccepting()
    ws.socket.write(get(2))
    await ws.until(() => ws.answers.length === 1)
    expect(decodeAnswer(ws.answers[0]!)).to.deep.include({ id: 2, ok: false, code: 'STOPPED' })
    expect(ws.closeCode).to.equal(undefined)
    kv.release()
    await ws.until(() => ws.closeCode !== undefined)
    expect(decodeAnswer(ws.answers[1]!)).to.deep.equal({ id: 1, ok: true, value: 'v-k' })
    expect(ws.closeCode).to.equal(1001)
  })
})
