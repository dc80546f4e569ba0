/**
 * What an unauthenticated party can make a listener hold: handshake-sized frames only (refused
 * from the frame header), at most 16 connections per remote address and 64 in total, each for
 * at most PRE_AUTH_TIMEOUT_MS from TCP accept. Authenticated peers get maxMessageBytes.
 */
import { expect } from 'chai'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { SimulatedClock, encodeMessage } from '@raftkit/raft-core'
import type { AppendEntries } from '@raftkit/raft-core'
import {
  CloseCode,
  HANDSHAKE_MAX_FRAME_BYTES,
  MAX_UNAUTHENTICATED_CONNECTIONS,
  MAX_UNAUTHENTICATED_PER_ADDRESS,
  PRE_AUTH_TIMEOUT_MS,
} from '../src/index.js'
import { PRE_AUTH_CLOSE_GRACE_MS } from '../src/constants.js'
import { HOST, RawPeer, closeAll, logged, node, vote, waitFor } from './helpers.js'
import type { Node } from './helpers.js'
import { closeCode, frameHeader, rawConnect, rawUpgrade } from './raw-socket.js'
import type { RawSocket } from './raw-socket.js'

const MiB = 1024 * 1024

describe('ws listener before authentication', function () {
  this.timeout(30_000)
  const raws: RawSocket[] = []
  afterEach(async () => {
    for (const r of raws.splice(0)) r.socket.destroy()
    await closeAll()
  })

  async function open(port: number, from = '127.0.0.1'): Promise<RawSocket & { gone(): boolean }> {
    const raw = await rawConnect(port, from)
    raws.push(raw)
    let gone = false
    void raw.closed.then(() => (gone = true))
    return { ...raw, gone: () => gone }
  }

  /** Opens `count` idle TCP connections from `from`; waits until the listener holds `expected`. */
  async function fill(
    s: Node,
    from: string,
    expected: number,
    count = MAX_UNAUTHENTICATED_PER_ADDRESS,
  ) {
    const held = []
    for (let i = 0; i < count; i++) held.push(await open(s.t.port, from))
    await waitFor(() => s.t.stats().unauthenticated === expected, `${expected} held`)
    return held
  }

  it('refuses a frame over the handshake limit from its header (1009), not buffering it', async () => {
    const s = await node('s', { g: `${HOST}:1` }, { maxMessageBytes: 16 * MiB })
    const raw = await rawUpgrade(s.t.port)
    raws.push(raw)
    // An unfinished 15 MiB frame: only its header and 64 KiB of payload ever arrive.
    raw.socket.write(frameHeader(15 * MiB))
    raw.socket.write(Buffer.alloc(64 * 1024))
    await waitFor(() => closeCode(raw.received()) !== undefined, 'a close frame')
    expect(closeCode(raw.received())).to.equal(CloseCode.TooBig)
    await raw.closed // destroyed after a short grace when it does not answer the close frame
    await waitFor(() => s.t.stats().unauthenticated === 0, 'the slot released')

    // One byte over the limit is refused the same way; a frame at the limit is read (garbage → 4000).
    const over = await RawPeer.open(s.t.port)
    over.send(new Uint8Array(HANDSHAKE_MAX_FRAME_BYTES + 1))
    expect((await over.closed).code).to.equal(CloseCode.TooBig)
    const at = await RawPeer.open(s.t.port)
    at.send(new Uint8Array(HANDSHAKE_MAX_FRAME_BYTES))
    expect((await at.closed).code).to.equal(CloseCode.Protocol)
  })

  it('accepts frames up to maxMessageBytes once the peer has authenticated', async () => {
    const s = await node('s', { g: `${HOST}:1` }, { maxMessageBytes: 4 * MiB })
    const g = await RawPeer.open(s.t.port)
    await g.handshake('g', 's')
    const big: AppendEntries = {
      type: 'AppendEntries',
      from: 'g',
      to: 's',
      term: 1,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [{ index: 1, term: 1, kind: 'command', data: new Uint8Array(3 * MiB) }],
      leaderCommit: 0,
    }
    g.send(encodeMessage(big))
    await waitFor(() => s.got.length === 1, 'the 3 MiB message')
    expect((s.got[0] as AppendEntries).entries[0]!.data).to.have.length(3 * MiB)
    expect(s.t.stats().unauthenticated).to.equal(0)
  })

  it('a dialer accepts only handshake-sized frames from the listener it dials', async () => {
    const hostile = new WebSocketServer({ host: HOST, port: 0 })
    await new Promise((resolve) => hostile.once('listening', resolve))
    let hellos = 0
    hostile.on('connection', (ws) => {
      ws.on('error', () => undefined)
      ws.on('message', () => {
        hellos++
        ws.send(new Uint8Array(HANDSHAKE_MAX_FRAME_BYTES + 1)) // answers a hello with a big frame
      })
    })
    try {
      const port = (hostile.address() as AddressInfo).port
      const d = await node('d', { h: `${HOST}:${port}` })
      d.t.send(vote('d', 'h'))
      await waitFor(
        () => logged(d.log, 'debug', 'Max payload size exceeded').length > 0,
        'the dialer refusing the frame',
      )
      expect(hellos).to.be.greaterThan(0)
      expect(d.t.stats().connections).to.equal(0)
    } finally {
      for (const c of hostile.clients) c.terminate()
      await new Promise((resolve) => hostile.close(resolve))
    }
  })

  it(`holds at most ${MAX_UNAUTHENTICATED_PER_ADDRESS} unauthenticated connections per remote address`, async () => {
    const s = await node('s', { g: `${HOST}:1` }, { clock: new SimulatedClock() })
    const held = await fill(s, '127.0.0.1', MAX_UNAUTHENTICATED_PER_ADDRESS)
    const extra = await open(s.t.port, '127.0.0.1')
    await extra.closed // destroyed on accept
    expect(s.t.stats()).to.include({
      unauthenticated: MAX_UNAUTHENTICATED_PER_ADDRESS,
      refusedConnections: 1,
    })
    expect(held.filter((h) => h.gone())).to.have.length(0)
    expect(logged(s.log, 'warn', 'too many unauthenticated connections')).to.have.length(1)
    // Another address still gets in.
    await open(s.t.port, '127.0.0.2')
    await waitFor(
      () => s.t.stats().unauthenticated === MAX_UNAUTHENTICATED_PER_ADDRESS + 1,
      'a connection from another address held',
    )
  })

  it(`holds at most ${MAX_UNAUTHENTICATED_CONNECTIONS} unauthenticated connections in total`, async () => {
    const s = await node('s', { g: `${HOST}:1` }, { clock: new SimulatedClock() })
    const addresses = MAX_UNAUTHENTICATED_CONNECTIONS / MAX_UNAUTHENTICATED_PER_ADDRESS
    const held = []
    for (let a = 1; a <= addresses; a++)
      held.push(...(await fill(s, `127.0.0.${a}`, a * MAX_UNAUTHENTICATED_PER_ADDRESS)))
    const extra = await open(s.t.port, `127.0.0.${addresses + 1}`)
    await extra.closed
    expect(s.t.stats()).to.include({
      unauthenticated: MAX_UNAUTHENTICATED_CONNECTIONS,
      refusedConnections: 1,
    })
    expect(held.filter((h) => h.gone())).to.have.length(0)
  })

  it(`closes every connection not authenticated ${PRE_AUTH_TIMEOUT_MS} ms after TCP accept`, async () => {
    const clock = new SimulatedClock()
    const s = await node('s', { g: `${HOST}:1` }, { clock })
    const n = MAX_UNAUTHENTICATED_PER_ADDRESS - 1
    const idle = await fill(s, '127.0.0.1', n, n)
    const silent = await rawUpgrade(s.t.port) // upgraded, never says hello, ignores close frames
    raws.push(silent)
    await waitFor(() => s.t.stats().unauthenticated === MAX_UNAUTHENTICATED_PER_ADDRESS, 'held')
    await clock.advance(PRE_AUTH_TIMEOUT_MS - 1)
    expect(idle.filter((h) => h.gone())).to.have.length(0)
    await clock.advance(1)
    await Promise.all(idle.map((h) => h.closed)) // never upgraded: destroyed at the deadline
    await waitFor(() => closeCode(silent.received()) !== undefined, 'a close frame')
    expect(closeCode(silent.received())).to.equal(CloseCode.HandshakeTimeout)
    await clock.advance(PRE_AUTH_CLOSE_GRACE_MS)
    await silent.closed
    await waitFor(() => s.t.stats().unauthenticated === 0, 'every slot released')

    // The flood is gone: a peer from the same address authenticates and leaves the count.
    const g = await RawPeer.open(s.t.port)
    await g.handshake('g', 's')
    expect(s.t.stats()).to.include({ unauthenticated: 0, refusedConnections: 0 })
  })
})
