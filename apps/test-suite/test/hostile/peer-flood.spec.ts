/**
 * Hostile input, peer port: on every node of a real 3-process cluster, as many unauthenticated
 * connections as the listener admits (64, from four loopback addresses other than the peers'
 * own) upgrade and start a 15 MiB frame they never finish, and one more is refused. Each frame
 * is refused from its header (close code 1009); each node's RSS grows by less than
 * PEER_FLOOD_RSS_BOUND; the cluster keeps serving writes.
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import {
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

/** Upgrades a raw connection to WebSocket; resolves with the socket once the 101 is in. */
async function upgrade(host: string, port: number, from: string): Promise<Socket> {
  const socket = await tcpConnect(host, port, from)
  let head = ''
  const answered = new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer): void => {
      head += c.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      socket.off('data', onData)
      if (head.startsWith('HTTP/1.1 101')) resolve()
      else reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`))
    }
    socket.on('data', onData)
    socket.once('close', () => reject(new Error('closed before the upgrade answer')))
  })
  socket.write(
    `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  )
  await answered
  return socket
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

/** Sends the header, then payload until 15 MiB or the socket closes; resolves with the close code. */
async function startHugeFrame(socket: Socket): Promise<number | null> {
  let received = Buffer.alloc(0)
  socket.on('data', (c: Buffer) => (received = Buffer.concat([received, c])))
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.write(hugeFrameHeader(15 * MiB))
  const block = Buffer.alloc(256 * 1024, 0x41)
  for (let sent = 0; sent < 15 * MiB && socket.writable; sent += block.length)
    if (!socket.write(block))
      await Promise.race([new Promise((r) => socket.once('drain', r)), closed])
  await closed
  // The server's close frame: 0x88, length, then the 2-byte code.
  return received.length >= 4 && received[0] === 0x88 ? received.readUInt16BE(2) : null
}

describe('hostile: unauthenticated flood of every peer port', function () {
  this.timeout(120_000)
  const clusters = useTestCluster()

  it(`${MAX_UNAUTHENTICATED_CONNECTIONS} unfinished 15 MiB frames per node: refused from the header, RSS bounded, cluster serves`, async () => {
    const cluster = await clusters.start(3)
    await waitForAllNodes(cluster)
    const before = clusterRss(cluster)
    const sampler = new RssSampler(cluster)
    const codes: (number | null)[] = []
    let refused = 0
    const flooded = (async () => {
      for (const id of cluster.ids) {
        const { host, port } = nodeSpec(cluster, id).peer
        // All at once, not one after the other: every connection has PRE_AUTH_TIMEOUT_MS from
        // accept, and the frames below must start before the first of them expires (64
        // sequential upgrades on a loaded machine took longer, and the server then closed the
        // oldest ones for their deadline instead of for their frame).
        const addresses = MAX_UNAUTHENTICATED_CONNECTIONS / MAX_UNAUTHENTICATED_PER_ADDRESS
        const flood: Socket[] = await Promise.all(
          Array.from({ length: addresses * MAX_UNAUTHENTICATED_PER_ADDRESS }, (_, i) =>
            upgrade(host, port, `127.0.1.${Math.floor(i / MAX_UNAUTHENTICATED_PER_ADDRESS) + 1}`),
          ),
        )
        // The cap is full: one more connection is destroyed on accept.
        const extra = await tcpConnect(host, port, '127.0.2.1')
        await new Promise<void>((resolve, reject) => {
          const limit = setTimeout(() => {
            extra.destroy()
            reject(new Error(`${id}: a connection over the cap was not refused within 10 s`))
          }, 10_000)
          extra.once('close', () => {
            clearTimeout(limit)
            resolve()
          })
        })
        refused++
        codes.push(...(await Promise.all(flood.map(startHugeFrame))))
      }
    })()
    await flooded.finally(() => sampler.stop())
    const peaks = sampler.stop()
    const growth = rssGrowth(before, peaks)
    console.log(
      `      peer flood: ${codes.length} connections, ${refused} refused over the cap; peak RSS ${growth.text}; max growth +${(growth.max / MiB).toFixed(1)} MiB`,
    )
    expect(
      codes.filter((c) => c !== 1009),
      'close codes other than 1009',
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
