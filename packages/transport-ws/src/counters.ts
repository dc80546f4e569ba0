/** Message and byte counters of one transport. */
export class Counters {
  /** Messages written to a peer socket, and their bytes. */
  sent = 0
  bytesSent = 0
  /** Messages delivered to this node's handler, and their bytes. */
  received = 0
  bytesReceived = 0
  /** Messages discarded: injected faults, queue overflow, oversize, nobody listening. */
  dropped = 0
  /** Messages handed to send() (the lab's counts include dropped ones). */
  submitted = 0
  submittedRequests = 0
  submittedRequestBytes = 0
  /** Requests delivered to the handler, and reply bytes delivered (the lab's byte count). */
  deliveredRequests = 0
  deliveredReplyBytes = 0
}

/** A first-in first-out queue with O(1) push and shift. */
export class Fifo<T> {
  private items: Array<T | undefined> = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: T): void {
    this.items.push(item)
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  clear(): void {
    this.items = []
    this.head = 0
  }
}
