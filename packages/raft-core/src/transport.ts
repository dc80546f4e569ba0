import type { Message } from './messages.js'
import type { NodeId } from './types.js'

/**
 * One node's endpoint on a network. Sending is fire-and-forget: it never throws for network
 * trouble and may silently drop, delay, duplicate or reorder messages. A lost message makes
 * Raft wait for its own timeout. Implementations must never hand the receiver the sender's
 * object (copy by encode/decode).
 */
export interface Transport {
  readonly id: NodeId
  send(message: Message): void
  /** Installs the single inbound handler (replaces any earlier one). */
  listen(handler: (message: Message) => void): void
  /** Releases every socket and timer. Idempotent. */
  close(): Promise<void>
}

export interface NodeStats {
  /** Requests (RequestVote, AppendEntries, InstallSnapshot) delivered to this node's handler. */
  readonly rpcs: number
  readonly bytes: number
}

export interface NetworkStats {
  /** Requests submitted to the network (including dropped ones): the lab's "RPC count". */
  readonly rpcs: number
  /** All messages submitted, requests and replies. */
  readonly messages: number
  /** Bytes of every request submitted plus every reply delivered. */
  readonly bytes: number
  /** Per node: requests delivered to it since its current endpoint was created. */
  readonly nodes: Readonly<Record<NodeId, NodeStats>>
}

/** The fault controls every test network exposes (transport-memory and transport-ws). */
export interface NetworkFaults {
  /** Reconnects a node: it can send to and receive from every other connected node. */
  connect(id: NodeId): void
  /** Cuts a node off: nothing it sends is delivered, nothing reaches it. */
  disconnect(id: NodeId): void
  /** Only nodes in the same group can talk. Nodes not listed are isolated. */
  partition(groups: ReadonlyArray<readonly NodeId[]>): void
  /** Removes all partitions and reconnects every node. */
  heal(): void
  /** false: drop ~10% of requests and ~10% of replies and delay each by 0–26 ms. */
  setReliable(reliable: boolean): void
  /** true: messages to unreachable nodes are "lost" only after a long delay (0–7 s) — for RPC-style transports; one-way networks simply drop. */
  setLongDelays(enabled: boolean): void
  /** true: about 2/3 of replies are delayed 200–2200 ms, so they arrive badly out of order. */
  setLongReordering(enabled: boolean): void
  stats(): NetworkStats
}

/** Many endpoints in one place (in process, or loopback sockets): what test harnesses drive. */
export interface Network extends NetworkFaults {
  /** The endpoint of `id`. A second call for the same id replaces it (a restarted node). */
  endpoint(id: NodeId): Transport
  close(): Promise<void>
}
