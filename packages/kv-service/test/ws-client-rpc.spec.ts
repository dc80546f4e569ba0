/**
 * WsKvRpc against scripted WebSocket servers on 127.0.0.1 (ports chosen at run time): the frame
 * each operation sends, the error code → KvReply mapping (leader hints by id or address), many
 * calls in flight on one connection matched by id, timeouts (a late answer is never taken for
 * another call's), a lost connection failing its calls at once as "outcome unknown", dialling
 * again after a loss, a request larger than the server accepts, close().
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import { TimeoutError } from '@raftkit/raft-core'
import type { WebSocket } from 'ws'
import { WebSocketServer } from 'ws'
import type { KvReply, KvRequest } from '../src/index.js'
import { WsKvRpc } from '../src/index.js'
import type { RawRpcRequest, RpcErrorCode } from '../src/http/ws-protocol.js'
import {
  MAX_FRAME_HEADER,
  RPC_OP,
  decodeRequest,
  encodeError,
  encodeOk,
} from '../src/http/ws-protocol.js'
import { rejection } from './checks.js'

type Script = (r: RawRpcRequest, ws: WebSocket) => void

class ScriptedWsServer {
  readonly seen: RawRpcRequest[] = []
  readonly sockets = new Set<WebSocket>()
  connections = 0
  private readonly server: Server
  private readonly wss: WebSocketServer
  constructor(
    public script: Script,
    maxFrame?: number,
  ) {
    this.server = createServer((_req, res) => res.writeHead(404).end())
    this.wss = new WebSocketServer({ server: this.server, path: '/v1/rpc' })
    if (maxFrame !== undefined)
      this.wss.on('headers', (h: string[]) => h.push(`${MAX_FRAME_HEADER}: ${maxFrame}`))
    this.wss.on('connection', (ws) => {
      this.connections++
      this.sockets.add(ws)
      ws.on('close', () => this.sockets.delete(ws))
      ws.on('message', (data: Buffer) => {
        const r = decodeRequest(data)
        this.seen.push(r)
        this.script(r, ws)
      })
    })
  }
  async start(port = 0): Promise<string> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r))
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }
  dropAll(): void {
    for (const ws of this.sockets) ws.terminate()
  }
  async stop(): Promise<void> {
    this.dropAll()
    this.wss.close()
    this.server.closeAllConnections()
    await new Promise((r) => this.server.close(r))
  }
}

const put = (key: string, value: string, seq = 1): KvRequest => ({
  type: 'put',
  key,
  value,
  clientId: 'c1',
  seq,
})
const ok: Script = (r, ws) => ws.send(encodeOk(r.id, r.op === RPC_OP.GET ? 'val' : ''))

describe('WsKvRpc (scripted servers)', function () {
  this.timeout(10_000)
  const servers: ScriptedWsServer[] = []
  const rpcs: WsKvRpc[] = []
  afterEach(async () => {
    for (const r of rpcs.splice(0)) r.close()
    for (const s of servers.splice(0)) await s.stop()
  })
  async function serve(script: Script, maxFrame?: number): Promise<[ScriptedWsServer, string]> {
    const s = new ScriptedWsServer(script, maxFrame)
    servers.push(s)
    return [s, await s.start()]
  }
  function rpcOf(endpoints: Record<string, string>): WsKvRpc {
    const r = new WsKvRpc({ endpoints, reconnect: { initialMs: 1, maxMs: 1 } })
    rpcs.push(r)
    return r
  }

  it('sends each operation as its frame: writes with their session, open with nothing', async () => {
    const [s, address] = await serve((r, ws) =>
      ws.send(encodeOk(r.id, r.op === RPC_OP.OPEN ? 's-issued' : 'val')),
    )
    const rpc = rpcOf({ a: address })
    expect(await rpc.call('me', 'a', { type: 'get', key: 'k/ü' }, 2000)).to.deep.equal({
      ok: true,
      value: 'val',
    })
    expect(await rpc.call('me', 'a', put('k', 'v€', 7), 2000)).to.deep.equal({
      ok: true,
      value: '',
    })
    expect(
      await rpc.call(
        'me',
        'a',
        { type: 'append', key: 'k', value: 'w', clientId: 'c2', seq: 8 },
        2000,
      ),
    ).to.deep.equal({ ok: true, value: '' })
    expect(await rpc.call('me', 'a', { type: 'open', clientId: 'ignored' }, 2000)).to.deep.equal({
      ok: true,
      value: 's-issued',
    })
    const [get, p, a, o] = s.seen
    expect(get?.op === RPC_OP.GET && get.key.toString()).to.equal('k/ü')
    if (p?.op !== RPC_OP.PUT) throw new Error('expected a put')
    expect([p.key.toString(), p.value.toString(), p.clientId.toString(), p.seq]).to.deep.equal([
      'k',
      'v€',
      'c1',
      7,
    ])
    expect(a?.op).to.equal(RPC_OP.APPEND)
    expect(o).to.deep.equal({ op: RPC_OP.OPEN, id: o?.id })
    expect(s.connections).to.equal(1)
  })

  it('maps error codes to replies; leader hints name an endpoint by id or by address', async () => {
    let answer: { code: RpcErrorCode; leader?: { id: string; address: string } } = {
      code: 'BUSY',
    }
    const [, address] = await serve((r, ws) =>
      ws.send(encodeError(r.id, answer.code, 'msg', answer.leader)),
    )
    const [, other] = await serve(ok)
    const rpc = rpcOf({ a: address, b: other })
    const reply = async (
      code: RpcErrorCode,
      leader?: { id: string; address: string },
    ): Promise<KvReply> => {
      answer = { code, ...(leader ? { leader } : {}) }
      return rpc.call('me', 'a', put('k', 'v'), 2000)
    }
    const wrong = (hint: string | null): KvReply => ({
      ok: false,
      error: 'WRONG_LEADER',
      leaderHint: hint,
    })
    expect(await reply('NOT_LEADER', { id: 'b', address: '10.9.9.9:1' })).to.deep.equal(wrong('b'))
    expect(await reply('NOT_LEADER', { id: 'n7', address: other })).to.deep.equal(wrong('b'))
    expect(await reply('NOT_LEADER', { id: 'n7', address: '10.9.9.9:1' })).to.deep.equal(
      wrong(null),
    )
    expect(await reply('NO_LEADER', { id: 'b', address: '' })).to.deep.equal(wrong('b'))
    expect(await reply('NO_LEADER')).to.deep.equal(wrong(null))
    expect(await reply('BUSY')).to.deep.equal(wrong(null))
    expect(await reply('STOPPED')).to.deep.equal({ ok: false, error: 'STOPPED' })
    expect(await reply('SESSION_EXPIRED')).to.deep.equal({ ok: false, error: 'SESSION_EXPIRED' })
    expect(await reply('REQUEST_CONFLICT')).to.deep.equal({
      ok: false,
      error: 'CONFLICT',
      message: 'msg',
    })
    expect(await reply('VALUE_TOO_LARGE')).to.deep.equal({
      ok: false,
      error: 'TOO_LARGE',
      message: 'msg',
    })
    for (const code of ['KEY_TOO_LARGE', 'EMPTY_KEY', 'BAD_VALUE', 'BAD_SESSION'] as const)
      expect(await reply(code)).to.deep.equal({
        ok: false,
        error: 'BAD_REQUEST',
        message: `${code}: msg`,
      })
    for (const code of ['TIMEOUT', 'INTERNAL'] as const)
      expect(await reply(code)).to.deep.equal({ ok: false, error: 'TIMEOUT' })
  })

  it('many calls in flight on one connection, answered out of order, each get their own answer', async () => {
    const held: RawRpcRequest[] = []
    const [s, address] = await serve((r, ws) => {
      held.push(r)
      if (held.length === 20)
        for (const h of held.reverse())
          ws.send(encodeOk(h.id, h.op === RPC_OP.GET ? h.key.toString() : ''))
    })
    const rpc = rpcOf({ a: address })
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`)
    const replies = await Promise.all(
      keys.map((key) => rpc.call('me', 'a', { type: 'get', key }, 5000)),
    )
    expect(replies.map((r) => (r.ok ? r.value : r.error))).to.deep.equal(keys)
    expect(s.connections).to.equal(1)
  })

  it('no answer in time is a TimeoutError; the late answer is never taken for the next call', async () => {
    let late: (() => void) | undefined
    const [s, address] = await serve((r, ws) => {
      const key = r.op === RPC_OP.GET ? r.key.toString() : ''
      if (key === 'slow') late = () => ws.send(encodeOk(r.id, 'slow-value'))
      else {
        if (key === 'fast') late?.()
        ws.send(encodeOk(r.id, `${key}-value`))
      }
    })
    const rpc = rpcOf({ a: address })
    const slow = rpc.call('me', 'a', { type: 'get', key: 'slow' }, 300)
    // Answered while the slow one waits: the connection is alive, and is kept.
    expect(await rpc.call('me', 'a', { type: 'get', key: 'other' }, 2000)).to.deep.equal({
      ok: true,
      value: 'other-value',
    })
    expect(await rejection(slow)).to.be.instanceOf(TimeoutError)
    // The slow answer arrives just before this one's, on the same connection.
    expect(await rpc.call('me', 'a', { type: 'get', key: 'fast' }, 2000)).to.deep.equal({
      ok: true,
      value: 'fast-value',
    })
    expect(s.connections).to.equal(1)
  })

  it('a call that times out with nothing received since it was sent drops the connection; the next dials again', async () => {
    let silent = true
    const [s, address] = await serve((r, ws) => {
      if (!silent) ws.send(encodeOk(r.id, 'back'))
    })
    const rpc = rpcOf({ a: address })
    expect(await rejection(rpc.call('me', 'a', { type: 'get', key: 'k' }, 200))).to.be.instanceOf(
      TimeoutError,
    )
    silent = false
    expect(await rpc.call('me', 'a', { type: 'get', key: 'k' }, 2000)).to.deep.equal({
      ok: true,
      value: 'back',
    })
    expect(s.connections).to.equal(2)
  })

  it('a lost connection fails its calls at once as TimeoutError (outcome unknown); the next call dials again', async () => {
    let drop = true
    const [s, address] = await serve((r, ws) => {
      if (drop) {
        if (s.seen.length === 3) s.dropAll()
      } else ws.send(encodeOk(r.id, 'again'))
    })
    const rpc = rpcOf({ a: address })
    // Their 60 s timers are far past the test's timeout: the loss fails them.
    const calls = [1, 2, 3].map((i) => rpc.call('me', 'a', put('k', 'v', i), 60_000))
    for (const c of calls) {
      const e = await rejection(c)
      expect(e).to.be.instanceOf(TimeoutError)
      expect(e.message).to.match(/may or may not have run/)
    }
    drop = false
    expect(await rpc.call('me', 'a', { type: 'get', key: 'k' }, 5000)).to.deep.equal({
      ok: true,
      value: 'again',
    })
    expect(s.connections).to.equal(2)
  })

  it('an unreachable server, an unknown name and a server without /v1/rpc are TimeoutErrors', async () => {
    const plain = createServer((_q, res) => res.writeHead(404).end())
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r))
    try {
      const rpc = rpcOf({
        dead: '127.0.0.1:1',
        plain: `127.0.0.1:${(plain.address() as AddressInfo).port}`,
      })
      for (const to of ['dead', 'nobody', 'plain'])
        expect(
          await rejection(rpc.call('me', to, { type: 'get', key: 'k' }, 2000)),
          to,
        ).to.be.instanceOf(TimeoutError)
    } finally {
      plain.closeAllConnections()
      await new Promise((r) => plain.close(r))
    }
  })

  it('a request larger than the server accepts is TOO_LARGE and never sent', async () => {
    const [s, address] = await serve(ok, 200)
    const rpc = rpcOf({ a: address })
    expect(await rpc.call('me', 'a', put('k', 'v'), 2000)).to.deep.equal({ ok: true, value: '' })
    const r = await rpc.call('me', 'a', put('k', 'v'.repeat(300)), 2000)
    expect(r).to.deep.include({ ok: false, error: 'TOO_LARGE' })
    expect(s.seen).to.have.length(1)
  })

  it('close() rejects calls under way with TimeoutError and refuses new ones', async () => {
    const [s, address] = await serve(() => undefined)
    const rpc = rpcOf({ a: address })
    const pending = rpc.call('me', 'a', { type: 'get', key: 'k' }, 60_000)
    while (s.seen.length === 0) await new Promise((r) => setTimeout(r, 5))
    rpc.close()
    expect(await rejection(pending)).to.be.instanceOf(TimeoutError)
    expect(await rejection(rpc.call('me', 'a', { type: 'get', key: 'k' }, 1000))).to.be.instanceOf(
      TimeoutError,
    )
  })
})
