/**
 * An in-process network following the lab model (labrpc): each message is copied (see
 * copy.ts; sized as the wire codec would encode it), may be dropped or delayed, and is delivered by a clock timer, so a run under a
 * SimulatedClock with a fixed seed is reproducible. Reachability is checked when a message is
 * sent and again when it arrives.
 */
import {
  MalformedMessageError,
  Reachability,
  StoppedError,
  SystemClock,
  createRng,
  encodeMessage,
  isRequest,
  planDelivery,
  randomRng,
  silentLogger,
  validateMessage,
} from '@raftkit/raft-core'
import type {
  Clock,
  FaultModes,
  Logger,
  Message,
  Network,
  NetworkStats,
  NodeId,
  NodeStats,
  Rng,
  TimerHandle,
} from '@raftkit/raft-core'
import { copyMessage, messageSize } from './copy.js'
import { MemoryEndpoint } from './endpoint.js'
import type { Router } from './endpoint.js'

export interface MemoryNetworkOptions {
  /** Seed of the network's fault randomness (ignored when `rng` is given). @default random */
  readonly seed?: number
  /** Clock that schedules deliveries. @default new SystemClock() */
  readonly clock?: Clock
  /** Randomness for drops and delays. @default createRng(seed) */
  readonly rng?: Rng
  /** Receives handler failures and dropped malformed deliveries. @default silentLogger */
  readonly logger?: Logger
  /**
   * true: the receiver gets a copy of every message that shares no memory with the sender's.
   * false ("trusted"): the receiver gets the sender's own object — faster, for benchmarks of
   * code that never mutates messages (raftkit's nodes do not), but a receiver that mutates what
   * it got would corrupt the sender. Messages are validated and counted either way.
   * @default true
   */
  readonly copy?: boolean
}

export interface MemoryNetwork extends Network {
  /** The endpoint of `id`; a second call replaces (and detaches) the first. */
  endpoint(id: NodeId): MemoryEndpoint
  /** The clock deliveries are scheduled on. */
  readonly clock: Clock
  /** Messages scheduled for delivery that have not arrived (or been cancelled) yet. */
  inFlight(): number
  /** False after disconnect(id) until connect(id) or heal(). */
  isConnected(id: NodeId): boolean
}

interface Flight {
  readonly handle: TimerHandle
  readonly sender: MemoryEndpoint
  readonly message: Message
  readonly size: number
  readonly request: boolean
}

class MemoryNetworkImpl implements MemoryNetwork, Router {
  readonly clock: Clock
  private readonly rng: Rng
  private readonly logger: Logger
  private readonly reach = new Reachability()
  private readonly endpoints = new Map<NodeId, MemoryEndpoint>()
  private readonly flights = new Map<number, Flight>()
  private nextFlight = 1
  private reliable = true
  private longDelays = false
  private longReordering = false
  private closed = false
  private readonly copy: boolean
  private rpcs = 0
  private messages = 0
  private bytes = 0

  constructor(options: MemoryNetworkOptions) {
    this.clock = options.clock ?? new SystemClock()
    this.rng = options.rng ?? (options.seed === undefined ? randomRng() : createRng(options.seed))
    this.logger = options.logger ?? silentLogger
    this.copy = options.copy ?? true
  }

  endpoint(id: NodeId): MemoryEndpoint {
    if (this.closed) throw new StoppedError('the memory network is closed: create a new one')
    if (typeof id !== 'string' || id.length === 0)
      throw new MalformedMessageError(`a node id must be a non-empty string, got ${String(id)}`)
    this.endpoints.get(id)?.detach()
    const endpoint = new MemoryEndpoint(id, this)
    this.endpoints.set(id, endpoint)
    return endpoint
  }

  submit(sender: MemoryEndpoint, message: Message): void {
    if (this.closed) return
    if (message.from !== sender.id)
      throw new MalformedMessageError(
        `endpoint ${sender.id} cannot send a message from ${message.from}`,
      )
    // Validate before any state changes; then copy (unless trusted) and size it as the codec would.
    validateMessage(message)
    let copy: Message
    let size: number
    if (this.copy) {
      ;({ message: copy, size } = copyMessage(message))
    } else {
      copy = message
      size = messageSize(message)
      if (size < 0) size = encodeMessage(message).byteLength
    }
    const request = isRequest(copy)
    this.messages++
    if (request) {
      this.rpcs++
      this.bytes += size
    }
    if (!this.reach.canReach(copy.from, copy.to)) return
    const plan = planDelivery(this.rng, this.modes(), request)
    if (plan.drop) return
    const id = this.nextFlight++
    const handle = this.clock.setTimeout(() => this.arrive(id), plan.delayMs)
    this.flights.set(id, { handle, sender, message: copy, size, request })
  }

  detach(endpoint: MemoryEndpoint): void {
    if (this.endpoints.get(endpoint.id) !== endpoint) return
    for (const [id, flight] of this.flights) {
      if (flight.sender === endpoint || flight.message.to === endpoint.id) this.cancel(id, flight)
    }
  }

  connect(id: NodeId): void {
    this.reach.connect(id)
  }
  disconnect(id: NodeId): void {
    this.reach.disconnect(id)
  }
  partition(groups: ReadonlyArray<readonly NodeId[]>): void {
    this.reach.partition(groups)
  }
  heal(): void {
    this.reach.heal()
  }
  isConnected(id: NodeId): boolean {
    return this.reach.isConnected(id)
  }
  setReliable(reliable: boolean): void {
    this.reliable = reliable
  }
  /** Recorded only: a one-way network drops messages to unreachable nodes at once. */
  setLongDelays(enabled: boolean): void {
    this.longDelays = enabled
  }
  setLongReordering(enabled: boolean): void {
    this.longReordering = enabled
  }

  inFlight(): number {
    return this.flights.size
  }

  stats(): NetworkStats {
    const nodes: Record<NodeId, NodeStats> = {}
    for (const [id, endpoint] of this.endpoints) nodes[id] = endpoint.stats()
    return { rpcs: this.rpcs, messages: this.messages, bytes: this.bytes, nodes }
  }

  async close(): Promise<void> {
    if (this.closed) return
    for (const [id, flight] of this.flights) this.cancel(id, flight)
    for (const endpoint of this.endpoints.values()) endpoint.detach()
    this.closed = true
  }

  /** A delivery timer fired: deliver if sender and receiver are still attached and reachable. */
  private arrive(id: number): void {
    const flight = this.flights.get(id)
    if (!flight) return
    this.flights.delete(id)
    const { sender, message } = flight
    if (!sender.isOpen || this.endpoints.get(sender.id) !== sender) return
    if (!this.reach.canReach(message.from, message.to)) return
    const target = this.endpoints.get(message.to)
    if (!target) return
    const handler = target.accept(flight.size, flight.request)
    if (handler === null) return
    if (!flight.request) this.bytes += flight.size
    try {
      handler(message)
    } catch (error) {
      this.logger.error('message handler threw', {
        to: message.to,
        type: message.type,
        error: String(error),
      })
    }
  }

  private cancel(id: number, flight: Flight): void {
    this.clock.clearTimeout(flight.handle)
    this.flights.delete(id)
  }

  private modes(): FaultModes {
    return { reliable: this.reliable, longReordering: this.longReordering }
  }
}

/** Creates an in-process network. See the package README for an example. */
export function createMemoryNetwork(options: MemoryNetworkOptions = {}): MemoryNetwork {
  return new MemoryNetworkImpl(options)
}
