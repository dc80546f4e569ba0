/**
 * One node's attachment to a memory network. It holds the node's inbound handler and its
 * delivery counters; the network decides what reaches it.
 */
import type { Message, NodeId, NodeStats, Transport } from '@raftkit/raft-core'

/** The part of the network an endpoint talks to. */
export interface Router {
  submit(sender: MemoryEndpoint, message: Message): void
  detach(endpoint: MemoryEndpoint): void
}

export class MemoryEndpoint implements Transport {
  private handler: ((message: Message) => void) | null = null
  private closed = false
  private rpcs = 0
  private bytes = 0

  constructor(
    readonly id: NodeId,
    private readonly router: Router,
  ) {}

  /** Fire-and-forget. A closed endpoint sends nothing. */
  send(message: Message): void {
    if (this.closed) return
    this.router.submit(this, message)
  }

  listen(handler: (message: Message) => void): void {
    this.handler = handler
  }

  /** Detaches this endpoint: it sends and receives nothing more. Idempotent. */
  async close(): Promise<void> {
    this.detach()
  }

  get isOpen(): boolean {
    return !this.closed
  }

  /** Closes without going through a promise (used when the network replaces or closes it). */
  detach(): void {
    if (this.closed) return
    this.router.detach(this)
    this.closed = true
    this.handler = null
  }

  /**
   * Accepts an arriving message: counts it and returns the handler to call, or null when
   * nothing is listening (the message is lost).
   */
  accept(size: number, request: boolean): ((message: Message) => void) | null {
    const handler = this.handler
    if (this.closed || handler === null) return null
    if (request) this.rpcs++
    this.bytes += size
    return handler
  }

  stats(): NodeStats {
    return { rpcs: this.rpcs, bytes: this.bytes }
  }
}
