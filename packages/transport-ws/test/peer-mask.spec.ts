/**
 * Peer links send their frames with a zero masking key (peer-connection.ts), so that neither
 * side spends a copy and an XOR per byte on them; the frames remain valid WebSocket frames.
 */
import { createHash } from 'node:crypto'
import { createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { expect } from 'chai'
import { closeAll, HOST, node, vote, waitFor } from './helpers.js'

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

describe('peer links: frames with a zero masking key', function () {
  afterEach(closeAll)

  it('the dialer masks its frames with key 0 (the payload travels as it is)', async function () {
    const sockets: Socket[] = []
    let head: Buffer | undefined
    const server = createServer((socket) => {
      sockets.push(socket)
      let data = Buffer.alloc(0)
      let upgraded = false
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk])
        if (!upgraded) {
          const end = data.indexOf('\r\n\r\n')
          if (end < 0) return
          const key = /sec-websocket-key: *(\S+)/i.exec(data.subarray(0, end).toString())?.[1]
          const accept = createHash('sha1').update(`${key}${GUID}`).digest('base64')
          socket.write(
            'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
              `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
          )
          upgraded = true
          data = data.subarray(end + 4)
        }
        // The first frame (the hello): 2 header bytes, a 7-bit length, then the masking key.
        if (data.length >= 6) head = data.subarray(0, 6)
      })
    })
    await new Promise<void>((done) => server.listen(0, HOST, done))
    try {
      const port = (server.address() as AddressInfo).port
      const a = await node('a', { b: `${HOST}:${port}` })
      a.t.send(vote('a', 'b'))
      await waitFor(() => head !== undefined, 'the first frame')
      const h = head as Buffer
      expect((h[1] ?? 0) & 0x80, 'mask bit').to.equal(0x80)
      expect([...h.subarray(2, 6)], 'masking key').to.deep.equal([0, 0, 0, 0])
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((done) => server.close(done))
    }
  })
})
