/**
 * A WebSocket client written by hand over a TCP socket, for the hostile-input tests of the RPC
 * endpoint: it sends exactly the bytes a test builds (frame headers alone, several frames in one
 * write, text frames, oversize lengths) and collects the server's frames and close code.
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'

export interface ServerFrame {
  readonly opcode: number
  readonly payload: Buffer
}

export class RawWs {
  readonly frames: ServerFrame[] = []
  status = 0
  closeCode: number | undefined
  ended = false
  private buffer = Buffer.alloc(0)
  private handshaken = false
  private waiters: Array<() => void> = []

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('close', () => {
      this.ended = true
      this.wake()
    })
    socket.on('error', () => undefined)
  }

  /**
   * Connects and sends the upgrade request for `path` (to `upgrade`, with `headers`); awaits
   * the status.
   */
  static async open(
    address: string,
    path = '/v1/rpc',
    headers = '',
    upgrade = 'websocket',
  ): Promise<RawWs> {
    const [host, port] = [
      address.slice(0, address.lastIndexOf(':')),
      address.slice(address.lastIndexOf(':') + 1),
    ]
    const socket = connect(Number(port), host)
    const ws = new RawWs(socket)
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${address}\r\nUpgrade: ${upgrade}\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`,
    )
    await ws.until(() => ws.status !== 0 || ws.ended)
    return ws
  }

  /** A masked client frame (mask 0: allowed, and the payload stays readable). */
  static frame(payload: Buffer, opcode = 2): Buffer {
    const n = payload.length
    const head =
      n < 126
        ? Buffer.from([0x80 | opcode, 0x80 | n])
        : Buffer.from([0x80 | opcode, 0x80 | 126, n >> 8, n & 0xff])
    return Buffer.concat([head, Buffer.alloc(4), payload])
  }

  /**
   * Resolves when `ready()` holds (checked on every arrival, and every 10 ms for conditions on
   * the server's side); rejects after 5 s.
   */
  until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const started = Date.now()
      const check = (): void => {
        if (ready()) {
          clearInterval(poll)
          resolve()
        } else if (Date.now() - started > 5000) {
          clearInterval(poll)
          reject(
            new Error(
              `RawWs: timed out waiting (status ${this.status}, ${this.frames.length} frames, close ${String(this.closeCode)}, ended ${this.ended})`,
            ),
          )
        } else this.waiters.push(check)
      }
      const poll = setInterval(check, 10)
      this.waiters.push(check)
    })
  }

  /** Binary frames received so far. */
  get answers(): Buffer[] {
    return this.frames.filter((f) => f.opcode === 2).map((f) => f.payload)
  }

  destroy(): void {
    this.socket.destroy()
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk])
    if (!this.handshaken) {
      const end = this.buffer.indexOf('\r\n\r\n')
      if (end === -1) return
      this.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(this.buffer.toString('latin1', 0, end))?.[1])
      this.handshaken = true
      this.buffer = this.buffer.subarray(end + 4)
    }
    for (;;) {
      if (this.buffer.length < 2) break
      let n = (this.buffer[1] as number) & 0x7f
      let at = 2
      if (n === 126) {
        if (this.buffer.length < 4) break
        n = this.buffer.readUInt16BE(2)
        at = 4
      } else if (n === 127) {
        if (this.buffer.length < 10) break
        n = Number(this.buffer.readBigUInt64BE(2))
        at = 10
      }
      if (this.buffer.length < at + n) break
      const opcode = (this.buffer[0] as number) & 0x0f
      const payload = this.buffer.subarray(at, at + n)
      this.frames.push({ opcode, payload })
      if (opcode === 8 && payload.length >= 2) this.closeCode = payload.readUInt16BE(0)
      this.buffer = this.buffer.subarray(at + n)
    }
    this.wake()
  }
}
