import { expect } from 'chai'
import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import {
  ConfigError,
  MalformedMessageError,
  SimulatedClock,
  UnknownPeerError,
  createRng,
  encodeMessage,
} from '@raftkit/raft-core'
import type { AppendEntries, Message } from '@raftkit/raft-core'
import { CloseCode, createWsTransport } from '../src/index.js'
import {
  HOST,
  RawPeer,
  SECRET,
  addr,
  closeAll,
  logged,
  node,
  sleep,
  vote,
  voteReply,
  waitFor,
} from './helpers.js'

describe('ws transport', function () {
  this.timeout(30_000)
  afterEach(closeAll)

  describe('exchange', () => {
    it('two transports exchange messages both ways, as copies, with counters', async () => {
      const a = await node('a')
      const b = await node('b', { a: addr(a) })
      a.t.setPeers({ b: addr(b) })
      expect(a.t.port).to.be.greaterThan(0)
      const sent = vote('a', 'b', 3)
      a.t.send(sent)
      b.t.send(voteReply('b', 'a', 3))
      await waitFor(() => a.got.length === 1 && b.got.length === 1, 'one message each way')
      expect(b.got[0]).to.deep.equal(sent)
      expect(b.got[0]).to.not.equal(sent)
      expect(a.got[0]).to.deep.equal(voteReply('b', 'a', 3))
      const bytes = encodeMessage(sent).byteLength
      expect(a.t.stats()).to.include({ sent: 1, received: 1, bytesSent: bytes, dropped: 0 })
      expect(b.t.stats()).to.include({ received: 1, bytesReceived: bytes })
      expect(a.t.stats().connections).to.equal(2) // one outbound, one inbound
    })

    it('three transports all talk to each other, in order per pair', async () => {
      const ids = ['a', 'b', 'c']
      const nodes = await Promise.all(ids.map((id) => node(id)))
      nodes.forEach((n, i) =>
        n.t.setPeers(
          Object.fromEntries(
            ids.flatMap((id, j) => (j === i ? [] : [[id, addr(nodes[j]!)] as [string, string]])),
          ),
        ),
      )
      for (let term = 1; term <= 20; term++)
        for (const [i, from] of ids.entries())
          for (const to of ids) if (to !== from) nodes[i]!.t.send(vote(from, to, term))
      await waitFor(() => nodes.every((n) => n.got.length === 40), '40 messages at every node')
      for (const [i, n] of nodes.entries()) {
        for (const from of ids.filter((id) => id !== ids[i])) {
          const terms = n.got.filter((m) => m.from === from).map((m) => m.term)
          expect(terms).to.deep.equal(Array.from({ length: 20 }, (_, k) => k + 1))
        }
      }
    })

    it('send() refuses bad input with typed errors and changes nothing', async () => {
      const a = await node('a', { b: `${HOST}:1` })
      expect(() => a.t.send(vote('x', 'b'))).to.throw(MalformedMessageError)
      expect(() => a.t.send(vote('a', 'zz'))).to.throw(UnknownPeerError)
      expect(() => a.t.send({ type: 'Nope', from: 'a', to: 'b' } as unknown as Message)).to.throw(
        MalformedMessageError,
      )
      expect(a.t.stats()).to.include({ sent: 0, dropped: 0 })
      expect((a.t as unknown as { queued(p: string): number }).queued('b')).to.equal(0)
    })

    it('createWsTransport rejects bad options with ConfigError naming the field', async () => {
      const base = { id: 'a', listen: { host: HOST, port: 0 }, peers: {}, secret: SECRET }
      const bad: Array<[string, object]> = [
        ['id', { ...base, id: '' }],
        ['listen.port', { ...base, listen: { host: HOST, port: 70000 } }],
        ['secret', { ...base, secret: '' }],
        ['secret', { ...base, secret: 'x' }],
        ['secret', { ...base, secret: 'fifteen-chars-x' }],
        ['peers.a', { ...base, peers: { a: `${HOST}:1` } }],
        ['peers.b', { ...base, peers: { b: 'not an address' } }],
        ['peers.b', { ...base, peers: { b: HOST } }],
        ['maxQueuedMessages', { ...base, maxQueuedMessages: 0 }],
        ['maxQueuedBytes', { ...base, maxQueuedBytes: -1 }],
        ['maxMessageBytes', { ...base, maxMessageBytes: 1.5 }],
        ['tls.certFile', { ...base, tls: { certFile: '/nonexistent.pem', keyFile: '/x.pem' } }],
      ]
      for (const [field, options] of bad) {
        const error = await createWsTransport(options as never).then(
          () => null,
          (e: unknown) => e,
        )
        expect(error, field).to.be.instanceOf(ConfigError)
        expect((error as ConfigError).field, field).to.equal(field)
      }
      const a = await node('a')
      const taken = await createWsTransport({
        ...base,
        id: 'b',
        listen: { host: HOST, port: a.t.port },
      }).then(
        () => null,
        (e: unknown) => e,
      )
      expect(taken).to.be.instanceOf(ConfigError)
      expect(String(taken)).to.match(/EADDRINUSE/)
    })
  })

  describe('reconnect', () => {
    it('reconnects after a peer restarts on the same port and delivers what was queued', async () => {
      const a = await node('a')
      let b = await node('b', { a: addr(a) })
      const port = b.t.port
      a.t.setPeers({ b: addr(b) })
      a.t.send(vote('a', 'b', 1))
      await waitFor(() => b.got.length === 1, 'first message')
      await b.t.close()
      await waitFor(() => a.t.stats().connections === 0, 'a to notice b is gone')
      for (let term = 2; term <= 6; term++) a.t.send(vote('a', 'b', term))
      await sleep(150) // a few failed dials
      b = await node('b', { a: addr(a) }, { listen: { host: HOST, port } })
      await waitFor(() => b.got.length === 5, 'the 5 queued messages')
      expect(b.got.map((m) => m.term)).to.deep.equal([2, 3, 4, 5, 6])
      a.t.send(vote('a', 'b', 7))
      await waitFor(() => b.got.length === 6, 'a new message')
      expect(logged(a.log, 'info', 'connection to peer lost')).to.have.length(1)
    })

    it('setPeers() moves a peer to a new address', async () => {
      const a = await node('a')
      const b1 = await node('b', { a: addr(a) })
      a.t.setPeers({ b: addr(b1) })
      a.t.send(vote('a', 'b', 1))
      await waitFor(() => b1.got.length === 1, 'b1')
      await b1.t.close()
      const b2 = await node('b', { a: addr(a) })
      a.t.setPeers({ b: addr(b2) })
      a.t.send(vote('a', 'b', 2))
      await waitFor(() => b2.got.length === 1, 'b2')
      expect(() => a.t.setPeers({ b: 'nonsense' })).to.throw(ConfigError)
      a.t.send(vote('a', 'b', 3)) // the bad setPeers changed nothing
      await waitFor(() => b2.got.length === 2, 'b2 still reachable')
    })
  })

  describe('authentication', () => {
    it('rejects a wrong secret (logged on both ends) while a correct peer keeps working', async () => {
      const s = await node('s', { good: `${HOST}:1`, bad: `${HOST}:1` })
      const good = await node('good', { s: addr(s) })
      const bad = await node('bad', { s: addr(s) }, { secret: 'not-the-cluster-secret' })
      bad.t.send(vote('bad', 's'))
      good.t.send(vote('good', 's'))
      await waitFor(() => logged(s.log, 'warn', 'wrong cluster secret').length > 0, 'rejection')
      await waitFor(
        () => logged(bad.log, 'warn', 'peer refused the connection').length > 0,
        'bad told',
      )
      expect(logged(bad.log, 'warn', String(CloseCode.AuthFailed))).to.not.be.empty
      good.t.send(vote('good', 's', 2))
      await waitFor(() => s.got.length === 2, 'good peer messages')
      expect(s.got.every((m) => m.from === 'good')).to.equal(true)
      expect(bad.t.stats()).to.include({ sent: 0, connections: 0 })
    })

    it('a dialer rejects a listener that cannot prove the secret', async () => {
      const s = await node('s', { d: `${HOST}:1` }, { secret: 'another-cluster-secret' })
      const d = await node('d', { s: addr(s) })
      d.t.send(vote('d', 's'))
      await waitFor(() => logged(s.log, 'warn', 'wrong cluster secret').length > 0, 'rejection')
      expect(s.got).to.be.empty
    })

    it('rejects an unknown node id and a hello meant for another node', async () => {
      const s = await node('s', { a: `${HOST}:1` })
      const z = await node('z', { s: addr(s) })
      z.t.send(vote('z', 's'))
      await waitFor(() => logged(s.log, 'warn', 'unknown node id').length > 0, 'unknown id')
      await waitFor(() => logged(z.log, 'warn', String(CloseCode.UnknownNode)).length > 0, 'z told')
      const raw = await RawPeer.open(s.t.port)
      const err = await raw.handshake('a', 'q').then(
        () => null,
        (e: unknown) => e,
      )
      expect(err).to.be.instanceOf(Error)
      expect(await raw.closed).to.include({ code: CloseCode.WrongNode })
      expect(s.got).to.be.empty
    })

    it('never puts the secret on the wire', async () => {
      const b = await node('b', { a: `${HOST}:1` })
      const wire: Buffer[] = []
      const sockets: Socket[] = []
      const { connect } = await import('node:net')
      const proxy: Server = createServer((client) => {
        const upstream = connect(b.t.port, HOST)
        sockets.push(client, upstream)
        client.on('data', (d) => {
          wire.push(d)
          upstream.write(d)
        })
        upstream.on('data', (d) => {
          wire.push(d)
          client.write(d)
        })
        client.on('close', () => upstream.destroy())
        upstream.on('close', () => client.destroy())
        client.on('error', () => undefined)
        upstream.on('error', () => undefined)
      })
      await new Promise<void>((resolve) => proxy.listen(0, HOST, resolve))
      const port = (proxy.address() as { port: number }).port
      try {
        const a = await node('a', { b: `${HOST}:${port}` })
        a.t.send(vote('a', 'b'))
        await waitFor(() => b.got.length === 1, 'delivery through the proxy')
        const all = Buffer.concat(wire)
        expect(all.length).to.be.greaterThan(100)
        expect(all.includes(Buffer.from(SECRET))).to.equal(false)
      } finally {
        await closeAll()
        for (const s of sockets) s.destroy()
        await new Promise<void>((resolve) => proxy.close(() => resolve()))
      }
    })
  })

  describe('bad frames', () => {
    it('closes a connection that sends garbage, and only that one', async () => {
      const s = await node('s', { g: `${HOST}:1`, ok: `${HOST}:1` })
      const ok = await node('ok', { s: addr(s) })
      ok.t.send(vote('ok', 's', 1))
      await waitFor(() => s.got.length === 1, 'good peer connected')

      const early = await RawPeer.open(s.t.port)
      early.send(new Uint8Array([0xc1, 0xff, 0x00]))
      expect(await early.closed).to.include({ code: CloseCode.Protocol })

      const text = await RawPeer.open(s.t.port)
      text.send('hello?')
      expect(await text.closed).to.include({ code: CloseCode.Protocol })

      const g = await RawPeer.open(s.t.port)
      await g.handshake('g', 's')
      g.send(encodeMessage(vote('g', 's', 5))) // one valid message gets through
      await waitFor(() => s.got.some((m) => m.from === 'g'), 'valid frame from g')
      g.send(new Uint8Array([1, 2, 3]))
      g.send(encodeMessage(vote('ok', 's', 9))) // claims to come from another node
      g.send(encodeMessage({ from: 'g', to: 's' } as unknown as Message))
      const closed = await g.closed
      expect(closed.code).to.equal(CloseCode.Malformed)
      expect(logged(s.log, 'warn', 'dropped a malformed message')).to.have.length(3)
      expect(logged(s.log, 'warn', '3 malformed messages')).to.have.length(1)
      expect(s.got.filter((m) => m.from === 'g')).to.have.length(1)

      ok.t.send(vote('ok', 's', 2))
      await waitFor(
        () => s.got.filter((m) => m.from === 'ok').length === 2,
        'good peer still served',
      )
      expect(ok.t.stats().connections).to.equal(1)
    })

    it('refuses an oversize frame (closes that connection, logged) and keeps serving', async () => {
      const s = await node('s', { g: `${HOST}:1`, ok: `${HOST}:1` }, { maxMessageBytes: 1024 })
      const ok = await node('ok', { s: addr(s) })
      const g = await RawPeer.open(s.t.port)
      await g.handshake('g', 's')
      g.send(new Uint8Array(2000))
      expect((await g.closed).code).to.equal(CloseCode.TooBig)
      expect(logged(s.log, 'warn', 'Max payload size exceeded')).to.have.length(1)
      ok.t.send(vote('ok', 's'))
      await waitFor(() => s.got.length === 1, 'other peer served')
    })

    it('does not send a message larger than its own limit', async () => {
      const b = await node('b', { a: `${HOST}:1` })
      const a = await node('a', { b: addr(b) }, { maxMessageBytes: 1024 })
      const big: AppendEntries = {
        type: 'AppendEntries',
        from: 'a',
        to: 'b',
        term: 1,
        prevLogIndex: 0,
        prevLogTerm: 0,
        entries: [{ index: 1, term: 1, kind: 'command', data: new Uint8Array(4096) }],
        leaderCommit: 0,
      }
      a.t.send(big)
      a.t.send(vote('a', 'b'))
      await waitFor(() => b.got.length === 1, 'the small message')
      expect(b.got[0]!.type).to.equal('RequestVote')
      expect(a.t.stats().dropped).to.equal(1)
      expect(logged(a.log, 'warn', 'message too large')).to.have.length(1)
    })
  })

  describe('bounded queue', () => {
    /** Runs `body` with the port of a peer that accepts TCP but never answers; `held` are its sockets. */
    async function withBlackhole(body: (port: number, held: Socket[]) => Promise<void>) {
      const held: Socket[] = []
      const blackhole = createServer((socket) => {
        held.push(socket)
        socket.on('error', () => undefined)
      })
      await new Promise<void>((resolve) => blackhole.listen(0, HOST, resolve))
      try {
        await body((blackhole.address() as { port: number }).port, held)
      } finally {
        for (const s of held) s.destroy()
        await new Promise<void>((resolve) => blackhole.close(() => resolve()))
      }
    }

    it('holds at most maxQueuedMessages for a peer that accepts TCP but never answers', async () => {
      await withBlackhole(async (port, held) => {
        const a = await node('a', { b: `${HOST}:${port}` }, { maxQueuedMessages: 100 })
        for (let term = 1; term <= 1000; term++) a.t.send(vote('a', 'b', term))
        const queued = (a.t as unknown as { queued(p: string): number }).queued('b')
        expect(queued).to.equal(100)
        expect(a.t.stats()).to.include({ sent: 0, dropped: 900, connections: 0 })
        await waitFor(() => held.length === 1, 'the dial to reach the black hole')
        await a.t.close()
        expect((a.t as unknown as { queued(p: string): number }).queued('b')).to.equal(0)
      })
    })

    it('holds at most maxQueuedBytes for a peer that accepts TCP but never answers, dropping the oldest', async () => {
      await withBlackhole(async (port) => {
        // 4 KiB appends against a 20 KiB bound: 4 fit with the next one (5 would be > 20 KiB).
        const a = await node('a', { b: `${HOST}:${port}` }, { maxQueuedBytes: 20 * 1024 })
        const append = (term: number): Message => ({
          type: 'AppendEntries',
          from: 'a',
          to: 'b',
          term,
          prevLogIndex: 0,
          prevLogTerm: 0,
          entries: [{ index: 1, term, kind: 'command', data: new Uint8Array(4096) }],
          leaderCommit: 0,
        })
        for (let term = 1; term <= 50; term++) a.t.send(append(term))
        const queued = (a.t as unknown as { queued(p: string): number }).queued('b')
        expect(queued).to.equal(4)
        expect(a.t.stats()).to.include({ sent: 0, dropped: 46 })
        // Small messages still fit beside them, up to the bound.
        a.t.send(vote('a', 'b', 51))
        expect((a.t as unknown as { queued(p: string): number }).queued('b')).to.equal(5)
        await a.t.close()
      })
    })

    it('keeps the newest messages for a dead peer and delivers them once it appears', async () => {
      const probe = createServer()
      await new Promise<void>((resolve) => probe.listen(0, HOST, resolve))
      const port = (probe.address() as { port: number }).port
      await new Promise<void>((resolve) => probe.close(() => resolve()))
      const a = await node('a', { b: `${HOST}:${port}` }, { maxQueuedMessages: 10 })
      for (let term = 1; term <= 50; term++) a.t.send(vote('a', 'b', term))
      const b = await node('b', { a: addr(a) }, { listen: { host: HOST, port } })
      await waitFor(() => b.got.length === 10, 'the 10 newest messages')
      expect(b.got.map((m) => m.term)).to.deep.equal([41, 42, 43, 44, 45, 46, 47, 48, 49, 50])
      expect(a.t.stats().dropped).to.equal(40)
    })
  })

  describe('fault controls', () => {
    it('block() drops messages to and from a peer silently; unblock() restores them', async () => {
      const a = await node('a')
      const b = await node('b', { a: addr(a) })
      a.t.setPeers({ b: addr(b) })
      a.t.send(vote('a', 'b', 1))
      b.t.send(vote('b', 'a', 1))
      await waitFor(() => a.got.length === 1 && b.got.length === 1, 'connected')
      a.t.faults.block(['b'])
      expect(a.t.faults.state().blocked).to.deep.equal(['b'])
      a.t.send(vote('a', 'b', 2)) // dropped on a's send side
      b.t.send(vote('b', 'a', 2)) // dropped on a's receive side
      b.t.send(voteReply('b', 'a', 2))
      await waitFor(() => a.t.stats().dropped === 3, 'three drops at a')
      a.t.faults.unblock(['b'])
      a.t.send(vote('a', 'b', 3))
      b.t.send(vote('b', 'a', 3))
      await waitFor(() => a.got.length === 2 && b.got.length === 2, 'traffic again')
      expect(a.got.map((m) => m.term)).to.deep.equal([1, 3])
      expect(b.got.map((m) => m.term)).to.deep.equal([1, 3])
      expect(a.t.stats().connections).to.equal(2) // blocking never closed a socket
    })

    it('isolate() cuts every peer until heal()', async () => {
      const a = await node('a')
      const b = await node('b', { a: addr(a) })
      a.t.setPeers({ b: addr(b) })
      a.t.faults.isolate()
      a.t.send(vote('a', 'b', 1))
      b.t.send(vote('b', 'a', 1))
      await waitFor(() => a.t.stats().dropped === 2, 'both dropped at a')
      a.t.faults.heal()
      expect(a.t.faults.state()).to.deep.equal({
        blocked: [],
        isolated: false,
        dropProbability: 0,
        delay: { minMs: 0, maxMs: 0 },
      })
      a.t.send(vote('a', 'b', 2))
      b.t.send(vote('b', 'a', 2))
      await waitFor(() => a.got.length === 1 && b.got.length === 1, 'healed')
    })

    it('setDropProbability() drops that share of messages (seeded), counted as dropped', async () => {
      const b = await node('b', { a: `${HOST}:1` })
      const a = await node('a', { b: addr(b) }, { rng: createRng(42) })
      a.t.faults.setDropProbability(1)
      for (let i = 0; i < 20; i++) a.t.send(vote('a', 'b', i + 1))
      expect(a.t.stats().dropped).to.equal(20)
      a.t.faults.setDropProbability(0.5)
      for (let i = 0; i < 200; i++) a.t.send(vote('a', 'b', i + 1))
      const dropped = a.t.stats().dropped - 20
      expect(dropped).to.be.within(60, 140)
      await waitFor(() => b.got.length === 200 - dropped, 'the rest delivered')
    })

    it('setDelay() holds messages on the clock until the delay has passed', async () => {
      const clock = new SimulatedClock()
      const b = await node('b', { a: `${HOST}:1` }, { clock })
      const a = await node('a', { b: addr(b) }, { clock })
      a.t.faults.setDelay(50, 50)
      a.t.send(vote('a', 'b', 1))
      const queued = () => (a.t as unknown as { queued(p: string): number }).queued('b')
      await clock.advance(49)
      await sleep(50)
      expect(queued()).to.equal(0) // still on the clock: not even queued for the socket
      expect(b.got).to.be.empty
      await clock.advance(1)
      await waitFor(() => b.got.length === 1, 'the delayed message')
      expect(a.t.stats().sent).to.equal(1)
    })

    it('rejects bad fault settings with ConfigError and keeps the old ones', async () => {
      const a = await node('a')
      a.t.faults.setDropProbability(0.25)
      a.t.faults.setDelay(1, 2)
      expect(() => a.t.faults.setDropProbability(1.5)).to.throw(ConfigError)
      expect(() => a.t.faults.setDropProbability(Number.NaN)).to.throw(ConfigError)
      expect(() => a.t.faults.setDelay(5, 1)).to.throw(ConfigError)
      expect(() => a.t.faults.setDelay(-1, 1)).to.throw(ConfigError)
      expect(() => a.t.faults.block('b' as never)).to.throw(ConfigError)
      expect(a.t.faults.state()).to.deep.include({
        dropProbability: 0.25,
        delay: { minMs: 1, maxMs: 2 },
      })
    })
  })

  describe('close', () => {
    it('is idempotent, stops sending and receiving, and frees the port', async () => {
      const a = await node('a')
      const b = await node('b', { a: addr(a) })
      a.t.setPeers({ b: addr(b) })
      a.t.send(vote('a', 'b'))
      await waitFor(() => b.got.length === 1, 'delivery')
      const port = b.t.port
      await Promise.all([b.t.close(), b.t.close()])
      await b.t.close()
      b.t.send(vote('b', 'a')) // no-op after close
      expect(b.t.stats().connections).to.equal(0)
      const again = await node('b2', {}, { listen: { host: HOST, port } })
      expect(again.t.port).to.equal(port)
    })
  })
})
