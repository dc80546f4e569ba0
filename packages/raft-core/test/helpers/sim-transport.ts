/**
 * Transports for runtime (`Raft`) tests, on a SimulatedClock: every message goes through the
 * wire codec (the receiver never shares the sender's objects), is delivered by a clock timer
 * whose delay the shared fault model draws for a reliable network (0 ms), and only
 * between nodes that can reach each other when it is sent and when it arrives (and that a test's
 * `filter` lets through when it is sent). It follows the
 * same rules as @raftkit/transport-memory, which raft-core cannot depend on (that package
 * depends on this one), so the runtime is tested here without it.
 */
import type { Clock, TimerHandle } from '../../src/clock.js'
import { decodeMessage, encodeMessage } from '../../src/codec.js'
import { planDelivery } from '../../src/fault-model.js'
import { Reachability } from '../../src/fault-model-reachability.js'
import { isRequest, validateMessage } from '../../src/messages.js'
import type { Message } from '../../src/messages.js'
import { createRng } from '../../src/rng.js'
import type { Rng } from '../../src/rng.js'
import type { Transport } from '../../src/transport.js'
import type { NodeId } from '../../src/types.js'

class SimEndpoint implements Transport {
  handler: ((message: Message) => void) | null = null
  open = true

  constructor(
    readonly id: NodeId,
    private readonly net: SimNetwork,
  ) {}

  send(message: Message): void {
    if (this.open) this.net.submit(this, message)
  }

  listen(handler: (message: Message) => void): void {
    this.handler = handler
  }

  async close(): Promise<void> {
    this.open = false
    this.handler = null
  }
}

export class SimNetwork {
  private readonly rng: Rng
  private readonly reach = new Reachability()
  private readonly endpoints = new Map<NodeId, SimEndpoint>()
  private readonly flights = new Set<TimerHandle>()
  private rpcs = 0
  /** Called for every message just before its addressee handles it. */
  onDeliver: ((message: Message) => void) | undefined
  /**
   * Asked for every message as it is sent (after the reachability check): false drops it. For
   * one-way and per-message faults that connect/disconnect cannot express.
   */
  filter: ((message: Message) => boolean) | undefined

  constructor(
    private readonly clock: Clock,
    seed: number,
  ) {
    this.rng = createRng(seed)
  }

  /** The transport of `id`; a second call detaches the first. */
  endpoint(id: NodeId): Transport {
    const old = this.endpoints.get(id)
    if (old) old.open = false
    const endpoint = new SimEndpoint(id, this)
    this.endpoints.set(id, endpoint)
    return endpoint
  }

  submit(sender: SimEndpoint, message: Message): void {
    validateMessage(message)
    const request = isRequest(message)
    if (request) this.rpcs++
    const bytes = encodeMessage(message)
    if (!this.reach.canReach(message.from, message.to)) return
    if (this.filter && !this.filter(message)) return
    const plan = planDelivery(this.rng, { reliable: true, longReordering: false }, request)
    if (plan.drop) return
    // A message in flight to a node that is restarted meanwhile is lost with the old endpoint.
    const addressee = this.endpoints.get(message.to)
    const handle = this.clock.setTimeout(() => {
      this.flights.delete(handle)
      const target = this.endpoints.get(message.to)
      if (!sender.open || !this.reach.canReach(message.from, message.to)) return
      if (!target?.open || !target.handler || (addressee && addressee !== target)) return
      this.onDeliver?.(message)
      target.handler(decodeMessage(bytes))
    }, plan.delayMs)
    this.flights.add(handle)
  }

  connect(id: NodeId): void {
    this.reach.connect(id)
  }

  disconnect(id: NodeId): void {
    this.reach.disconnect(id)
  }

  /** Requests (RequestVote, AppendEntries, InstallSnapshot) submitted so far, dropped or not. */
  stats(): { readonly rpcs: number } {
    return { rpcs: this.rpcs }
  }

  close(): void {
    for (const handle of this.flights) this.clock.clearTimeout(handle)
    this.flights.clear()
    for (const endpoint of this.endpoints.values()) void endpoint.close()
  }
}
