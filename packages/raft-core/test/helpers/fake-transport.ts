import type { Message } from '../../src/messages.js'
import type { Transport } from '../../src/transport.js'

/** A transport that records what is sent and lets the test hand messages to the node. */
export class FakeTransport implements Transport {
  sent: Message[] = []
  handler: ((m: Message) => void) | null = null
  closed = 0
  constructor(readonly id: string) {}
  send(m: Message): void {
    this.sent.push(m)
  }
  listen(h: (m: Message) => void): void {
    this.handler = h
  }
  async close(): Promise<void> {
    this.closed++
  }
  /** Delivers `m` to the node as if it came from the network. */
  deliver(m: Message): void {
    if (!this.handler) throw new Error(`no node listens on ${this.id}`)
    this.handler(m)
  }
}
