/**
 * Raw TCP clients of a listener, for what no WebSocket library sends: a connection that never
 * upgrades, a frame header announcing a huge payload that never finishes, and reading the
 * close code the listener answers with.
 */
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import type { Socket } from 'node:net'

export interface RawSocket {
  readonly socket: Socket
  /** Resolves when the socket has closed (by either side). */
  readonly closed: Promise<void>
  /** Bytes received after the upgrade response (the listener's frames). */
  readonly received: () => Buffer
}

/** Opens a TCP connection from `localAddress` (any 127.x.y.z works on Linux loopback). */
export function rawConnect(port: number, localAddress = '127.0.0.1'): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress })
    let data = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
    })
    socket.on('error', () => undefined)
    const closed = new Promise<void>((done) => socket.once('close', () => done()))
    socket.once('connect', () => resolve({ socket, closed, received: () => data }))
    socket.once('error', reject)
  })
}

/** Connects and performs the HTTP upgrade by hand; resolves once the 101 response is in. */
export async function rawUpgrade(port: number, localAddress = '127.0.0.1'): Promise<RawSocket> {
  const raw = await rawConnect(port, localAddress)
  raw.socket.write(
    [
      'GET / HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      '',
      '',
    ].join('\r\n'),
  )
  const deadline = Date.now() + 10_000
  let gone = false
  void raw.closed.then(() => (gone = true))
  while (!raw.received().includes('\r\n\r\n')) {
    if (gone) throw new Error('the listener closed the connection before the upgrade response')
    if (Date.now() > deadline) throw new Error('no upgrade response within 10 s')
    await new Promise((r) => setTimeout(r, 2))
  }
  const head = raw.received().toString('latin1')
  if (!head.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.split('\r\n')[0]}`)
  return {
    ...raw,
    received: () => {
      const all = raw.received()
      return all.subarray(all.indexOf('\r\n\r\n') + 4)
    },
  }
}

/** A masked client frame header (FIN, binary) announcing `length` payload bytes, and its mask. */
export function frameHeader(length: number): Buffer {
  const mask = randomBytes(4)
  if (length < 126) return Buffer.concat([Buffer.from([0x82, 0x80 | length]), mask])
  if (length < 65536) {
    const b = Buffer.from([0x82, 0x80 | 126, 0, 0])
    b.writeUInt16BE(length, 2)
    return Buffer.concat([b, mask])
  }
  const b = Buffer.alloc(10)
  b[0] = 0x82
  b[1] = 0x80 | 127
  b.writeBigUInt64BE(BigInt(length), 2)
  return Buffer.concat([b, mask])
}

/** The status code of the first close frame in `bytes` (server frames are unmasked), if any. */
export function closeCode(bytes: Buffer): number | undefined {
  let at = 0
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f
    let length = bytes[at + 1]! & 0x7f
    let start = at + 2
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2)
      start = at + 4
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at + 2))
      start = at + 10
    }
    if (opcode === 0x8) return length >= 2 ? bytes.readUInt16BE(start) : 1005
    at = start + length
  }
  return undefined
}

/** Writes `total` bytes in chunks, waiting for drain, until done or the socket closes. */
export async function writeUntilClosed(
  socket: Socket,
  total: number,
  chunk = 256 * 1024,
): Promise<number> {
  const block = Buffer.alloc(chunk, 0x5a)
  let written = 0
  while (written < total && !socket.destroyed && socket.writable) {
    const n = Math.min(chunk, total - written)
    const more = socket.write(n === chunk ? block : block.subarray(0, n))
    written += n
    if (!more)
      await new Promise<void>((resolve) => {
        const done = (): void => {
          socket.off('drain', done)
          socket.off('close', done)
          resolve()
        }
        socket.once('drain', done)
        socket.once('close', done)
      })
  }
  return written
}
