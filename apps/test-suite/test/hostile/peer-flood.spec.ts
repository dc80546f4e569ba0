/**
 * Hostile input, peer port: on every node of a real 3-process cluster, as many unauthenticated
 * connections as the listener admits (64, from four loopback addresses other than the peers'
 * own) upgrade and say nothing: one more is refused on accept, and each of the 64 is closed
 * with 4004 when its handshake deadline passes. Then 64 fresh connections each start a 15 MiB
 * frame they never finish, right after their own upgrade: each frame is refused from its header
 * (close code 1009); each node's RSS grows by less than PEER_FLOOD_RSS_BOUND; the cluster keeps
 * serving writes.
 *
 * The two claims are separate phases because a connection has only PRE_AUTH_TIMEOUT_MS from
 * accept: a frame started after all 64 upgrades and the refusal of the 65th took longer than that
 * on a loaded CI machine, and was closed for its deadline instead of for its frame.
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import {
  CloseCode,
  MAX_UNAUTHENTICATED_CONNECTIONS,
  MAX_UNAUTHENTICATED_PER_ADDRESS,
} from '@raftkit/transport-ws'
import { useTestCluster } from '../multiprocess/helpers.js'
import {
  MiB,
  RssSampler,
  clusterRss,
  httpBase,
  nodeSpec,
  openSession,
  request,
  rssGrowth,
  tcpConnect,
  waitForAllNodes,
} from './helpers.js'

/** Growth of a node's RSS allowed for a full flood of its peer port (see the kv-service README). */
const PEER_FLOOD_RSS_BOUND = 48 * MiB

/** A raw WebSocket connection: its socket and every byte received after the 101's head. */
interface Upgraded {
  readonly socket: Socket
  readonly received: () => Buffer
  readonly closed: Promise<void>
}

/**
 * Upgrades a raw connection to WebSocket; resolves once the 101 is in. Bytes are collected from
 * the start, so a close frame the server sends at any time after the upgrade is never missed.
 */
async function upgrade(host: string, port: number, from: string): Promise<Upgraded> {
  const socket = await tcpConnect(host, port, from)
  let bytes = Buffer.alloc(0)
  let headEnd = -1
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const answered = new Promise<void>((resolve, reject) => {
    socket.on('data', (c: Buffer) => {
      bytes = Buffer.concat([bytes, c])
      if (headEnd >= 0) return
      const end = bytes.indexOf('\r\n\r\n')
      if (end < 0) return
      headEnd = end + 4
      if (bytes.subarray(0, 12).toString('latin1') === 'HTTP/1.1 101') resolve()
      else reject(new Error(`upgrade refused: ${bytes.subarray(0, end).toString('latin1')}`))
    })
    void closed.then(() => reject(new Error('closed before the upgrade answer')))
  })
  socket.write(
    `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  )
  await answered
  return { socket, received: () => bytes.subarray(headEnd), closed }
}

/** The code of the server's close frame (0x88, length, then the 2-byte code), or null. */
function closeCode(received: Buffer): number | null {
  return received.length >= 4 && received[0] === 0x88 ? received.readUInt16BE(2) : null
}

/** Upgrades MAX_UNAUTHENTICATED_CONNECTIONS connections at once, from as many addresses as needed. */
function fillCap<T>(
  host: string,
  port: number,
  then: (c: Upgraded) => Promise<T> | T,
): Promise<T[]> {
  return Promise.all(
    Array.from({ length: MAX_UNAUTHENTICATED_CONNECTIONS }, (_, i) =>
      upgrade(host, port, `127.0.1.${Math.floor(i / MAX_UNAUTHENTICATED_PER_ADDRESS) + 1}`).then(
        then,
      ),
    ),
  )
}

/** A masked binary frame header announcing `length` bytes (64-bit length form). */
function hugeFrameHeader(length: number): Buffer {
  const b = Buffer.alloc(14)
  b[0] = 0x82
  b[1] = 0x80 | 127
  b.writeBigUInt64BE(BigInt(length), 2)
  randomBytes(4).copy(b, 10)
  return b
}

/** The payload of every huge frame: 15 MiB, allocated once. */
const HUGE_FRAME_BYTES = 15 * MiB
let hugePayload: Buffer | undefined

/**
 * Sends a huge frame's header, then its payload in one write, and waits for the socket to close;
 * resolves with the server's close code. One write, not a loop of them: the server resets the
 * connection PRE_AUTH_CLOSE_GRACE_MS after its close frame, and a write of ours that failed on
 * that reset destroyed the socket with the close frame still unread when a starved client had
 * not read it yet (null, 1 connection in 8 runs beside six busy loops). Node then only writes
 * from the socket's I/O callback, which reads what has arrived first.
 */
async function startHugeFrame(c: Upgraded): Promise<number | null> {
  hugePayload ??= Buffer.alloc(HUGE_FRAME_BYTES, 0x41)
  c.socket.write(hugeFrameHeader(HUGE_FRAME_BYTES))
  c.socket.write(hugePayload)
  await c.closed
  return closeCode(c.received())
}

/**
 * A connection over the cap is destroyed on accept: it closes without an answer to its upgrade
 * request (an admitted one gets its 101 at once), by a FIN or, if the request was already in, a
 * reset (ignored here: only the bytes that came back count).
 */
async function expectRefusedOnAccept(host: string, port: number, id: string): Promise<void> {
  const socket = await tcpConnect(host, port, '127.0.2.1')
  let answer = 0
  socket.on('data', (c: Buffer) => (answer += c.length))
  socket.write(`GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\n\r\n`)
  await new Promise<void>((resolve, reject) => {
    const limit = setTimeout(() => {
      socket.destroy()
      reject(new Error(`${id}: a connection over the cap was not refused within 10 s`))
    }, 10_000)
    socket.once('close', () => {
      clearTimeout(limit)
      if (answer === 0) resolve()
      else reject(new Error(`${id}: a connection over the cap got ${answer} bytes back`))
    })
  })
}

describe('hostile: unauthenticated flood of every peer port', function () {
  this.timeout(120_000)
  const clusters = useTestCluster()

  it(`${MAX_UNAUTHENTICATED_CONNECTIONS} connections per node: one more refused, silent ones closed at their deadline, unfinished 15 MiB frames refused from the header, RSS bounded, cluster serves`, async () => {
    const cluster = await clusters.start(3)
    await waitForAllNodes(cluster)
    const before = clusterRss(cluster)
    const sampler = new RssSampler(cluster)
    const silentCodes: (number | null)[] = []
    const frameCodes: (number | null)[] = []
    let refused = 0
    // Phase 1, on all nodes at once: the cap is full of connections that upgraded and say
    // nothing (all at once: each has PRE_AUTH_TIMEOUT_MS from accept). One more is destroyed on
    // accept. Each silent connection is closed for its deadline, which frees the cap.
    const silentPhase = Promise.all(
      cluster.ids.map(async (id) => {
        const { host, port } = nodeSpec(cluster, id).peer
        const silent = await fillCap(host, port, (c) => c)
        await expectRefusedOnAccept(host, port, id)
        refused++
        await Promise.all(silent.map((c) => c.closed))
        silentCodes.push(...silent.map((c) => closeCode(c.received())))
      }),
    )
    // Phase 2, one node after the other: a full cap of connections, each starting its huge
    // frame as soon as it is upgraded.
    const flooded = silentPhase.then(async () => {
      for (const id of cluster.ids) {
        const { host, port } = nodeSpec(cluster, id).peer
        frameCodes.push(...(await fillCap(host, port, startHugeFrame)))
      }
    })
    await flooded.finally(() => sampler.stop())
    const peaks = sampler.stop()
    const growth = rssGrowth(before, peaks)
    console.log(
      `      peer flood: ${silentCodes.length} silent and ${frameCodes.length} flooding connections, ${refused} refused over the cap; peak RSS ${growth.text}; max growth +${(growth.max / MiB).toFixed(1)} MiB`,
    )
    expect(refused).to.equal(cluster.ids.length)
    expect(silentCodes).to.have.length(cluster.ids.length * MAX_UNAUTHENTICATED_CONNECTIONS)
    expect(
      silentCodes.filter((c) => c !== CloseCode.HandshakeTimeout),
      'silent connections closed with codes other than 4004',
    ).to.deep.equal([])
    expect(frameCodes).to.have.length(cluster.ids.length * MAX_UNAUTHENTICATED_CONNECTIONS)
    expect(
      frameCodes.filter((c) => c !== CloseCode.TooBig),
      'huge frames closed with codes other than 1009',
    ).to.deep.equal([])
    expect(growth.max).to.be.below(PEER_FLOOD_RSS_BOUND)

    // The cluster still has a leader that commits writes (its peers' connections were already
    // authenticated, so the flood never counted against them).
    const now = await cluster.waitForLeader()
    const base = httpBase(cluster, now.id)
    const clientId = await openSession(base)
    const put = await request(`${base}/v1/kv/after-flood`, {
      method: 'PUT',
      headers: { 'raftkit-client-id': clientId, 'raftkit-request-seq': '1' },
      body: 'still serving',
    })
    expect(put.status).to.equal(204)
  })
})
